"""Neighbours of issue 10's command-line and model-folder examples, run as a shell runs them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gpt2_studio.core.models.store import list_installed, models_root
from tests.cli_children import assert_one_line_error, child_env, generate_args, needs_posix, run_child

HAND_NAMES = ["sp ace", "emoji🙂", "new\nline"]


def _hand_copied(tiny_model_dir: Path, name: str | bytes, *, damage: bool) -> Path:
    root = models_root()
    target = os.path.join(os.fsencode(root), name) if isinstance(name, bytes) else root / name
    folder = Path(os.fsdecode(target))
    shutil.copytree(tiny_model_dir, folder)
    if damage:
        (folder / "config.json").unlink()
    return folder


@needs_posix
@pytest.mark.parametrize("damage", [True, False], ids=["damaged", "whole"])
def test_folders_copied_in_by_hand_under_any_name_are_listed_on_one_line_and_removable(
    tiny_model_dir, damage
):
    folders = [_hand_copied(tiny_model_dir, name, damage=damage) for name in HAND_NAMES]
    if damage:  # a whole model under a non-UTF-8 name is damaged by that alone
        folders.append(_hand_copied(tiny_model_dir, b"bad\xfename", damage=False))
    listed = run_child(["models", "list"])
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout.decode("utf-8")
    names = [model.name for model in list_installed(include_damaged=True)]
    assert len(names) == len(folders)
    for name in names:
        assert "\n" not in name
        assert any(line.startswith(f"  {name}") for line in out.splitlines()), (name, out)
    for name, folder in zip(names, sorted(folders), strict=True):
        removed = run_child(["models", "remove", name])
        assert removed.returncode == 0, removed.stderr.decode()
        assert not os.path.lexists(folder)
    assert list_installed(include_damaged=True) == []


@pytest.mark.parametrize("name", ["my model", "emoji🙂 fine-tune", "🙂", "x" * 150])
def test_importing_a_folder_whose_name_is_no_model_name_picks_one(tiny_model_dir, tmp_path, name):
    source = Path(shutil.copytree(tiny_model_dir, tmp_path / name))
    done = run_child(["models", "import", str(source)])
    assert done.returncode == 0, done.stderr.decode()
    (model,) = list_installed()
    assert model.name in done.stdout.decode()
    assert 1 <= len(model.name) <= 100
    assert model.name[0].isalnum()


def test_an_explicit_bad_name_is_still_refused(tiny_model_dir):
    done = run_child(["models", "import", str(tiny_model_dir), "--name", "my model"])
    assert_one_line_error(done, 1, "cannot be a model name")


@pytest.mark.parametrize("command", ["generate", "import"])
def test_a_home_folder_of_a_user_that_does_not_exist_is_a_missing_folder(command):
    args = ["generate", "--model", "~nosuchuser/x", "--prompt", "a"]
    done = run_child(args if command == "generate" else ["models", "import", "~nosuchuser/x"])
    assert_one_line_error(done, 1, "~nosuchuser/x: does not exist.")


@needs_posix
def test_generate_works_when_the_cache_folder_cannot_be_made(tiny_model_dir, tmp_path):
    env = child_env(GPT2_STUDIO_HOME="/proc/no-such-home", TMPDIR=str(tmp_path))
    done = run_child(generate_args(tiny_model_dir, "--prompt", "a", "--max-new-tokens", "2"), env=env)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""


@needs_posix
def test_importing_into_a_models_folder_that_cannot_be_made_is_one_line(tiny_model_dir):
    done = run_child(
        ["models", "import", str(tiny_model_dir)], env=child_env(GPT2_STUDIO_HOME="/proc/no-such-home")
    )
    assert_one_line_error(done, 1, "Cannot create the models folder /proc/no-such-home/data/models")


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--preset", ""], "no preset named ''"),
        (["--input", "a pirate"], "--input answers a preset's question, so it needs --preset NAME."),
    ],
)
def test_preset_options_that_would_be_ignored_are_refused(tiny_model_dir, more, message):
    done = run_child(generate_args(tiny_model_dir, "--prompt", "a", *more))
    assert_one_line_error(done, 2, message)


@pytest.mark.parametrize("endpoint", ["http://[::1", "notaurl", "ftp://mirror.example", "http://"])
def test_a_hub_address_that_is_no_address_is_one_line(endpoint):
    done = run_child(["models", "download", "gpt2"], env=child_env(HF_ENDPOINT=endpoint, HF_HUB_OFFLINE=""))
    assert_one_line_error(done, 1, "HF_ENDPOINT is set to")
    assert done.stdout == b""


@pytest.mark.parametrize(
    ("word", "meant"), [("genrate", "generate"), ("model", "models"), ("preset", "presets")]
)
def test_a_mistyped_command_is_not_opened_as_a_file(word, meant):
    done = run_child([word, "--prompt", "x"])
    assert_one_line_error(done, 2, f"did you mean `gpt2-studio {meant}`?")


@needs_posix
def test_the_editor_without_a_display_is_one_line():
    env = child_env(DISPLAY="", WAYLAND_DISPLAY="", QT_QPA_PLATFORM="")
    done = run_child(["notes.txt"], env=env)
    assert_one_line_error(done, 1, "no display to open the editor on")

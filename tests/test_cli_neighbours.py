"""Neighbours of issue 10's command-line and model-folder examples, run as a shell runs them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gpt2_studio.core.model_store import list_installed, models_root
from tests.cli_children import assert_one_line_error, needs_posix, run_child

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

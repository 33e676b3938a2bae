"""The models folder: listing, importing local checkpoints (validated first), removing."""

from __future__ import annotations

import os

import pytest

from gpt2_studio import paths
from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.resolve import resolve_model
from gpt2_studio.core.models.store import (
    PARTIAL_DIR,
    import_checkpoint,
    installed_folder,
    list_installed,
    remove_model,
)


def test_nothing_is_installed_at_first():
    assert list_installed() == []


def test_import_copies_only_what_the_app_needs_and_lists_it(tiny_copy):
    (tiny_copy / "pytorch_model.bin").write_bytes(b"not copied")
    (tiny_copy / "notes.txt").write_text("not copied either")
    model = import_checkpoint(tiny_copy, "my-finetune")
    assert model.folder == paths.models_dir() / "my-finetune"
    copied = {p.name for p in model.folder.iterdir()}
    assert "model.safetensors" in copied
    assert "config.json" in copied
    assert {"pytorch_model.bin", "notes.txt"}.isdisjoint(copied)
    [listed] = list_installed()
    assert listed.name == "my-finetune"
    assert listed.source == str(tiny_copy.resolve())
    assert listed.size_bytes > 0
    assert load_model("my-finetune", precision="fp32").folder == model.folder


def test_import_refuses_pickle_only_weights_and_leaves_nothing(tiny_copy):
    (tiny_copy / "model.safetensors").rename(tiny_copy / "pytorch_model.bin")
    with pytest.raises(ModelError, match="pickle"):
        import_checkpoint(tiny_copy)
    assert list_installed() == []


def test_import_validates_before_copying(tiny_copy):
    data = (tiny_copy / "model.safetensors").read_bytes()
    (tiny_copy / "model.safetensors").write_bytes(data[:1000])
    with pytest.raises(ModelError, match="truncated"):
        import_checkpoint(tiny_copy, "broken")
    assert installed_folder("broken") is None


def test_a_name_in_use_or_unsafe_is_refused(tiny_copy):
    import_checkpoint(tiny_copy, "taken")
    with pytest.raises(ModelError, match="already installed"):
        import_checkpoint(tiny_copy, "taken")
    for bad in ("../escape", "with space", ".hidden", "a/b"):
        with pytest.raises(ModelError, match="cannot be a model name"):
            import_checkpoint(tiny_copy, bad)


def test_unfinished_work_is_never_listed(tiny_copy):
    import shutil

    shutil.copytree(tiny_copy, paths.models_dir() / PARTIAL_DIR / "gpt2")
    assert list_installed() == []
    assert installed_folder("gpt2") is None


def test_remove(tiny_copy):
    import_checkpoint(tiny_copy, "old")
    remove_model("old")
    assert list_installed() == []
    assert not (paths.models_dir() / "old").exists()
    with pytest.raises(ModelError, match="No model named 'old' is installed"):
        remove_model("old")


def _half_download(folder, tiny_copy) -> None:
    """What an interrupted copy or download leaves: config.json and nothing else."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_bytes((tiny_copy / "config.json").read_bytes())


def test_a_half_finished_folder_is_not_installed_but_the_dialog_can_see_why(tiny_copy):
    _half_download(paths.models_dir() / "gpt2", tiny_copy)
    assert list_installed() == []
    [damaged] = list_installed(include_damaged=True)
    assert damaged.name == "gpt2"
    assert "has no weights" in damaged.problem
    with pytest.raises(ModelError, match=r"'gpt2' is only partly on this computer .*has no weights"):
        resolve_model("gpt2")
    remove_model("gpt2")  # a damaged folder can still be removed
    assert list_installed(include_damaged=True) == []


def test_a_half_download_in_the_hugging_face_cache_is_not_a_model(tiny_copy, tmp_path):
    # huggingface_hub's layout, with only config.json fetched before the download stopped.
    repo = tmp_path / "hf-home" / "hub" / "models--openai-community--gpt2"
    commit = "0123456789abcdef0123456789abcdef01234567"
    _half_download(repo / "snapshots" / commit, tiny_copy)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    with pytest.raises(ModelError, match=r"'gpt2' is only partly on this computer .*has no weights"):
        resolve_model("gpt2")
    with pytest.raises(ModelError, match="only partly on this computer"):
        load_model("openai-community/gpt2")
    assert list_installed() == []
    # A whole model in the models folder wins over the half-downloaded cache.
    import_checkpoint(tiny_copy, "gpt2")
    assert resolve_model("gpt2") == ("gpt2", paths.models_dir() / "gpt2")


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: (f / "config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000),
        lambda f: (f / ".gpt2-studio.json").write_bytes(b"[" * 100_000 + b"]" * 100_000),
        lambda f: (f / ".gpt2-studio.json").write_bytes(b'{"repo_id": ["not", "text"]}'),
        lambda f: (f / "loop").symlink_to(f / "loop"),
        lambda f: (f / "sub").mkdir() or (f / "sub" / "up").symlink_to(f),
        lambda f: os.mkfifo(f / "pipe"),
    ],
)
def test_listing_survives_hostile_folders(tiny_copy, damage):
    model = import_checkpoint(tiny_copy, "odd")
    damage(model.folder)
    [listed] = list_installed(include_damaged=True)
    assert listed.name == "odd"
    assert isinstance(listed.source, str)
    assert listed.size_bytes > 0


def test_a_folder_name_that_is_not_utf8_is_listed_printably(tiny_copy):
    import shutil

    folder = paths.models_dir() / os.fsdecode(b"caf\xe9")
    shutil.copytree(tiny_copy, folder)
    [listed] = list_installed(include_damaged=True)
    assert listed.name == "caf\ufffd"
    assert "not valid UTF-8" in listed.problem
    listed.problem.encode("utf-8")
    assert list_installed() == []

"""The models folder: listing, importing local checkpoints (validated first), removing."""

from __future__ import annotations

import pytest

from gpt2_studio import paths
from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.loading import load_model
from gpt2_studio.core.model_store import (
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

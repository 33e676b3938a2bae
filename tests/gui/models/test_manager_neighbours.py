"""The Models dialog with folders under any name and a models folder that cannot be made."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gpt2_studio import paths
from gpt2_studio.core.models.store import list_installed
from gpt2_studio.gui.models import manager as model_manager
from gpt2_studio.gui.models.manager import ModelManagerDialog
from tests.gui.conftest import ScriptedQuestions


@pytest.fixture
def make_manager(qtbot, monkeypatch):
    """Shown manager dialogs on a machine with 2 GB free and no GPU, answering from a ScriptedQuestions."""
    monkeypatch.setattr(model_manager, "free_ram_bytes", lambda: 2_000_000_000)
    monkeypatch.setattr(model_manager, "free_vram_bytes", lambda: None)

    def make(current: str | None = None) -> ModelManagerDialog:
        manager = ModelManagerDialog(current, questions=ScriptedQuestions())
        qtbot.addWidget(manager)
        manager.show()
        return manager

    return make


def _listed(manager: ModelManagerDialog) -> list[str]:
    return [manager.table.item(index, 0).text() for index in range(manager.table.rowCount())]


def test_folders_under_any_name_are_listed_and_deleted(make_manager, tiny_copy, qtbot):
    root = paths.models_dir()
    root.mkdir(parents=True)
    for name in ("sp ace", "emoji🙂", "new\nline"):
        shutil.copytree(tiny_copy, root / name)
    shutil.copytree(tiny_copy, os.fsdecode(os.fsencode(root) + b"/bad\xfename"))
    manager = make_manager()
    names = [model.name for model in list_installed(include_damaged=True)]
    assert len(names) == 4
    for name in names:
        assert name in _listed(manager)
        manager.select(name)
        manager.questions.answer("ask_delete_model", True)
        qtbot.mouseClick(manager.delete_button, Qt.MouseButton.LeftButton)
        assert [q for q, _ in manager.questions.asked if q == "error"] == [], manager.questions.asked
        assert name not in _listed(manager)
    assert os.listdir(root) == []


def test_importing_a_folder_named_with_spaces_works(make_manager, tiny_copy, tmp_path):
    source = Path(shutil.copytree(tiny_copy, tmp_path / "My fine-tune (v2)"))
    manager = make_manager()
    manager.questions.answer("model_folder", str(source))
    manager.import_folder()
    (model,) = list_installed()
    assert model.name == "My-fine-tune-v2"
    assert model.name in _listed(manager)


def test_the_dialog_opens_when_the_models_folder_cannot_be_made(make_manager, tiny_copy, monkeypatch):
    monkeypatch.setenv("GPT2_STUDIO_HOME", "/proc/no-such-home")
    manager = make_manager()
    assert "gpt2" in _listed(manager)
    manager.questions.answer("model_folder", str(tiny_copy))
    manager.questions.answer("error", None)
    manager.import_folder()
    ((question, args),) = [(q, a) for q, a in manager.questions.asked if q == "error"]
    assert "Cannot create the models folder /proc/no-such-home" in args[1]


@pytest.mark.parametrize("current", ["~nosuchuser/model", "loop/../x"])
def test_the_dialog_opens_whatever_the_current_model_was_called(make_manager, tiny_copy, tmp_path, current):
    paths.models_dir().mkdir(parents=True)
    shutil.copytree(tiny_copy, paths.models_dir() / "mine")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    current = current if current.startswith("~") else str(tmp_path / current)
    manager = make_manager(current)
    assert "mine" in _listed(manager)

"""What the window says about the model: the one in use stays until another loads; none is said plainly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint

from gpt2_studio.core.settings import AppSettings


def _not_a_folder(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("just text", encoding="utf-8")
    return path


def _empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    (folder / "beach.jpg").write_bytes(b"\xff\xd8\xff")
    return folder


def _config_only(tmp_path: Path, tiny_model_dir: Path) -> Path:
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "config.json").write_bytes((tiny_model_dir / "config.json").read_bytes())
    return folder


@pytest.mark.parametrize("make_bad", [_not_a_folder, _empty_folder, _config_only])
def test_choosing_a_folder_that_is_not_a_model_keeps_the_model_in_use(
    window, qtbot, tmp_path, tiny_model_dir, make_bad
):
    name = window.model_label.text()
    bad = make_bad(tmp_path) if make_bad is not _config_only else _config_only(tmp_path, tiny_model_dir)
    window.questions.answer("model_folder", str(bad))
    window.choose_model_folder()
    qtbot.waitUntil(lambda: "Still using" in window.statusBar().currentMessage(), timeout=30_000)
    assert window.model_label.text() == name
    assert window.state_label.text() == "Ready"
    assert window.controller.model_ready
    assert not window.model_banner.isVisible()
    assert window.model_info.folder == str(tiny_model_dir)
    # It really is still in use: suggestions keep coming, and the manager says which model that is.
    window.editor.insertPlainText("Still writing")
    window.controller.suggest_now()
    qtbot.waitUntil(
        lambda: window.editor.ghost is not None and not window.controller.in_flight, timeout=20_000
    )
    assert window.editor.ghost_text()
    window.show_model_manager()
    assert f"In use: {tiny_model_dir}" in window.model_manager.memory_label.text()


def test_the_manager_marks_in_use_only_the_model_really_loaded(make_window, qtbot, tiny_copy):
    from gpt2_studio.core.models.store import import_checkpoint

    import_checkpoint(tiny_copy, "second")
    window = make_window(AppSettings(precision="fp32", model="second"), load=False)
    window.show_model_manager()
    manager = window.model_manager
    assert not manager.row("second").current  # remembered in the settings, but not loaded
    window.load_model("second")
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    assert manager.row("second").current  # the open manager follows
    assert "in use" in manager.table.item(manager.rows.index(manager.row("second")), 6).text()


def test_a_failed_load_with_no_model_says_so_in_a_banner_that_stays(make_window, qtbot, tmp_path):
    window = make_window(load=False)
    window.load_model(str(tmp_path / "missing"))
    qtbot.waitUntil(lambda: window.model_banner.isVisible(), timeout=30_000)
    assert "does not exist" in window.model_banner.label.text()
    assert window.state_label.text() == "No model"
    window.statusBar().showMessage("Saved something", 10)
    qtbot.waitUntil(lambda: not window.statusBar().currentMessage(), timeout=5_000)
    assert window.model_banner.isVisible()  # not a message that flashes by


def _half_downloaded_gpt2(tiny_model_dir: Path) -> Path:
    """The Hugging Face cache after a download of gpt2 stopped after its first file."""
    repo = Path(os.environ["HF_HUB_CACHE"]) / "models--openai-community--gpt2"
    revision = "0" * 40
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text(
        json.dumps(json.loads((tiny_model_dir / "config.json").read_text()))
    )
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    return snapshot


@pytest.mark.parametrize("cache", ["empty", "half-downloaded gpt2"])
def test_first_start_without_a_model_says_how_to_get_one(make_window, qtbot, tiny_model_dir, cache):
    from gpt2_studio.gui.launch import start_model

    if cache != "empty":
        _half_downloaded_gpt2(tiny_model_dir)
    window = make_window(load=False)
    window.move(QPoint(240, 160))
    start_model(window, "gpt2")
    manager = window.model_manager
    assert manager.isVisible()
    assert manager.first_start
    assert manager.intro.isVisible()
    assert not manager.row("gpt2").installed or manager.row("gpt2").problem
    # The manager is centred on the window.
    offset = manager.frameGeometry().center() - window.frameGeometry().center()
    assert abs(offset.x()) <= 2
    assert abs(offset.y()) <= 2
    manager.reject()
    assert window.state_label.text() == "No model"  # not "Starting" forever
    banner = window.model_banner
    assert banner.isVisible()
    assert "No model is installed" in banner.label.text()
    assert "Get a Model" in banner.label.text()
    banner.manager_button.click()
    assert window.model_manager is not manager
    assert window.model_manager.isVisible()
    assert window.model_manager.first_start


def test_the_banner_goes_once_a_model_loads(make_window, qtbot, tiny_model_dir):
    from gpt2_studio.gui.launch import start_model

    window = make_window(load=False)
    start_model(window, "gpt2")
    window.model_manager.reject()
    assert window.model_banner.isVisible()
    window.questions.answer("model_folder", str(tiny_model_dir))
    window.model_banner.folder_button.click()
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    assert not window.model_banner.isVisible()
    assert window.state_label.text() == "Ready"

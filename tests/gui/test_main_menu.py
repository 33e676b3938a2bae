"""The menu bar on its own: its actions ask for what they do through signals, or act on the editor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.main_menu import MainMenu


@pytest.fixture
def menu(qtbot) -> Iterator[MainMenu]:
    window = QMainWindow()
    qtbot.addWidget(window)
    editor = GhostTextEdit(window)
    window.setCentralWidget(editor)
    settings = AppSettings(ghost_delay_ms=400, theme="light")
    settings.recent_files = ["/docs/a.txt", "/docs/b\x00.txt"]  # as a hand-edited settings file can have
    bar = MainMenu(editor, settings, QAction("Panel", window), window)
    window.setMenuBar(bar)
    window.show()
    yield bar
    window.close()


def _action(menu: MainMenu, text: str) -> QAction:
    return next(a for a in menu.findChildren(QAction) if a.text().partition("\t")[0] == text)


def test_file_actions_emit_their_requests(menu, qtbot):
    for text, signal in (
        ("&New", menu.new_requested),
        ("&Open…", menu.open_requested),
        ("&Save", menu.save_requested),
        ("Save &As…", menu.save_as_requested),
        ("&Models…", menu.models_requested),
        ("S&top", menu.stop_requested),
        ("&Suggest Now", menu.suggest_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            _action(menu, text).trigger()


def test_choices_carry_their_values(menu, qtbot):
    assert _action(menu, "0.4 s").isChecked()
    with qtbot.waitSignal(menu.delay_chosen, timeout=1000) as chosen:
        _action(menu, "1 s").trigger()
    assert chosen.args == [1000]
    with qtbot.waitSignal(menu.font_size_requested, timeout=1000) as font:
        _action(menu, "&Smaller Font").trigger()
    assert font.args == [-1]
    for choice in ("dark", "system", "light"):
        with qtbot.waitSignal(menu.theme_requested, timeout=1000) as theme:
            menu.theme_actions[choice].trigger()
        assert theme.args == [choice]


def test_edit_actions_act_on_the_editor(menu, qtbot):
    editor = menu.parentWidget().centralWidget()
    editor.setPlainText("some text")
    _action(menu, "Select &All").trigger()
    assert editor.textCursor().selectedText() == "some text"
    editor.insertPlainText("new")
    assert menu.undo_action.isEnabled()
    menu.undo_action.trigger()
    assert editor.toPlainText() == "some text"


def test_recent_files_open_by_request_and_unusable_entries_are_disabled(menu, qtbot):
    menu.recent_menu.aboutToShow.emit()
    usable, unusable = menu.recent_menu.actions()
    assert not unusable.isEnabled()
    with qtbot.waitSignal(menu.open_recent_requested, timeout=1000) as opened:
        usable.trigger()
    assert opened.args == ["/docs/a.txt"]

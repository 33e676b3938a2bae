"""Keyboard-only use of the docks: the shortcut or View-menu action that shows a dock puts the keyboard
in it, so the writer can type a Memory without the mouse, and hiding it gives the keyboard back to the
editor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.editor.test_context_dock import _toggle_dock

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def test_ctrl_shift_n_takes_the_keyboard_to_the_memory_and_back(make_window, qtbot):
    window = make_window(load=False)
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "Chapter one")
    _toggle_dock(window, qtbot)
    dock = window.context_dock
    qtbot.waitUntil(dock.isVisible)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dock.memory_edit)
    qtbot.keyClicks(QApplication.focusWidget(), "Ada narrates.")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # on to the note, as in any form
    qtbot.keyClicks(QApplication.focusWidget(), "[Style: terse]")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dock.depth_spin
    assert (dock.memory_edit.text(), dock.note_edit.text()) == ("Ada narrates.", "[Style: terse]")
    _toggle_dock(window, qtbot)
    qtbot.waitUntil(lambda: not dock.isVisible())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.editor)
    qtbot.keyClicks(QApplication.focusWidget(), ", go on")
    assert window.editor.toPlainText() == "Chapter one, go on"  # nothing typed into the notes or lost


def test_showing_the_sampling_panel_from_the_view_menu_takes_the_keyboard_to_its_first_control(
    make_window, qtbot
):
    window = make_window(load=False)
    window.editor.setFocus()
    action = window.panel.toggleViewAction()
    assert window.panel.isVisible()
    action.trigger()  # View → Sampling Panel: hidden
    assert not window.panel.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.editor)
    action.trigger()  # and shown again
    slider = window.panel.slider("temperature")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is slider)
    before = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right)  # the arrow keys move it
    assert slider.value() == before + 1
    assert window.settings.sampling.temperature > 0.7

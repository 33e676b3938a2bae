"""Issue 9's examples' neighbours, tried as an independent tester would (real window, keys, files)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from gpt2_studio.gui.document_text import exact_text


def _end(window) -> None:
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def test_cut_and_paste_keeps_no_break_spaces(window, qtbot, tmp_path):
    target = tmp_path / "prix.txt"
    target.write_bytes("Prix\u00a0: 10\u00a0€\nLigne\u2028suite\n".encode())
    assert window.open_file(target)
    editor = window.editor
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    editor.moveCursor(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    qtbot.keyClick(editor, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "Prix\u00a0: 10\u00a0€"
    _end(window)
    qtbot.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert exact_text(editor.document()) == "\nLigne\u2028suite\nPrix\u00a0: 10\u00a0€"


def test_copy_of_a_line_separator_keeps_it(window, qtbot, tmp_path):
    target = tmp_path / "sep.txt"
    target.write_bytes("a\u2028b\u00a0c\n".encode())
    assert window.open_file(target)
    editor = window.editor
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "a\u2028b\u00a0c\n"

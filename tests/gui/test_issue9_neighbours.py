"""Issue 9's examples' neighbours, tried as an independent tester would (real window, keys, files)."""

from __future__ import annotations

import pytest
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


def _open_type_save(window, qtbot, target, typed: str = "!") -> None:
    assert window.open_file(target)
    _end(window)
    qtbot.keyClicks(window.editor, typed)
    assert window.save()


BYTE_CASES = {
    "crlf with nbsp": ("Prix\u00a0: 10\u00a0€\r\nLigne\u2028suite\r\n".encode(), None),
    "cp1252 with nbsp": ("Prix\u00a0: 10\u00a0€\r\n".encode("cp1252"), "cp1252"),
    "utf-16 bom": (b"\xff\xfe" + "Prix\u00a0: 10\u00a0€\n\u2028x".encode("utf-16-le"), None),
    "utf-8 bom": (b"\xef\xbb\xbf" + "\u00a0début\n".encode(), None),
    "nbsp at start": ("\u00a0\u00a0x".encode(), None),
    "zero-width joiner": ("👩\u200d💻 ok\n".encode(), None),
    "lone cr": (b"one\rtwo\rthree", None),
    "no final newline": ("fin\u00a0!".encode(), None),
    "only newlines": (b"\n\n\n", None),
    "empty": (b"", None),
}


@pytest.mark.parametrize("name", list(BYTE_CASES))
def test_open_type_save_changes_only_the_typed_byte(window, qtbot, tmp_path, name):
    original, encoding = BYTE_CASES[name]
    target = tmp_path / "f.txt"
    target.write_bytes(original)
    if encoding:
        window.dialogs.answer("choose_encoding", encoding)
    _open_type_save(window, qtbot, target)
    codec = {"utf-16": "utf-16-le", "utf-8-sig": "utf-8"}.get(window.encoding, window.encoding)
    expected_tail = "!".encode(codec)
    assert target.read_bytes() == original + expected_tail


def test_undo_redo_round_trip_keeps_bytes(window, qtbot, tmp_path):
    target = tmp_path / "u.txt"
    original = "a\u00a0b\u2028c\u2029d\ufdd0e\n".encode()
    target.write_bytes(original)
    assert window.open_file(target)
    _end(window)
    qtbot.keyClicks(window.editor, "xyz")
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.save()
    assert target.read_bytes() == original
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, redo)
    assert window.save()
    assert target.read_bytes() == original + b"xyz"


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: show_find raises it
def test_replace_all_leaves_other_special_characters(window, qtbot, tmp_path):
    target = tmp_path / "r.txt"
    original = "chat\u00a0: chat\u2028chien\u2029chat\n".encode()
    target.write_bytes(original)
    assert window.open_file(target)
    window.show_find()
    dialog = window.find_dialog
    dialog.find_text.setText("chien")
    dialog.replace_text.setText("loup")
    assert dialog.replace_all() == 1
    assert window.save()
    assert target.read_bytes() == original.replace(b"chien", b"loup")


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_find_a_no_break_space_selected_in_the_editor(window, qtbot, tmp_path):
    target = tmp_path / "f.txt"
    target.write_bytes("10\u00a0€ et 10 € et 10\u00a0€".encode())
    assert window.open_file(target)
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(4, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    window.show_find()
    dialog = window.find_dialog
    assert dialog.find_text.text() == "10\u00a0€"
    assert dialog.find()
    assert window.editor.textCursor().selectionStart() == 16
    dialog.replace_text.setText("X")
    assert dialog.replace_all() == 2
    assert exact_text(window.editor.document()) == "X et 10 € et X"


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_replacing_plain_spaces_leaves_no_break_spaces(window, qtbot):
    window.editor.setPlainText("")
    window.editor.insertPlainText("10 € et 10\u00a0€")  # QTest types ASCII only
    window.show_find()
    dialog = window.find_dialog
    dialog.find_text.setText("10 €")
    dialog.replace_text.setText("dix euros")
    assert dialog.replace_all() == 1
    assert exact_text(window.editor.document()) == "dix euros et 10\u00a0€"
    dialog.find_text.setText("absent")
    cursor_before = window.editor.textCursor().position()
    assert not dialog.find()
    assert window.editor.textCursor().position() == cursor_before


# -- undo steps: neighbours of "Once" + Tab " upon" + " a time" ----------------------------------
CTRL = Qt.KeyboardModifier.ControlModifier


def _show(editor, *alternatives: str) -> None:
    editor.start_ghost(len(alternatives))
    for index, text in enumerate(alternatives):
        editor.append_ghost(index, text)
    editor.finish_ghost(list(alternatives))


def _undo(qtbot, editor) -> str:
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    return exact_text(editor.document())


def _redo(qtbot, editor) -> str:
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    return exact_text(editor.document())


def test_backspace_after_an_acceptance_is_undone_on_its_own(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert exact_text(editor.document()) == "Once up"
    assert _undo(qtbot, editor) == "Once upon"
    assert _undo(qtbot, editor) == "Once"


def test_enter_after_an_acceptance_is_undone_on_its_own(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "a")
    assert exact_text(editor.document()) == "Once upon\na"
    assert _undo(qtbot, editor) in ("Once upon\n", "Once upon")
    while exact_text(editor.document()) not in ("Once upon", "Once"):
        _undo(qtbot, editor)
    assert exact_text(editor.document()) == "Once upon"


def test_typing_after_undo_then_redo_of_an_acceptance_is_its_own_step(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert _undo(qtbot, editor) == "Once"
    assert _redo(qtbot, editor) == "Once upon"
    qtbot.keyClicks(editor, " a time")
    assert _undo(qtbot, editor) == "Once upon"
    assert _undo(qtbot, editor) == "Once"


def test_two_ctrl_rights_then_typing_then_undo_three_times(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Il etait")
    _show(editor, " une fois un roi")
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    qtbot.keyClicks(editor, " un")
    assert exact_text(editor.document()) == "Il etait une fois un"
    assert _undo(qtbot, editor) == "Il etait une fois"
    assert _undo(qtbot, editor) == "Il etait une"
    assert _undo(qtbot, editor) == "Il etait"


def test_accepting_twice_in_a_row_is_two_steps(window, qtbot):
    editor = window.editor
    qtbot.keyClicks(editor, "Once")
    _show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    _show(editor, " a time")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert _undo(qtbot, editor) == "Once upon"
    assert _undo(qtbot, editor) == "Once"


def test_escape_during_a_composition_leaves_no_ghost_and_no_text(window, qtbot):
    from PySide6.QtGui import QInputMethodEvent

    editor = window.editor
    qtbot.keyClicks(editor, "Tokyo ")
    QApplication.sendEvent(editor, QInputMethodEvent("とう", []))
    assert editor.is_composing()
    _show(editor, " late")
    assert editor.ghost is None
    QApplication.sendEvent(editor, QInputMethodEvent("", []))  # the input method cancels on Esc
    assert not editor.is_composing()
    assert exact_text(editor.document()) == "Tokyo "
    _show(editor, " again")
    assert editor.ghost_text() == " again"

"""The ghost-text editor on its own: keys accept, cycle and dismiss; the ghost is never in the text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit


@pytest.fixture
def editor(qtbot) -> GhostTextEdit:
    editor = GhostTextEdit()
    qtbot.addWidget(editor)
    editor.show()
    editor.setPlainText("Once upon a time")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    editor.document().clearUndoRedoStacks()
    return editor


def show(editor: GhostTextEdit, *alternatives: str) -> None:
    editor.start_ghost(len(alternatives))
    for index, text in enumerate(alternatives):
        editor.append_ghost(index, text)
    editor.finish_ghost(list(alternatives))


def test_the_ghost_is_drawn_but_not_in_the_document(editor, qtbot):
    show(editor, " there was a fox")
    assert editor.ghost_text() == " there was a fox"
    assert editor.toPlainText() == "Once upon a time"
    assert not editor.document().isUndoAvailable()
    editor.grab()  # paints the ghost without error


def test_tab_inserts_it_all_and_one_undo_removes_it(editor, qtbot):
    show(editor, " there was a fox.\nThe end")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "Once upon a time there was a fox.\nThe end"
    assert editor.ghost_text() == ""
    assert editor.textCursor().atEnd()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == "Once upon a time"


def test_tab_without_a_suggestion_still_indents(editor, qtbot):
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "Once upon a time\t"


def test_escape_dismisses_and_leaves_the_text_alone(editor, qtbot):
    show(editor, " there was")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.ghost_text() == ""
    assert editor.toPlainText() == "Once upon a time"


def test_ctrl_right_takes_one_word_at_a_time(editor, qtbot):
    show(editor, " there was a fox")
    qtbot.keyClick(editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == "Once upon a time there"
    assert editor.ghost_text() == " was a fox"
    qtbot.keyClick(editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == "Once upon a time there was"
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "Once upon a time there was a fox"


def test_ctrl_right_without_a_suggestion_moves_the_cursor(editor, qtbot):
    editor.moveCursor(editor.textCursor().MoveOperation.Start)
    qtbot.keyClick(editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert editor.textCursor().position() > 0
    assert editor.toPlainText() == "Once upon a time"


def test_alt_brackets_cycle_through_alternatives(editor, qtbot):
    show(editor, " one", " two", " three")
    assert editor.ghost.index == 0
    qtbot.keyClick(editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.AltModifier)
    assert editor.ghost_text() == " two"
    qtbot.keyClick(editor, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(editor, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.AltModifier)
    assert editor.ghost_text() == " three"
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "Once upon a time three"


def test_typing_or_moving_the_cursor_clears_the_ghost(editor, qtbot):
    show(editor, " there")
    with qtbot.waitSignal(editor.user_edited):
        qtbot.keyClicks(editor, "!")
    assert editor.ghost is None
    show(editor, " there")
    qtbot.keyClick(editor, Qt.Key.Key_Left)
    assert editor.ghost is None
    assert editor.toPlainText() == "Once upon a time!"


def test_text_streamed_for_an_old_position_is_ignored(editor):
    editor.start_ghost(1)
    editor.moveCursor(editor.textCursor().MoveOperation.Start)
    editor.append_ghost(0, " late")
    assert editor.ghost_text() == ""


def test_empty_and_duplicate_alternatives_are_dropped(editor):
    show(editor, " a", " ", " a", " b")
    assert editor.ghost.alternatives == [" a", " b"]

"""Shift+Enter is a plain line break wherever the writer types: in the document (saved as "\\n") and in
the Memory and Author's note (sent to the model as "\\n"), never Qt's U+2028, which looks the same but is
saved as E2 80 A8 and reaches GPT-2 as three rare byte tokens. U+2028 that is pasted stays exact."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt

from gpt2_studio.core.generation.context import Prompt
from gpt2_studio.gui.editor.document_text import exact_text
from tests.gui.editor.test_context_dock import _open_dock, _requests, _suggest

SHIFT = Qt.KeyboardModifier.ShiftModifier
KEYPAD = Qt.KeyboardModifier.KeypadModifier


@pytest.mark.parametrize(
    ("key", "mods"),
    [
        (Qt.Key.Key_Return, SHIFT),
        (Qt.Key.Key_Enter, SHIFT | KEYPAD),
        (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
    ],
    ids=["shift-return", "shift-keypad-enter", "return"],
)
def test_a_typed_line_break_is_saved_as_a_newline(make_window, qtbot, tmp_path, key, mods):
    window = make_window(load=False)
    editor = window.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "Dear Ada,")
    qtbot.keyClick(editor, key, mods)
    qtbot.keyClicks(editor, "the engine")
    assert exact_text(editor.document()) == "Dear Ada,\nthe engine"
    target = tmp_path / "letter.txt"
    window.questions.answer("save_path", str(target))
    assert window.save()
    assert target.read_bytes() == b"Dear Ada,\nthe engine"


def test_shift_enter_in_the_memory_and_note_reaches_the_model_as_a_newline(window, qtbot, monkeypatch):
    requests = _requests(window, monkeypatch)
    qtbot.keyClicks(window.editor, "Once upon a time")
    _open_dock(window, qtbot)
    dock = window.context_dock
    typed = ((dock.memory_edit, "Ada narrates.", "She lies."), (dock.note_edit, "[A]", "[B]"))
    for box, first, second in typed:
        box.setFocus()
        qtbot.keyClicks(box, first)
        qtbot.keyClick(box, Qt.Key.Key_Return, SHIFT)
        qtbot.keyClicks(box, second)
    pasted = QMimeData()
    pasted.setText("\u2028kept")  # a pasted line separator is the writer's own character: kept
    dock.memory_edit.insertFromMimeData(pasted)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    _suggest(window, qtbot)
    assert requests[-1].prompt == Prompt(
        "Once upon a time", memory="Ada narrates.\nShe lies.\u2028kept", authors_note="[A]\n[B]"
    )

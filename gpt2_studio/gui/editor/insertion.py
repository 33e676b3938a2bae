"""Putting text into the document: model text without undecodable bytes and as an undo step of its own
(the ghost editor's Tab and Ctrl+Right, presets), and a typed line break as a plain "\n".
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QTextCursor

from gpt2_studio.gui.editor.document_text import exact_insertable

REPLACEMENT_CHARACTER = "\ufffd"
_SEAL = "\u200b"  # see insert_as_undo_step


def model_text(text: str) -> str:
    """Text from a model as the editor may show or insert it: without U+FFFD (an undecodable byte)."""
    return text.replace(REPLACEMENT_CHARACTER, "")


def insert_as_undo_step(cursor: QTextCursor, text: str) -> None:
    """Insert text at cursor (replacing its selection) as one undo step that later typing cannot join.

    Qt merges a typed character into the edit block just before it when both are insertions. Ending the
    block with a removal (of a zero-width space inserted for that purpose) leaves nothing to merge into;
    the document ends up with exactly `text`, and undo/redo put the cursor where the insertion ends.
    """
    if not text:
        return
    text = exact_insertable(cursor.document(), text)
    cursor.beginEditBlock()
    cursor.insertText(text + _SEAL)
    end = cursor.position() - len(_SEAL)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    cursor.endEditBlock()


def plain_line_break(event: QKeyEvent) -> QKeyEvent:
    """Shift+Enter as plain Enter: a line break the writer types is "\\n" in the file and the prompt.

    Qt's text boxes insert U+2028 (line separator) for Shift+Enter, which looks like a line break but is
    saved as the bytes E2 80 A8 and reaches GPT-2 as three rare byte tokens. U+2028 that is pasted or in
    a file is still kept exactly. Any other event is returned as it is.
    """
    shift = Qt.KeyboardModifier.ShiftModifier
    if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or not event.modifiers() & shift:
        return event
    modifiers = event.modifiers() & ~shift
    return QKeyEvent(event.type(), event.key(), modifiers, event.text(), event.isAutoRepeat(), event.count())

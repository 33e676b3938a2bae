"""Putting model text into the document: without undecodable bytes, and as an undo step of its own.

Used by the ghost editor (Tab, Ctrl+Right) and by presets that insert their results.
"""

from __future__ import annotations

from PySide6.QtGui import QTextCursor

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

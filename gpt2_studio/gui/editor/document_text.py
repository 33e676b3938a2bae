"""The editor's exact text: the one place that reads text out of (and puts a file's text into) the editor.

Measured with Qt 6.11: ``QPlainTextEdit.toPlainText()`` turns U+00A0 (no-break space) into a space and
U+2028 (line separator) and U+2029 into "\\n"; ``QTextCursor.selectedText()`` and
``QTextDocument.toRawText()`` keep U+00A0 and U+2028 and separate paragraphs with U+2029. Putting text in
(``setPlainText``, ``insertText``) turns "\\n", "\\r", U+2029 and Qt's frame markers U+FDD0/U+FDD1 into
paragraph breaks, so a file holding those three characters would come back with newlines.

Reading therefore goes through ``toRawText()``/``selectedText()`` with only U+2029 turned into "\\n", and
loading swaps U+2029, U+FDD0 and U+FDD1 for noncharacters the text does not use (Unicode reserves
noncharacters for such internal use) and remembers the swap on the document, so reading swaps them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit

PARAGRAPH = "\u2029"
#: Characters Qt turns into paragraph breaks when text is put into a document ("\n" and "\r" aside).
BREAKING = ("\u2029", "\ufdd0", "\ufdd1")
_SPARE = tuple(chr(code) for code in range(0xFDD2, 0xFDF0))
_PROPERTY = "gpt2studio-substitutes"


def _substitutes(document: QTextDocument) -> list[tuple[str, str]]:
    """(stand-in, original) pairs remembered on the document by set_exact_text."""
    value = document.property(_PROPERTY)
    if not isinstance(value, str) or len(value) % 2:
        return []
    return [(value[i], value[i + 1]) for i in range(0, len(value), 2)]


def _restore(document: QTextDocument, text: str) -> str:
    return RawText(text, tuple(_substitutes(document))).exact()


@dataclass(frozen=True)
class RawText:
    """The document's raw text and its stand-ins: exact() can run on any thread (recovery copies)."""

    raw: str
    substitutes: tuple[tuple[str, str], ...]

    def exact(self) -> str:
        """The exact text, as exact_text() would give it."""
        text = self.raw.replace(PARAGRAPH, "\n")
        for stand_in, original in self.substitutes:
            text = text.replace(stand_in, original)
        return text


def raw_snapshot(document: QTextDocument) -> RawText:
    """The least work on the GUI thread that captures the document's exact text."""
    return RawText(document.toRawText(), tuple(_substitutes(document)))


def exact_text(document: QTextDocument) -> str:
    """The whole document exactly as the user sees it, lines separated by "\\n"."""
    return _restore(document, document.toRawText())


def exact_selected_text(cursor: QTextCursor) -> str:
    """The cursor's selection exactly, lines separated by "\\n" ("" without a selection)."""
    return _restore(cursor.document(), cursor.selectedText())


def exact_text_between(document: QTextDocument, start: int, end: int) -> str:
    """The text between two positions of ``document`` exactly (without copying the rest)."""
    cursor = QTextCursor(document)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    return exact_selected_text(cursor)


def exact_block_text(cursor: QTextCursor) -> str:
    """The text of the line (paragraph) the cursor is in, exactly."""
    return _restore(cursor.document(), cursor.block().text())


def exact_insertable(document: QTextDocument, text: str) -> str:
    """``text`` ready for ``QTextCursor.insertText`` into ``document`` so that exact_text() keeps it.

    A paste or a model's text may hold U+2029, U+FDD0 or U+FDD1, which insertText would turn into line
    breaks: they get the document's stand-ins (new ones are remembered on the document).
    """
    if not any(original in text for original in BREAKING):
        return text
    pairs = _substitutes(document)
    used = {original: stand_in for stand_in, original in pairs}
    in_use = set(document.toRawText()) | set(text) | {stand_in for stand_in, _ in pairs}
    spare = (char for char in _SPARE if char not in in_use)
    for original in BREAKING:
        if original in text and original not in used:
            stand_in = next(spare, None)
            if stand_in is None:
                break
            used[original] = stand_in
            pairs.append((stand_in, original))
        if original in used:
            text = text.replace(original, used[original])
    document.setProperty(_PROPERTY, "".join(a + b for a, b in pairs))
    return text


def set_exact_text(editor: QPlainTextEdit, text: str) -> None:
    """Replace the editor's text with ``text`` ("\\n" line ends) so that exact_text() gives it back."""
    pairs: list[tuple[str, str]] = []
    spare = (char for char in _SPARE if char not in text)
    for original in BREAKING:
        if original in text:
            stand_in = next(spare, None)
            if stand_in is None:  # 30 noncharacters all in use: nobody's real text
                break
            text = text.replace(original, stand_in)
            pairs.append((stand_in, original))
    editor.document().setProperty(_PROPERTY, "".join(a + b for a, b in pairs))
    editor.setPlainText(text)

"""A plain-text editor that draws suggestions as grey "ghost text" at the cursor.

The ghost is painted, never inserted: it is not in the document, the undo stack or a saved file. It is
tied to the document revision and cursor position it was made for; any other edit or cursor move
clears it (and tells the controller to cancel the request in flight).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QPlainTextEdit, QWidget

_NEXT_WORD = re.compile(r"\s*\S+")


@dataclass
class Ghost:
    """The suggestions on screen and where they belong."""

    alternatives: list[str]
    index: int
    position: int
    revision: int
    streaming: bool = True

    @property
    def text(self) -> str:
        return self.alternatives[self.index] if self.alternatives else ""


class GhostTextEdit(QPlainTextEdit):
    """QPlainTextEdit plus ghost text and the keys that accept, cycle or dismiss it."""

    user_edited = Signal()  # the user changed the text or moved the cursor: suggestions are stale
    suggest_requested = Signal()  # Ctrl+Space
    accepted = Signal(str)  # text taken from the ghost into the document
    ghost_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ghost: Ghost | None = None
        self._accepting = False
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(False)
        self.document().contentsChanged.connect(self._on_user_change)
        self.cursorPositionChanged.connect(self._on_user_change)

    # -- ghost state ----------------------------------------------------------------------------
    @property
    def ghost(self) -> Ghost | None:
        """The suggestion currently shown (None when there is none)."""
        return self._ghost

    def ghost_text(self) -> str:
        """The visible suggestion, or '' ."""
        return self._ghost.text if self._ghost else ""

    def start_ghost(self, count: int) -> None:
        """Begin a suggestion for the current cursor position and revision, with count alternatives."""
        self._ghost = Ghost([""] * count, 0, self.textCursor().position(), self.document().revision())
        self._refresh()

    def append_ghost(self, index: int, text: str) -> None:
        """Add streamed text to one alternative."""
        ghost = self._ghost
        if ghost is None or not self._ghost_is_current():
            return
        if index >= len(ghost.alternatives):
            ghost.alternatives.extend([""] * (index + 1 - len(ghost.alternatives)))
        ghost.alternatives[index] += text
        if index == ghost.index:
            self._refresh()
        else:
            self.ghost_changed.emit()

    def finish_ghost(self, alternatives: list[str]) -> None:
        """The final texts; alternatives that came out empty are dropped (duplicates too)."""
        ghost = self._ghost
        if ghost is None or not self._ghost_is_current():
            return
        current = ghost.text
        unique = [a for i, a in enumerate(alternatives) if a.strip() and a not in alternatives[:i]]
        ghost.alternatives = unique
        ghost.index = unique.index(current) if current in unique else 0
        ghost.streaming = False
        if not unique:
            self._ghost = None
        self._refresh()

    def clear_ghost(self) -> None:
        """Remove the suggestion from the screen."""
        if self._ghost is not None:
            self._ghost = None
            self._refresh()

    def cycle_ghost(self, step: int) -> None:
        """Show the next (step=1) or previous (step=-1) alternative."""
        ghost = self._ghost
        if ghost and len(ghost.alternatives) > 1:
            ghost.index = (ghost.index + step) % len(ghost.alternatives)
            self._refresh()

    def _ghost_is_current(self) -> bool:
        ghost = self._ghost
        return (
            ghost is not None
            and ghost.revision == self.document().revision()
            and ghost.position == self.textCursor().position()
            and not self.textCursor().hasSelection()
        )

    def _refresh(self) -> None:
        self.viewport().update()
        self.ghost_changed.emit()

    # -- accepting ------------------------------------------------------------------------------
    def accept_all(self) -> bool:
        """Insert the whole suggestion as one undo step; False when there is none."""
        text = self.ghost_text() if self._ghost_is_current() else ""
        if not text:
            return False
        self._ghost = None
        self._insert(text)
        return True

    def accept_word(self) -> bool:
        """Insert the suggestion's next word; the rest stays on screen."""
        ghost = self._ghost
        if not ghost or not self._ghost_is_current() or not ghost.text:
            return False
        match = _NEXT_WORD.match(ghost.text)
        word = match.group(0) if match else ghost.text
        rest = ghost.text[len(word) :]
        self._insert(word)
        if rest.strip():
            # Keep the remainder, re-anchored to the new position and revision.
            self._ghost = Ghost(
                [rest], 0, self.textCursor().position(), self.document().revision(), streaming=False
            )
        else:
            self._ghost = None
        self._refresh()
        return True

    def _insert(self, text: str) -> None:
        self._accepting = True
        try:
            cursor = self.textCursor()
            cursor.beginEditBlock()
            cursor.insertText(text)
            cursor.endEditBlock()
            self.setTextCursor(cursor)
        finally:
            self._accepting = False
        self.accepted.emit(text)
        self._refresh()

    # -- events ---------------------------------------------------------------------------------
    def _on_user_change(self) -> None:
        if self._accepting:
            return
        if self._ghost is not None and not self._ghost_is_current():
            self._ghost = None
            self._refresh()
        self.user_edited.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key, mods = event.key(), event.modifiers()
        plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if key == Qt.Key.Key_Tab and plain and self.accept_all():
            return
        if key == Qt.Key.Key_Right and mods == Qt.KeyboardModifier.ControlModifier and self.accept_word():
            return
        if key == Qt.Key.Key_Escape and self._ghost is not None:
            self.clear_ghost()
            return
        if key == Qt.Key.Key_Space and mods == Qt.KeyboardModifier.ControlModifier:
            self.suggest_requested.emit()
            return
        brackets = (Qt.Key.Key_BracketRight, Qt.Key.Key_BracketLeft)
        if mods == Qt.KeyboardModifier.AltModifier and key in brackets:
            self.cycle_ghost(1 if key == Qt.Key.Key_BracketRight else -1)
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        text = self.ghost_text() if self._ghost_is_current() else ""
        if not text:
            return
        painter = QPainter(self.viewport())
        painter.setFont(self.font())
        metrics = self.fontMetrics()
        cursor_rect = self.cursorRect()
        base = self.palette().color(QPalette.ColorRole.Base)
        color = QColor(self.palette().color(QPalette.ColorRole.Text))
        color.setAlphaF(0.45)
        left_margin = self.contentOffset().x() + self.document().documentMargin()
        width = self.viewport().width() - left_margin - self.document().documentMargin()
        line_height = metrics.lineSpacing()
        x, y = float(cursor_rect.left() + 1), float(cursor_rect.top())
        cursor = self.textCursor()
        rest_of_line = cursor.block().text()[cursor.positionInBlock() :]
        painter.setPen(color)
        for n, line in enumerate(text.split("\n")):
            if n:
                x, y = left_margin, y + line_height
            for i, segment in enumerate(self._wrap(line, metrics, width - (x - left_margin), width)):
                if i:
                    x, y = left_margin, y + line_height
                if y > self.viewport().height():
                    painter.end()
                    return
                if n == 0 and i == 0 and rest_of_line:
                    # Mid-line: cover the text to the right so the suggestion stays legible.
                    painter.fillRect(QRectF(x, y, metrics.horizontalAdvance(segment) + 2, line_height), base)
                painter.drawText(QPointF(x, y + metrics.ascent()), segment)
        painter.end()

    @staticmethod
    def _wrap(line: str, metrics, first_width: float, width: float) -> list[str]:
        """Split a ghost line the way the editor would wrap it: the first piece after the cursor."""
        pieces: list[str] = []
        current = ""
        limit = max(first_width, metrics.averageCharWidth())
        for word in re.findall(r"\s*\S+|\s+", line):
            if current and metrics.horizontalAdvance(current + word) > limit:
                pieces.append(current)
                current = word.lstrip()
                limit = width
            else:
                current += word
        pieces.append(current)
        return pieces

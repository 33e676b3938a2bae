"""A plain-text editor that shows suggestions as grey "ghost text" at the cursor.

The ghost is laid out, never inserted: it lives in the cursor block's pre-edit area (the slot an input
method uses for text being composed), so Qt's own layout pushes the rest of the line aside and wraps it,
and no user text is ever hidden. It is not in the document, the undo stack or a saved file. It is tied to
the document revision and cursor position it was made for; any other edit or cursor move clears it (and
tells the controller to cancel the request in flight). While an input method is composing, no ghost is
shown or asked for.

Every acceptance is one undo step of its own: later typing cannot merge into it (see
`insert_as_undo_step`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QInputMethodEvent,
    QKeyEvent,
    QMouseEvent,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextLayout,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from gpt2_studio.gui.editor.document_text import exact_selected_text
from gpt2_studio.gui.editor.ghost_numbers import AlternativeNumbers, GhostTooltip
from gpt2_studio.gui.editor.insertion import insert_as_undo_step, model_text, plain_line_break
from gpt2_studio.gui.editor.line_spacing import SpacedLayout, spaced_document
from gpt2_studio.gui.provenance.hooks import add_spans_to_mime, model_insertion, pasting

_NEXT_WORD = re.compile(r"\s*\S+")
_MODIFIER_KEYS = {
    Qt.Key.Key_Shift,
    Qt.Key.Key_Control,
    Qt.Key.Key_Alt,
    Qt.Key.Key_Meta,
    Qt.Key.Key_AltGr,
    Qt.Key.Key_Super_L,
    Qt.Key.Key_Super_R,
}
# Laying out a block takes time in proportion to its length (~40 ms for 100,000 characters here). Where
# it takes longer than this, streamed text is laid out at most every two layout-times, so a very long
# paragraph cannot keep the GUI thread busy for the whole suggestion.
SYNC_LAYOUT_SECONDS = 0.01
GHOST_OPACITY = 0.45  # share of the text colour in the ghost's colour; the rest is the background


@dataclass
class Ghost:
    """The suggestions on screen and where they belong."""

    alternatives: list[str]
    index: int
    position: int
    revision: int
    streaming: bool = True
    numbers: list[AlternativeNumbers | None] = field(default_factory=list)  # one per alternative, once done

    @property
    def text(self) -> str:
        """The alternative on screen, as it would be inserted (the model's text, less any U+FFFD)."""
        return model_text(self.alternatives[self.index]) if self.alternatives else ""


class GhostTextEdit(QPlainTextEdit):
    """QPlainTextEdit plus ghost text and the keys that accept, cycle or dismiss it."""

    user_edited = Signal()  # the user changed the text or moved the cursor: suggestions are stale
    suggest_requested = Signal()  # Ctrl+Space
    accepted = Signal(str)  # text taken from the ghost into the document
    ghost_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Line spacing lives in the layout, not in block formats (which would be edits): see line_spacing.
        # The document and its layout are held here: Qt calls back into the layout's Python code, which
        # must live as long as the editor (a dropped wrapper crashes the next paint).
        self._spaced_document, self._spaced_layout = spaced_document(self)
        self.setDocument(self._spaced_document)
        self._ghost: Ghost | None = None
        self._accepting = False
        self._typed_revision = -1  # the document's revision after the last text typed here
        # Where the ghost is laid out: a cursor follows edits, so the block is found even after them.
        self._shown_at: QTextCursor | None = None
        self._shown_text = ""
        self._saved_formats: list[QTextLayout.FormatRange] = []
        self._layout_seconds = 0.0  # how long the last ghost layout took
        self._layout_timer = QTimer(self)
        self._layout_timer.setSingleShot(True)
        self._layout_timer.timeout.connect(self._lay_out_ghost)
        self.ghost_tooltip = GhostTooltip(self)  # hovering a ghost token shows its probability
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(False)
        self.document().contentsChanged.connect(self._on_user_change)
        self.cursorPositionChanged.connect(self._on_user_change)

    def set_line_spacing(self, percent: int) -> None:
        """Lines at ``percent`` of the font's line spacing; the text, revision and undo stack stay."""
        layout = self.document().documentLayout()
        if isinstance(layout, SpacedLayout):  # another document (set by a caller) has Qt's own layout
            layout.set_line_spacing(percent)

    # -- ghost state ----------------------------------------------------------------------------
    @property
    def ghost(self) -> Ghost | None:
        """The suggestion currently shown (None when there is none)."""
        return self._ghost

    def ghost_text(self) -> str:
        """The visible suggestion, or '' ."""
        return self._ghost.text if self._ghost else ""

    def shown_ghost_text(self) -> str:
        """The ghost as laid out now (line breaks as U+2028), or '' ."""
        return self._shown_text

    def is_composing(self) -> bool:
        """Whether an input method is composing text (pre-edit) at the cursor: no suggestions then."""
        layout = self.textCursor().block().layout()
        composed = layout.preeditAreaText() if layout is not None else ""
        return bool(composed) and composed != self._shown_text

    def start_ghost(self, count: int) -> None:
        """Begin a suggestion for the current cursor position and revision, with count alternatives."""
        if self.is_composing():
            return
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

    def finish_ghost(
        self, alternatives: list[str], numbers: list[AlternativeNumbers | None] | None = None
    ) -> None:
        """The final texts and their numbers; alternatives that came out empty (or twice) are dropped."""
        ghost = self._ghost
        if ghost is None or not self._ghost_is_current():
            return
        current = ghost.alternatives[ghost.index] if ghost.alternatives else ""
        kept = [i for i, a in enumerate(alternatives) if model_text(a).strip() and a not in alternatives[:i]]
        unique = [alternatives[i] for i in kept]
        ghost.alternatives = unique
        ghost.numbers = [numbers[i] if numbers and i < len(numbers) else None for i in kept]
        self.ghost_tooltip.install()  # in front of other tooltip filters (the lens's) while it shows
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
            and not self.is_composing()
        )

    def _refresh(self) -> None:
        growing = self._shown_text and self._ghost is not None and self._ghost_is_current()
        if growing and self._layout_seconds > SYNC_LAYOUT_SECONDS:
            if not self._layout_timer.isActive():
                self._layout_timer.start(int(2000 * self._layout_seconds))
        else:
            self._layout_timer.stop()
            self._lay_out_ghost()
        self.viewport().update()
        self.ghost_changed.emit()

    # -- laying the ghost out in the pre-edit area ----------------------------------------------
    def _lay_out_ghost(self) -> None:
        """Put the visible suggestion in the cursor block's pre-edit area, or take it out."""
        text = self.ghost_text() if self._ghost_is_current() else ""
        # Qt breaks a layout line at U+2028; a plain newline would be drawn as a space.
        text = text.replace("\r\n", "\n").replace("\n", "\u2028")
        cursor = self.textCursor()
        block = cursor.block()
        layout = block.layout()
        in_place = (
            bool(self._shown_text)
            and self._shown_at is not None
            and self._shown_at.position() == cursor.position()
            and layout.preeditAreaText() == self._shown_text
        )
        if text == self._shown_text and (in_place or not text):
            return
        if not (in_place and text):
            self._remove_ghost_layout()
            if not text:
                return
            self._saved_formats = list(layout.formats())
        # Streamed text grows the ghost in place: one layout of the block per update.
        position = cursor.position() - block.position()
        ghost_format = QTextCharFormat()
        ghost_format.setForeground(QBrush(self._ghost_color()))
        ghost_range = QTextLayout.FormatRange()
        ghost_range.start, ghost_range.length, ghost_range.format = position, len(text), ghost_format
        layout.setPreeditArea(position, text)
        layout.setFormats([*self._shifted(self._saved_formats, position, len(text)), ghost_range])
        self._shown_at = QTextCursor(cursor)
        self._shown_text = text
        started = time.perf_counter()
        # Re-lays out the block (and so the lines below) without emitting contentsChanged.
        self.document().markContentsDirty(block.position(), block.length())
        self._layout_seconds = time.perf_counter() - started

    def _remove_ghost_layout(self) -> None:
        shown_at, self._shown_at = self._shown_at, None
        shown, self._shown_text = self._shown_text, ""
        if shown_at is None or not shown:
            return
        block = shown_at.block()
        layout = block.layout() if block.isValid() else None
        # The block may have been merged or replaced by an edit: then its layout went with it.
        if layout is not None and layout.preeditAreaText() == shown:
            layout.setPreeditArea(-1, "")
            layout.setFormats(self._saved_formats)
            self.document().markContentsDirty(block.position(), block.length())
        self._saved_formats = []

    @staticmethod
    def _shifted(
        formats: list[QTextLayout.FormatRange], position: int, length: int
    ) -> list[QTextLayout.FormatRange]:
        """Other formats of the block (a highlighter's), moved past the ghost where they follow it."""
        moved = []
        for original in formats:
            copy = QTextLayout.FormatRange()
            copy.start, copy.length, copy.format = original.start, original.length, original.format
            if copy.start >= position:
                copy.start += length
            moved.append(copy)
        return moved

    def _ghost_color(self) -> QColor:
        """The text colour faded into the background, so the ghost follows the palette (both themes)."""
        text = self.palette().color(QPalette.ColorRole.Text)
        base = self.palette().color(QPalette.ColorRole.Base)
        mix = GHOST_OPACITY
        return QColor.fromRgbF(
            text.redF() * mix + base.redF() * (1 - mix),
            text.greenF() * mix + base.greenF() * (1 - mix),
            text.blueF() * mix + base.blueF() * (1 - mix),
        )

    # -- accepting ------------------------------------------------------------------------------
    def accept_all(self) -> bool:
        """Insert the whole suggestion as one undo step; False when there is none."""
        text = self.ghost_text() if self._ghost_is_current() else ""
        if not text:
            return False
        self._ghost = None
        self._lay_out_ghost()
        self._insert(text, "suggestion")
        return True

    def accept_word(self) -> bool:
        """Insert the suggestion's next word as one undo step; the rest stays on screen."""
        ghost = self._ghost
        if not ghost or not self._ghost_is_current() or not ghost.text:
            return False
        match = _NEXT_WORD.match(ghost.text)
        word = match.group(0) if match else ghost.text
        rest = ghost.text[len(word) :]
        self._ghost = None
        self._lay_out_ghost()
        self._insert(word, "word")
        if rest.strip():
            # Keep the remainder, re-anchored to the new position and revision.
            self._ghost = Ghost(
                [rest], 0, self.textCursor().position(), self.document().revision(), streaming=False
            )
        self._refresh()
        return True

    def insert_text(self, text: str) -> None:
        """Insert model text at the cursor as one undo step of its own (presets use this too)."""
        text = model_text(text)
        if not text:
            return
        self.clear_ghost()
        cursor = self.textCursor()
        insert_as_undo_step(cursor, text)
        self.setTextCursor(cursor)

    def _insert(self, text: str, action: str) -> None:
        self._accepting = True
        try:
            cursor = self.textCursor()
            with model_insertion(self, action):
                insert_as_undo_step(cursor, model_text(text))
            self.setTextCursor(cursor)
        finally:
            self._accepting = False
        self.accepted.emit(text)
        self._refresh()

    # -- events ---------------------------------------------------------------------------------
    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802 - Qt's name
        """Copy, cut and drag carry the selection exactly (Qt's own turns U+00A0 into a space)."""
        data = QMimeData()
        data.setText(exact_selected_text(self.textCursor()))
        add_spans_to_mime(self, data, self.textCursor())  # a paste here keeps the model's spans
        return data

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt's name
        """Paste and drop insert the text exactly (Qt's own turns U+2029 and U+FDD0/1 into line breaks)."""
        if self.isReadOnly() or not source.hasText():
            return
        cursor = self.textCursor()
        with pasting(self, source):
            insert_as_undo_step(cursor, source.text())
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def _on_user_change(self) -> None:
        if self._accepting:
            return
        if self._ghost is not None and not self._ghost_is_current():
            self._ghost = None
            self._refresh()
        elif self._shown_text:
            self._lay_out_ghost()  # the same ghost, but an edit may have moved it
        self.user_edited.emit()

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802 - Qt's name
        """Input-method composition (CJK, dead keys): no ghost while a pre-edit area is shown."""
        # Composition uses the pre-edit area itself: take the ghost out first, and say the text is
        # changing so that the request in flight stops. Committed text then arrives as a normal edit.
        if self._ghost is not None or self._shown_text:
            self._ghost = None
            self._refresh()
        super().inputMethodEvent(event)
        if event.preeditString():
            self.user_edited.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        """A click drops the ghost, then moves the cursor as usual."""
        # Qt commits (drops) a pre-edit area on a click; clear the ghost first so the two agree.
        self.clear_ghost()
        super().mousePressEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Repaint the ghost in the new theme's colour when the palette changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._shown_text:
            self._remove_ghost_layout()
            self._lay_out_ghost()  # the ghost's colour follows the theme

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Tab, Ctrl+Right and Escape act on the ghost; any other key types and asks again."""
        event = plain_line_break(event)  # Shift+Enter: "\n", not U+2028
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
        if key not in _MODIFIER_KEYS:
            # Any other key acts on the text as it is: Up/Down and Home/End read the block's layout,
            # which must not hold the ghost then.
            self.clear_ghost()
        document, text = self.document(), event.text()
        length = document.characterCount()
        if text and text.isprintable() and document.revision() != self._typed_revision:
            # Typing right after an edit that was not typing (a preset's insertion, a paste) starts an
            # undo step of its own; Qt would otherwise merge it into that edit.
            block = QTextCursor(document)
            block.beginEditBlock()
            super().keyPressEvent(event)
            block.endEditBlock()
        else:
            super().keyPressEvent(event)
        # Typed text adds exactly its characters (a paste by Ctrl+V adds others).
        if text and text.isprintable() and document.characterCount() - length == len(text):
            self._typed_revision = document.revision()

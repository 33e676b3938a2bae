"""Continue from here: ghost alternatives after a word, offered in place of the rest of its paragraph.

The word popup's "Continue from Here" puts the cursor after the word, fades and strikes out the rest of
the paragraph (only painted: the text stays in the document) and asks for a suggestion there. Tab
replaces the rest of the paragraph with the ghost as one undo step; Esc (or any edit or cursor move,
which drops the ghost) leaves the text exactly as it was. Alt+] / Alt+[ cycle the alternatives as usual.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from gpt2_studio.gui.editor.ghost_editor import GHOST_OPACITY, GhostTextEdit
from gpt2_studio.gui.editor.insertion import insert_as_undo_step, model_text
from gpt2_studio.gui.editor.suggestions import SuggestionController
from gpt2_studio.gui.provenance.hooks import model_insertion


class ContinueHere(QObject):
    """Offers ghost continuations from a point, each replacing the rest of that point's paragraph."""

    def __init__(
        self, editor: GhostTextEdit, controller: SuggestionController, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.editor = editor
        self.controller = controller
        self.rest: QTextCursor | None = None  # the text a continuation replaces (follows edits)
        editor.ghost_changed.connect(self._on_ghost_changed)
        editor.installEventFilter(self)

    def close(self) -> None:
        """The window closes: stop watching the editor (a filter left on it crashes at exit)."""
        self.editor.removeEventFilter(self)

    @property
    def active(self) -> bool:
        """Whether continuations from a point are being offered."""
        return self.rest is not None

    def start(self, position: int) -> None:
        """Ask for continuations from a document position, in place of the rest of its paragraph."""
        editor = self.editor
        block = editor.document().findBlock(position)
        rest = QTextCursor(editor.document())
        rest.setPosition(position)
        rest.setPosition(block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        self.end()
        cursor = QTextCursor(editor.document())
        cursor.setPosition(position)
        editor.setTextCursor(cursor)
        editor.setFocus()
        self.rest = rest
        self._paint(rest)
        self.controller.suggest_now()
        if editor.ghost is None:  # no model, or a selection: nothing is offered
            self.end()

    def end(self) -> None:
        """Stop offering: the faded text shows as usual again (it never left the document)."""
        if self.rest is not None:
            self.rest = None
            self.editor.setExtraSelections([])

    def _paint(self, rest: QTextCursor) -> None:
        palette = self.editor.palette()
        text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
        faded = QColor.fromRgbF(
            *(
                t * GHOST_OPACITY + b * (1 - GHOST_OPACITY)
                for t, b in zip(text.getRgbF()[:3], base.getRgbF()[:3], strict=True)
            )
        )
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(rest)
        text_format = QTextCharFormat()
        text_format.setForeground(faded)
        text_format.setFontStrikeOut(True)
        selection.format = text_format
        self.editor.setExtraSelections([selection])

    def _on_ghost_changed(self) -> None:
        if self.rest is not None and self.editor.ghost is None:
            self.end()  # Esc, an edit, a cursor move or an empty answer: the text stays as it is

    def accept(self) -> bool:
        """Replace the rest of the paragraph with the ghost shown, as one undo step; False if none."""
        rest, text = self.rest, model_text(self.editor.ghost_text())
        if rest is None or not text or rest.anchor() != self.editor.textCursor().position():
            return False
        self.end()
        self.editor.clear_ghost()
        with model_insertion(self.editor, "continue"):
            insert_as_undo_step(rest, text)
        self.editor.setTextCursor(rest)
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Tab accepts a continuation in place of the rest of the paragraph."""
        if (
            self.rest is not None
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Tab
            and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
            and self.accept()
        ):
            return True
        return super().eventFilter(watched, event)

"""Counts the editor's words and characters (and the selection's) for the status bar.

The whole text is counted a short pause after typing stops, once per revision and only the lines that
changed, so a long document costs little per keystroke; the selection, which is small and changes with
the mouse, is counted at once. The ghost suggestion is laid out, not in the document: never counted.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QPlainTextEdit

from gpt2_studio.core.documents.text_stats import IncrementalCounter, TextCounts, count_text

COUNT_DELAY_MS = 300  # pause in typing before the whole text is counted again


class TextCounter(QObject):
    """Emits ``counted(total, selected)``: TextCounts of the document and of the selection (or None)."""

    counted = Signal(object, object)

    def __init__(self, editor: QPlainTextEdit, delay_ms: int = COUNT_DELAY_MS) -> None:
        super().__init__(editor)
        self._editor = editor
        self._revision = -1
        self._counter = IncrementalCounter()  # only the lines an edit changed are counted again
        self.total = TextCounts(0, 0)
        self.selected: TextCounts | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.count_now)
        editor.document().contentsChanged.connect(self._timer.start)
        editor.selectionChanged.connect(self._count_selection)
        self.count_now()

    def count_now(self) -> None:
        """Count the whole text (when it changed since the last count) and the selection, and emit."""
        self._timer.stop()
        document = self._editor.document()
        if document.revision() != self._revision:
            self._revision = document.revision()
            self.total = self._counter.count(document.toPlainText())
        self._count_selection()

    def _count_selection(self) -> None:
        cursor = self._editor.textCursor()
        self.selected = count_text(cursor.selectedText()) if cursor.hasSelection() else None
        self.counted.emit(self.total, self.selected)

"""The window marker: where the model's view of a long text begins, as a faint line in the editor.

When the text before the cursor is longer than the model's window, the engine keeps only its end. The
marker is a thin line across the editor's viewport at the top of the line where the kept text starts,
with a short bar in the left margin, in the theme's highlight colour; the status bar says how many
tokens are out of view. It is painted by a child widget over the viewport: the document, its undo stack
and its layout never see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

if TYPE_CHECKING:
    from gpt2_studio.gui.models.worker import ModelWorker, WindowFill

MARGIN_BAR = 3  # pixels: the bar's width at the viewport's left edge
LINE_ALPHA = 0.45  # the line across the text is fainter than the bar


class _Overlay(QWidget):
    """Paints the marker over the viewport; transparent to the mouse."""

    def __init__(self, marker: WindowMarker, viewport: QWidget) -> None:
        super().__init__(viewport)
        self._marker = marker
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """The bar in the margin and the faint line, at the top of the view's first line."""
        y = self._marker.marker_y()
        if y is None:
            return
        color = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        painter = QPainter(self)
        painter.fillRect(0, y - 1, MARGIN_BAR, 3, color)
        color.setAlphaF(LINE_ALPHA)
        pen = QPen(color, 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(MARGIN_BAR, y, self.width(), y)
        painter.end()


class WindowMarker(QObject):
    """Keeps the marker and the status bar's "N tokens out of view" in step with the window's fill."""

    def __init__(
        self, editor: QPlainTextEdit, worker: ModelWorker, report: Callable[[int, bool], None]
    ) -> None:
        """report(tokens, more): how many tokens are out of view (the status bar's set_out_of_view)."""
        super().__init__(editor)
        self.editor = editor
        self.worker = worker
        self._report = report
        self.out_of_view = 0  # tokens of the text before the cursor the model does not see
        self._start: QTextCursor | None = None  # follows edits until the next measurement
        self.overlay = _Overlay(self, editor.viewport())
        self.overlay.hide()
        editor.viewport().installEventFilter(self)
        editor.updateRequest.connect(lambda *_: self.overlay.update())

    @property
    def view_start(self) -> int | None:
        """The document position where the model's view begins, or None when it sees all the text."""
        return None if self._start is None else self._start.position()

    def block_number(self) -> int | None:
        """The block (paragraph) the marker is drawn at, or None when there is no marker."""
        return None if self._start is None else self._start.block().blockNumber()

    def show_fill(self, fill: WindowFill | None, text: str) -> None:
        """The window's fill for ``text``, the text before the cursor that was measured (None: no model)."""
        view = None if fill is None or fill.problem else fill.view_chars
        if view is None:
            self._set(None, 0, False)
            return
        cursor_position = self.editor.textCursor().position()
        cut = len(text) - view  # where the view begins in ``text``, which ends at the cursor
        counted = self.worker.count_tokens(text[:cut]) or 0
        # The text sent is the document's end before the cursor; anything before it is out of view too.
        more = cursor_position > len(text)
        self._set(max(0, cursor_position - view), counted, more)

    def _set(self, position: int | None, tokens: int, more: bool) -> None:
        self.out_of_view = tokens
        if position is None:
            self._start = None
        else:
            self._start = QTextCursor(self.editor.document())
            self._start.setPosition(min(position, self.editor.document().characterCount() - 1))
        self._report(tokens, more)
        self.overlay.setVisible(position is not None)
        self.overlay.resize(self.editor.viewport().size())
        self.overlay.update()

    def marker_y(self) -> int | None:
        """The viewport y of the top of the line where the view begins, or None."""
        if self._start is None:
            return None
        return self.editor.cursorRect(self._start).top()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """The overlay covers the viewport whatever its size."""
        if event.type() == QEvent.Type.Resize:
            self.overlay.resize(self.editor.viewport().size())
        return super().eventFilter(watched, event)

    def close(self) -> None:
        """The window closes: stop watching the viewport (a Python filter left behind crashes at exit)."""
        self.editor.viewport().removeEventFilter(self)

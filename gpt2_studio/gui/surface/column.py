"""The writing surface's text column: centred, a chosen number of characters wide, with margins.

The column is the editor's viewport, narrowed by viewport margins (QAbstractScrollArea's own mechanism),
so the document, its layout width and every viewport coordinate the ghost, the lens and the window
marker use stay Qt's own. The margins are painted in the text's background colour, so the page reads
as one surface in both themes, and the wheel, clicks and drags there act on the text as they would at
the column's edge.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QMouseEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QFrame, QPlainTextEdit

# Margins in units of the font's line spacing: at least this much either side, and above and below.
SIDE_MARGIN_LINES = 1.5
TOP_MARGIN_LINES = 1.0
# The average width of a character of prose: lower-case letters and the space, as they occur in text.
_PROSE_SAMPLE = "the quick brown fox jumps over the lazy dog "
_MOUSE_EVENTS = (
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove,
)


def prose_char_width(metrics: QFontMetricsF) -> float:
    """The mean advance of a character of English prose in this font, in pixels."""
    return metrics.horizontalAdvance(_PROSE_SAMPLE) / len(_PROSE_SAMPLE)


class TextColumn(QObject):
    """Keeps ``editor``'s text in a centred column of ``width`` characters (0 = the full width)."""

    def __init__(self, editor: QPlainTextEdit, width: int = 0) -> None:
        super().__init__(editor)
        self._editor = editor
        self._width = width
        editor.setFrameShape(QFrame.Shape.NoFrame)
        # The margins belong to the editor widget, not the viewport: give them the text's background.
        editor.setBackgroundRole(QPalette.ColorRole.Base)
        editor.setAutoFillBackground(True)
        editor.setCursor(Qt.CursorShape.IBeamCursor)
        self._margins = (-1, -1, -1)
        editor.installEventFilter(self)
        editor.verticalScrollBar().installEventFilter(self)
        self.update()

    @property
    def width(self) -> int:
        """The column's width in characters; 0 = the window's full width."""
        return self._width

    def set_width(self, characters: int) -> None:
        """A column ``characters`` wide (0 = full width)."""
        self._width = characters
        self.update()

    def column_pixels(self) -> int:
        """The width the text gets now, in pixels (the viewport's width)."""
        return self._editor.viewport().width()

    def update(self) -> None:
        """Set the margins for the editor's size, font and scroll bar now."""
        editor = self._editor
        metrics = QFontMetricsF(editor.font())
        line = metrics.lineSpacing()
        side = round(SIDE_MARGIN_LINES * line)
        top = round(TOP_MARGIN_LINES * line)
        width = editor.contentsRect().width()
        scroll_bar = editor.verticalScrollBar()
        # Centred in the whole editor, scroll bar or not, so the column stays put when the bar comes and
        # goes: the bar takes its width from the right margin.
        bar = scroll_bar.sizeHint().width() if scroll_bar.isVisibleTo(editor) else 0
        left = side
        if self._width:
            # The text's own width, plus the document margin Qt keeps inside the viewport on each side.
            wanted = round(self._width * prose_char_width(metrics) + 2 * editor.document().documentMargin())
            left = max(side, (width - wanted) // 2)
        left = max(0, min(left, (width - bar - 1) // 2))  # a narrow window: the margins give way
        right = max(0, left - bar)
        if (left, top, right) != self._margins:
            self._margins = (left, top, right)
            editor.setViewportMargins(left, top, right, top // 2)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Follow the editor's size and font; pass the margins' wheel and mouse to the column."""
        kind = event.type()
        if watched is not self._editor:  # the scroll bar
            if kind in (QEvent.Type.Show, QEvent.Type.Hide):
                self.update()
            return False
        if kind in (QEvent.Type.Resize, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.update()
        elif kind == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            QApplication.sendEvent(self._editor.viewport(), self._moved_wheel(event))
            return True
        elif kind in _MOUSE_EVENTS and isinstance(event, QMouseEvent):
            QApplication.sendEvent(self._editor.viewport(), self._moved_mouse(event))
            return True
        return False

    def close(self) -> None:
        """The window closes: stop watching the editor (a Python filter left behind crashes at exit)."""
        self._editor.removeEventFilter(self)
        self._editor.verticalScrollBar().removeEventFilter(self)

    def _in_viewport(self, position: QPointF) -> QPointF:
        """A point of the editor as the nearest point of its viewport, in the viewport's coordinates."""
        viewport = self._editor.viewport()
        local = position - QPointF(viewport.pos())
        return QPointF(
            min(max(local.x(), 0.0), viewport.width() - 1.0),
            min(max(local.y(), 0.0), viewport.height() - 1.0),
        )

    def _moved_mouse(self, event: QMouseEvent) -> QMouseEvent:
        local = self._in_viewport(event.position())
        global_point = QPointF(self._editor.viewport().mapToGlobal(local.toPoint()))
        return QMouseEvent(
            event.type(), local, global_point, event.button(), event.buttons(), event.modifiers()
        )

    def _moved_wheel(self, event: QWheelEvent) -> QWheelEvent:
        local = self._in_viewport(event.position())
        return QWheelEvent(
            local,
            event.globalPosition(),
            event.pixelDelta(),
            event.angleDelta(),
            event.buttons(),
            event.modifiers(),
            event.phase(),
            event.inverted(),
        )

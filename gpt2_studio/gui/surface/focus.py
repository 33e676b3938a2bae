"""Focus mode: the panels out of the way and every paragraph but the one being written dimmed.

The dimming is a veil of the text's own background colour painted by a child widget over the editor's
viewport, with a hole where the cursor's paragraph is: the document, its formats (the likelihood lens's
tints, the ghost's) and its undo stack never see it, and both themes dim alike.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette
from PySide6.QtWidgets import QDockWidget, QMainWindow, QPlainTextEdit, QToolBar, QWidget

DIM_OPACITY = 0.6  # how much of the background covers the other paragraphs' text


class ParagraphDimmer(QWidget):
    """Covers the editor's viewport with a veil of its background, except the cursor's paragraph."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor.viewport())
        self._editor = editor
        self.setObjectName("focus-dimmer")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        editor.viewport().installEventFilter(self)
        editor.cursorPositionChanged.connect(self.update)
        editor.updateRequest.connect(lambda _rect, _dy: self.update())
        self.setGeometry(editor.viewport().rect())
        self.hide()

    def current_paragraph_rect(self) -> QRectF:
        """Where the cursor's paragraph is in the viewport, across its whole width."""
        editor = self._editor
        block = editor.textCursor().block()
        rect = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
        return QRectF(0.0, rect.top(), float(self.width()), rect.height())

    def veil_color(self) -> QColor:
        """The editor's background at DIM_OPACITY: text under it fades towards the background."""
        color = QColor(self._editor.palette().color(QPalette.ColorRole.Base))
        color.setAlphaF(DIM_OPACITY)
        return color

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Keep covering the viewport as it is resized."""
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self._editor.viewport().rect())
        return False

    def detach(self) -> None:
        """The window closes: stop watching the viewport (a Python filter left behind crashes at exit)."""
        self._editor.viewport().removeEventFilter(self)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """The veil everywhere but the current paragraph."""
        veil = QPainterPath()
        veil.addRect(QRectF(self.rect()))
        hole = QPainterPath()
        hole.addRect(self.current_paragraph_rect())
        painter = QPainter(self)
        painter.fillPath(veil.subtracted(hole), self.veil_color())
        painter.end()


class FocusMode(QObject):
    """Hides the window's panels and toolbars and dims the other paragraphs; off restores them."""

    toggled = Signal(bool)

    def __init__(self, window: QMainWindow, editor: QPlainTextEdit) -> None:
        super().__init__(window)
        self._window = window
        self._editor = editor
        self.dimmer = ParagraphDimmer(editor)
        self._hidden: list[QWidget] = []  # what focus mode hid, to show again when it ends
        self._active = False

    @property
    def active(self) -> bool:
        """Whether focus mode is on."""
        return self._active

    def set_active(self, on: bool) -> None:
        """Turn focus mode on or off (the panels shown before come back when it ends)."""
        if on == self._active:
            return
        self._active = on
        if on:
            panels = [*self._window.findChildren(QDockWidget), *self._window.findChildren(QToolBar)]
            self._hidden = [panel for panel in panels if panel.isVisible() and panel.parent() is self._window]
            for panel in self._hidden:
                panel.hide()
            self.dimmer.setGeometry(self._editor.viewport().rect())
            self.dimmer.show()
            self.dimmer.raise_()
            self._editor.setFocus()
        else:
            self.dimmer.hide()
            for panel in self._hidden:
                panel.show()
            self._hidden = []
        self.toggled.emit(on)

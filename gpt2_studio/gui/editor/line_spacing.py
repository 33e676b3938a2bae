"""Line spacing for a QPlainTextEdit without touching the document.

QPlainTextEdit's layout ignores a block format's line height, and setting block formats would be an edit
anyway: it bumps the document's revision (which the ghost suggestion and the likelihood lens are keyed
to), adds undo steps and marks the document modified. So the spacing is applied to the layout instead:
after Qt lays a block out, its lines are moved apart (half the extra space above the first line, the whole
extra between lines, half below the last), and the block's bounding rectangle, which the editor uses to
stack, paint and hit-test blocks, grows to match. The text, the revision and the undo stack never see it.

Qt lays a block out again whenever it changes (or the width does) and always puts a fresh layout's first
line at y = 0; a spaced layout's first line is lower, so a block is spaced exactly once per layout.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QTextBlock, QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout, QWidget


class SpacedLayout(QPlainTextDocumentLayout):
    """QPlainTextEdit's document layout with extra space between lines (a percentage of each line)."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._extra = 0.0  # the share of each line's height added as space (0.5 at 150%)

    @property
    def line_spacing(self) -> int:
        """The line height in percent of the font's own line spacing (100 = Qt's default)."""
        return round(100 * (1 + self._extra))

    def set_line_spacing(self, percent: int) -> None:
        """Space lines at ``percent`` of the font's line spacing (100 or more) and lay the text out again."""
        extra = max(0, percent - 100) / 100
        if extra == self._extra:
            return
        self._extra = extra
        # Every block laid out (and so spaced) anew; like the ghost's layout, this emits no contentsChanged
        # and leaves the revision and the undo stack alone.
        document = self.document()
        document.markContentsDirty(0, document.characterCount())

    def blockBoundingRect(self, block: QTextBlock) -> QRectF:  # noqa: N802 - Qt's name
        """The block's rectangle with its lines spaced (spacing them first when Qt laid them out anew)."""
        rect = super().blockBoundingRect(block)  # lays the block out when it has no layout
        layout = block.layout()
        count = layout.lineCount() if layout is not None else 0
        if not count or not self._extra:
            return rect
        if layout.lineAt(0).y() == 0:  # a fresh layout: space it once
            shift = 0.0
            for index in range(count):
                line = layout.lineAt(index)
                shift += self._extra * line.height() * (0.5 if index == 0 else 1.0)
                line.setPosition(QPointF(line.x(), line.y() + shift))
            rect = super().blockBoundingRect(block)
        rect.setHeight(rect.height() + self._extra * layout.lineAt(count - 1).height() / 2)
        return rect


def spaced_document(parent: QWidget) -> tuple[QTextDocument, SpacedLayout]:
    """An empty document laid out by a SpacedLayout (at 100% until told otherwise), owned by ``parent``.

    The caller keeps both Python objects for as long as ``parent`` lives: Qt calls the layout's Python
    methods on every paint, and a layout whose Python object was collected crashes the next one.
    """
    document = QTextDocument(parent)
    layout = SpacedLayout(document)
    document.setDocumentLayout(layout)
    return document, layout

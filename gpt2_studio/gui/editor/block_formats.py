"""The layout formats of an editor's blocks, merged from several layers (lens tints, spelling underlines).

Layers draw on the text without editing it: each block's QTextLayout gets FormatRanges, then the block
is laid out again with QTextDocument.markContentsDirty. The document's text, its revision, its undo
stack and the saved file never see them (QSyntaxHighlighter is not used: its rehighlight opens an edit
block, which bumps the revision, and the ghost suggestion is keyed to the revision).

A block's layout holds one list of formats, so two layers that each set it would wipe each other's.
Every layer registers a function giving its ranges for a block, and `paint(block)` sets the union, the
layers in the order they were added (a later layer's properties win where ranges overlap, the others
stay: a tint's background and an underline's wave show together).

The ghost editor lays its suggestion out in the cursor block's pre-edit area and restores the formats
it saw before when the ghost goes: a block painted while it holds a ghost gets its ranges around the
ghost, and is painted again on ghost_changed (connected once, here).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QTextBlock, QTextCharFormat, QTextLayout
from PySide6.QtWidgets import QPlainTextEdit

#: One range: start and length in the block (UTF-16 units, Qt's), and its format.
Range = tuple[int, int, QTextCharFormat]
Layer = Callable[[QTextBlock], list[Range]]


def utf16_length(text: str) -> int:
    """Qt's length of text: UTF-16 code units (a character outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def around_ghost(item: Range, at: int, length: int) -> list[Range]:
    """A range with a ghost of `length` units laid out at `at`: moved past it, or split around it."""
    first, count, char_format = item
    if first >= at:
        return [(first + length, count, char_format)]
    if first + count <= at:
        return [item]
    return [(first, at - first, char_format), (at + length, first + count - at, char_format)]


class BlockFormats(QObject):
    """One editor's block formats, the union of its layers; get it with BlockFormats.of(editor)."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self.setObjectName("block-formats")
        self._editor = editor
        self._layers: dict[str, Layer] = {}
        self._held_back: set[int] = set()  # block numbers painted around a ghost: painted again after
        ghost_changed = getattr(editor, "ghost_changed", None)
        if ghost_changed is not None:
            ghost_changed.connect(self.ghost_changed)

    @classmethod
    def of(cls, editor: QPlainTextEdit) -> BlockFormats:
        """The editor's BlockFormats (made on first use, a child of the editor)."""
        found = editor.findChild(BlockFormats, "block-formats")
        return found if found is not None else cls(editor)

    def add_layer(self, name: str, layer: Layer) -> None:
        """Register (or replace) a layer: layer(block) gives its ranges for the block, block-relative."""
        self._layers[name] = layer

    def ranges(self, block: QTextBlock) -> list[Range]:
        """Every layer's ranges for block, in the layers' order (without any ghost)."""
        return [item for layer in self._layers.values() for item in layer(block)]

    def paint(self, block: QTextBlock) -> None:
        """Set block's formats to its layers' ranges (around a ghost); lays it out again if they changed."""
        ranges = self.ranges(block)
        layout = block.layout()
        current = layout.formats()
        ghost = layout.preeditAreaText()
        if ghost:
            self._held_back.add(block.blockNumber())
            at, length = layout.preeditAreaPosition(), utf16_length(ghost)
            ranges = [piece for item in ranges for piece in around_ghost(item, at, length)]
            ranges += [(r.start, r.length, r.format) for r in current if at <= r.start < at + length]
        if ranges == [(r.start, r.length, r.format) for r in current]:
            return
        formats = []
        for first, count, char_format in ranges:
            item = QTextLayout.FormatRange()
            item.start, item.length, item.format = first, count, char_format
            formats.append(item)
        layout.setFormats(formats)
        # Lays the block out again without an edit (no revision, no contentsChanged, no undo step).
        self._editor.document().markContentsDirty(block.position(), block.length())

    def ghost_changed(self) -> None:
        """The ghost grew, moved or went: paint the blocks it is in, or was in, again."""
        document = self._editor.document()
        held, self._held_back = self._held_back, set()
        for number in sorted(held | {self._editor.textCursor().blockNumber()}):
            block = document.findBlockByNumber(number)
            if block.isValid():
                self.paint(block)

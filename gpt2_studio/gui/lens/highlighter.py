"""The heat map: each token's characters tinted by how the model ranked it, and the hover tooltip.

Tints are the blocks' layout formats (one layer of editor/block_formats.py, shared with the spelling
underlines), set the way the ghost editor lays out its ghost: the document's
text, its revision, its undo stack and the saved file never see them. (QSyntaxHighlighter is not used:
its rehighlight opens an edit block, which bumps the revision and emits contentsChanged, so every new
score would look like an edit and drop the ghost suggestion.) In the block that holds a ghost (in its
pre-edit area) the tints go around the ghost, and that block is tinted again once the ghost goes,
because the ghost editor then restores the formats it saw when the ghost came.

New scores or a new colouring tint the blocks on screen at once and the rest in slices of a few
milliseconds from the event loop, so a long document's tints never hold up typing or painting.
"""

from __future__ import annotations

import html
import math
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QBrush, QTextBlock, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

from gpt2_studio.gui.editor.block_formats import BlockFormats, Range
from gpt2_studio.gui.lens.colors import (
    BUCKET_HUES,
    COLORINGS,
    RANK_BUCKETS,
    rank_bucket,
    surprisal_hue,
    surprisal_step,
    tint,
)
from gpt2_studio.gui.lens.spans import TokenSpans

if TYPE_CHECKING:  # scoring imports torch, which only the model worker loads
    from gpt2_studio.core.generation.scoring import TokenScore

TOOLTIP_TOP = 10  # the model's likeliest next tokens a tooltip lists
SLICE_SECONDS = 0.005  # off-screen blocks are tinted in slices this long, between other events


def moved_position(at: int, position: int, removed: int, added: int) -> int:
    """Where position `at` is after an edit replaced `removed` units at `position` with `added`."""
    if at <= position:
        return at
    if at >= position + removed:
        return at + added - removed
    return position + added


def shown_token(text: str) -> str:
    """A token's text for a tooltip: quoted, with line breaks and tabs made visible."""
    return '"' + text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"'


def _percent(probability: float) -> str:
    if probability >= 0.001:
        return f"{100 * probability:.1f}%"
    return f"{100 * probability:.2g}%"


def token_tooltip(token: TokenScore) -> str:
    """Rich text for hovering a TokenScore: probability, rank, surprisal and the model's top choices."""
    lines = [
        f"<b>{html.escape(shown_token(token.text))}</b>",
        f"Probability {_percent(token.probability)} · rank {token.rank:,} · {token.surprisal_bits:.2f} bits",
    ]
    top = token.top[:TOOLTIP_TOP]
    if top:
        lines.append(f"The model's top {len(top)} at this point:")
        lines.extend(
            f"{i}. {html.escape(shown_token(choice.text))} {_percent(math.exp(choice.logprob))}"
            for i, choice in enumerate(top, 1)
        )
    return "<p style='white-space:pre'>" + "<br>".join(lines) + "</p>"


class LensHighlighter(QObject):
    """Tints the editor's tokens from its TokenSpans, keeping them on their characters through edits."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self._editor = editor
        self.spans = TokenSpans()
        self.coloring = COLORINGS[0]
        self.thresholds = RANK_BUCKETS  # GLTR's rank buckets (a setting)
        self._formats: dict[tuple[str, float], QTextCharFormat] = {}
        # The blocks' formats are shared with the editor's other layers (spelling underlines).
        self._block_formats = BlockFormats.of(editor)
        self._block_formats.add_layer("lens", self._ranges)
        self._pending: tuple[int, int] | None = None  # positions whose blocks still wait for their tints
        self._slicer = QTimer(self)
        self._slicer.setSingleShot(True)
        self._slicer.setInterval(0)
        self._slicer.timeout.connect(self._paint_slice)
        editor.document().contentsChange.connect(self._on_contents_change)

    def _on_contents_change(self, position: int, removed: int, added: int) -> None:
        # Layout formats stay put in an edited block: move the spans, then tint the edited blocks anew.
        if self._pending is not None:
            low, high = (moved_position(at, position, removed, added) for at in self._pending)
            self._pending = (low, high) if high > low else None
        if not self.spans:
            return  # nothing tinted (a block left alone for a ghost is tinted when the ghost goes)
        self.spans.edit(position, removed, added)
        self.repaint(position, position + added)

    @property
    def painting(self) -> bool:
        """Whether some blocks still wait for their tints (they get them between other events)."""
        return self._pending is not None

    # -- painting -------------------------------------------------------------------------------
    def set_coloring(self, coloring: str) -> None:
        """Colour by "rank" (GLTR's buckets) or "surprisal" (a continuous scale); repaints every block."""
        if coloring not in COLORINGS:
            raise ValueError(f"coloring must be one of {', '.join(COLORINGS)}, not {coloring!r}")
        self.coloring = coloring
        self.repaint_all()

    def set_thresholds(self, thresholds: tuple[int, ...]) -> None:
        """New rank-bucket thresholds (three, increasing); repaints every block."""
        self.thresholds = tuple(thresholds)
        self.repaint_all()

    def repaint_all(self) -> None:
        """Tint every token again (a new theme or colouring)."""
        self._formats.clear()
        if self.spans:
            self.schedule(0, self.spans.end())

    def set_spans(self, spans: TokenSpans) -> None:
        """New scores: tint the blocks where they differ from the spans shown (on screen first)."""
        old, self.spans = self.spans, spans
        first = old.first_difference(spans)
        if first >= 0:
            self.schedule(first, max(old.end(), spans.end()))

    def schedule(self, start: int, end: int) -> None:
        """Tint the blocks from start to end again: those on screen now, the others in slices after."""
        visible_start, visible_end = self._visible()
        if max(start, visible_start) <= min(end, visible_end):
            self.repaint(max(start, visible_start), min(end, visible_end))
        if self._pending is not None:
            start, end = min(start, self._pending[0]), max(end, self._pending[1])
        self._pending = (start, end)
        self._slicer.start()

    def _visible(self) -> tuple[int, int]:
        """The first and last positions of the blocks on screen."""
        # By block geometry: a hit test would count a ghost's pre-edit characters as the document's.
        editor = self._editor
        block = editor.firstVisibleBlock()
        first, last = block.position(), block.position()
        bottom, offset = editor.viewport().height(), editor.contentOffset()
        while block.isValid() and editor.blockBoundingGeometry(block).translated(offset).top() <= bottom:
            last = block.position() + max(0, block.length() - 1)
            block = block.next()
        return first, last

    def _paint_slice(self) -> None:
        """Tint the waiting blocks for SLICE_SECONDS, then let other events run before the next slice."""
        if self._pending is None:
            return
        start, end = self._pending
        deadline = time.perf_counter() + SLICE_SECONDS
        block = self._editor.document().findBlock(start)
        while block.isValid() and block.position() < end:
            self._paint(block)
            block = block.next()
            if time.perf_counter() > deadline:
                break
        if block.isValid() and block.position() < end:
            self._pending = (block.position(), end)
            self._slicer.start()
        else:
            self._pending = None

    def repaint(self, start: int, end: int) -> None:
        """Tint the blocks from the one holding position start to the one holding end again."""
        document = self._editor.document()
        block = document.findBlock(start)
        last = document.findBlock(max(start, end - 1)).blockNumber()
        while block.isValid() and block.blockNumber() <= last:
            self._paint(block)
            block = block.next()

    def ghost_changed(self) -> None:
        """The ghost grew, moved or went: tint the blocks it is in, or was in, again."""
        self._block_formats.ghost_changed()

    def _paint(self, block: QTextBlock) -> None:
        """Set one block's formats: the tints and the editor's other layers, around any ghost."""
        self._block_formats.paint(block)

    def _ranges(self, block: QTextBlock) -> list[Range]:
        """The lens' layer: a tint per token span that falls in the block, block-relative."""
        start = block.position()
        end = start + max(0, block.length() - 1)  # Qt's units; the paragraph break is not drawn
        spans = self.spans
        ranges: list[Range] = []
        for index in spans.overlapping(start, end):
            begin = max(spans.starts[index], start)
            stop = min(spans.ends[index], end)
            if stop > begin:
                ranges.append((begin - start, stop - begin, self._format(spans.tokens[index])))
        return ranges

    def _format(self, token: TokenScore) -> QTextCharFormat:
        if self.coloring == "surprisal":
            key = ("surprisal", surprisal_step(token.surprisal_bits))
        else:
            key = ("rank", float(rank_bucket(token.rank, self.thresholds)))
        char_format = self._formats.get(key)
        if char_format is None:
            hue = surprisal_hue(key[1]) if key[0] == "surprisal" else BUCKET_HUES[int(key[1])]
            char_format = QTextCharFormat()
            char_format.setBackground(QBrush(tint(self._editor.palette(), hue)))
            self._formats[key] = char_format
        return char_format

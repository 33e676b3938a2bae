"""Showing provenance: a tint over model text (an underline under pasted text) as a block-formats layer,
the record on hover, and the share in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QColor, QHelpEvent, QPalette, QTextBlock, QTextCharFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QToolTip

from gpt2_studio.gui.editor.block_formats import BlockFormats, Range
from gpt2_studio.gui.provenance.tracker import ProvenanceTracker

LAYER = "provenance"
TINT_ALPHA = 60  # of 255: the highlight colour, faint enough to read through in both themes


class ProvenanceView(QObject):
    """The layer, the tooltip and the status-bar share of one editor's tracker."""

    def __init__(self, editor: QPlainTextEdit, tracker: ProvenanceTracker, label: QLabel) -> None:
        super().__init__(editor)
        self.editor, self.tracker, self.label = editor, tracker, label
        self.shown = False
        self.formats = BlockFormats.of(editor)
        self.formats.add_layer(LAYER, self.ranges)
        self._share_timer = QTimer(self)
        self._share_timer.setSingleShot(True)
        self._share_timer.setInterval(150)  # typing updates the label at most this often
        self._share_timer.timeout.connect(self.update_share)
        tracker.changed.connect(self._on_changed)
        tracker.reset_done.connect(self._on_reset)
        editor.viewport().installEventFilter(self)
        self.update_share()

    # -- the layer ------------------------------------------------------------------------------
    def _formats(self) -> tuple[QTextCharFormat, QTextCharFormat]:
        palette = self.editor.palette()
        tint = QColor(palette.color(QPalette.ColorRole.Highlight))
        tint.setAlpha(TINT_ALPHA)
        model = QTextCharFormat()
        model.setBackground(tint)
        pasted = QTextCharFormat()
        pasted.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
        pasted.setUnderlineColor(palette.color(QPalette.ColorRole.PlaceholderText))
        return model, pasted

    def ranges(self, block: QTextBlock) -> list[Range]:
        """The layer's ranges in ``block`` (none while hidden)."""
        if not self.shown:
            return []
        start = block.position()
        spans = self.tracker.table.overlapping(start, start + block.length() - 1)
        if not spans:
            return []
        model, pasted = self._formats()
        records = self.tracker.records
        return [
            (max(s, start) - start, min(e, start + block.length() - 1) - max(s, start),
             model if records[r].kind == "model" else pasted)
            for s, e, r in spans
        ]  # fmt: skip

    def set_shown(self, shown: bool) -> None:
        """View → Show Model Text."""
        if shown == self.shown:
            return
        self.shown = shown
        self._paint_spans()

    def _paint_spans(self) -> None:
        """Paint again every block that holds a span (O(spans), not O(document))."""
        document = self.editor.document()
        last = -1
        for start, end, _record in self.tracker.spans():
            block = document.findBlock(start)
            while block.isValid() and block.position() < end:
                if block.blockNumber() != last:
                    self.formats.paint(block)
                    last = block.blockNumber()
                block = block.next()

    def _paint_range(self, start: int, end: int) -> None:
        document = self.editor.document()
        block = document.findBlock(start)
        while block.isValid() and block.position() <= end:
            self.formats.paint(block)
            block = block.next()

    def _on_changed(self, start: int, end: int) -> None:
        if self.shown:
            self._paint_range(start, end)
        self._share_timer.start()

    def _on_reset(self) -> None:
        if self.shown:
            self._paint_spans()
        self.update_share()

    # -- the share and the tooltip --------------------------------------------------------------
    def update_share(self) -> None:
        """The status bar's "Model text" figure: characters and percent (hidden when there is none)."""
        share = self.tracker.share()
        chars = int(share["model_chars"])
        self.label.setVisible(chars > 0)
        self.label.setText(f"Model text: {chars:,} chars ({share['model_percent']:.1f}%)")
        pasted = int(share["pasted_chars"])
        self.label.setToolTip(
            f"{chars:,} of {int(share['total_chars']):,} characters were written by a model"
            + (f"; {pasted:,} were pasted from elsewhere." if pasted else ".")
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Hovering shown model or pasted text shows its record."""
        if self.shown and event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            position = self.editor.cursorForPosition(event.pos()).position()
            found = self.tracker.record_at(position) or self.tracker.record_at(position - 1)
            if found is not None:
                QToolTip.showText(event.globalPos(), found[1].describe(), self.editor.viewport())
                return True
        return False

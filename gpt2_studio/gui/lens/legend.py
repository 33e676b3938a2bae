"""The likelihood lens' status-bar legend: what the tints mean, and how far scoring has got."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from gpt2_studio.gui.lens.colors import COLORINGS, RANK_BUCKETS, bucket_names, legend

LEGEND_HELP = {
    "rank": (
        "Each token is tinted by the rank the model gave it, given all the text before it: "
        "its {buckets}, or beyond. Hover a token for its numbers."
    ),
    "surprisal": (
        "Each token is tinted by its surprisal, −log₂ p, given all the text before it: "
        "0 bits is what the model expected, 12 bits or more a surprise. Hover a token for its numbers."
    ),
}


class LensLegend(QWidget):
    """Swatches with their meaning, and "Scoring 40%" while a long document is being scored."""

    palette_changed = Signal()  # the theme changed: the editor's tints are worked out again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lens-legend")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("lens-progress")
        self.swatches = QLabel("")
        self.swatches.setObjectName("lens-swatches")
        layout.addWidget(self.progress_label)
        layout.addWidget(self.swatches)
        self.coloring = COLORINGS[0]
        self.thresholds = RANK_BUCKETS
        self.set_progress(None)
        self._refresh()

    def set_coloring(self, coloring: str) -> None:
        """Show the legend of "rank" or "surprisal"."""
        self.coloring = coloring
        self._refresh()

    def set_thresholds(self, thresholds: tuple[int, ...]) -> None:
        """Name the rank buckets by these thresholds."""
        self.thresholds = tuple(thresholds)
        self._refresh()

    def set_progress(self, share: float | None) -> None:
        """Scoring has done `share` (0…1) of the text; None: not scoring."""
        self.progress_label.setText("" if share is None else f"Scoring {int(100 * share)}%")
        self.progress_label.setVisible(share is not None)

    def _refresh(self) -> None:
        palette = self.palette()
        # The swatch's text is the label itself, on the tint, as the editor shows tokens.
        cells = "".join(
            f"<span style='background-color:{entry.color.name()};'>&nbsp;{entry.label}&nbsp;</span> "
            for entry in legend(palette, self.coloring, self.thresholds)
        )
        self.swatches.setText(cells.strip())
        buckets = ", ".join(bucket_names(self.thresholds)[:-1])
        self.swatches.setToolTip(LEGEND_HELP[self.coloring].format(buckets=buckets))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Take the new theme's tints when the palette changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._refresh()
            self.palette_changed.emit()

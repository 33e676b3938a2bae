"""The live loss curve: training loss per step and held-out loss per evaluation, drawn with pyqtgraph.

pyqtgraph (already the statistics dock's plotting library) is imported when the dialog is first opened,
not with the window. It follows the theme's palette as the statistics dock does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

# Blue and orange: told apart by most colour-blind readers, and readable on light and dark backgrounds.
TRAINING_COLOR = "#3a86d4"
HELDOUT_COLOR = "#f08a24"


def _finite(points: Sequence[tuple[int, float]]) -> tuple[list[int], list[float]]:
    kept = [(step, loss) for step, loss in points if math.isfinite(loss)]
    return [p[0] for p in kept], [p[1] for p in kept]


class LossPlot(QWidget):
    """Two curves over optimizer steps: training loss (a line) and held-out loss (line and dots)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("training-loss-plot")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "loss (nats per token)")
        self.plot.setLabel("bottom", "step")
        self.plot.setMinimumHeight(180)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.training_curve = self.plot.plot([], [], name="training")
        self.heldout_curve = self.plot.plot([], [], name="held-out", symbol="o", symbolSize=6)
        layout.addWidget(self.plot)
        self._apply_theme()

    def set_points(
        self, training: Sequence[tuple[int, float]], heldout: Sequence[tuple[int, float]], steps: int = 0
    ) -> None:
        """Redraw both curves over 0..``steps`` (the planned total; 0: as far as drawn); NaN and infinite
        losses are left out."""
        if steps > 0:
            self.plot.setXRange(0, steps, padding=0.02)
        else:
            self.plot.enableAutoRange(axis="x")
        self.training_curve.setData(*_finite(training))
        self.heldout_curve.setData(*_finite(heldout))

    def curve_data(self) -> dict[str, tuple[list[float], list[float]]]:
        """What is drawn, per curve name: (steps, losses)."""
        data: dict[str, tuple[list[float], list[float]]] = {}
        for name, curve in (("training", self.training_curve), ("held-out", self.heldout_curve)):
            xs, ys = curve.getData()
            data[name] = (
                [] if xs is None else [float(x) for x in xs],
                [] if ys is None else [float(y) for y in ys],
            )
        return data

    def _apply_theme(self) -> None:
        import pyqtgraph as pg

        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        pen = pg.mkPen(QColor(text))
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pen)
            axis.setTextPen(pen)
            axis.label.setDefaultTextColor(text)
        training, heldout = QColor(TRAINING_COLOR), QColor(HELDOUT_COLOR)
        self.training_curve.setPen(pg.mkPen(training, width=2))
        self.heldout_curve.setPen(pg.mkPen(heldout, width=2))
        self.heldout_curve.setSymbolBrush(pg.mkBrush(heldout))
        self.heldout_curve.setSymbolPen(pg.mkPen(heldout))
        legend: Any = self.legend
        legend.setLabelTextColor(text)
        for _sample, label in legend.items:  # the colour applies from the next setText on
            label.setText(label.text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Follow the theme."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "legend"):
            self._apply_theme()

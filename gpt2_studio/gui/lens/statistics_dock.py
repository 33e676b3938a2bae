"""View → Likelihood Statistics: the document's perplexity and GLTR's two histograms, drawn with pyqtgraph.

The rank histogram counts the tokens in each rank bucket (the lens' thresholds); the fraction histogram
counts tokens by p(token) / p(model's top choice) in tenths, as GLTR shows it. The dock is fed by the
lens controller's scores, which it keeps asking for while the dock is shown, lens on or off.
pyqtgraph is imported when the dock is first shown: importing it with the window took seconds on a busy
machine, before the window could appear.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QKeySequence, QPalette, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QVBoxLayout, QWidget

from gpt2_studio.gui.lens.colors import BUCKET_HUES, RANK_BUCKETS, bucket_names, rank_bucket, tint

if TYPE_CHECKING:
    from gpt2_studio.core.generation.scoring import Scores, TokenScore
    from gpt2_studio.gui.lens.controller import LensController

STATISTICS_SHORTCUT = "Ctrl+Shift+H"  # H for histograms; Ctrl+Shift+S is Save As
FRACTION_BINS = 10


def rank_counts(tokens: Sequence[TokenScore], thresholds: tuple[int, ...] = RANK_BUCKETS) -> list[int]:
    """How many tokens fall in each rank bucket (len(thresholds) + 1 counts)."""
    counts = [0] * (len(thresholds) + 1)
    for token in tokens:
        counts[rank_bucket(token.rank, thresholds)] += 1
    return counts


def probability_fraction(token: TokenScore) -> float:
    """p(token) / p(the model's top choice there), 0…1 (1 when the token was the top choice)."""
    if token.rank == 1 or not token.top_logprobs:
        return 1.0
    return min(1.0, math.exp(token.logprob - token.top_logprobs[0]))


def fraction_counts(tokens: Sequence[TokenScore], bins: int = FRACTION_BINS) -> list[int]:
    """How many tokens have a probability fraction in each of `bins` equal bins of 0…1 (1 in the last)."""
    counts = [0] * bins
    for token in tokens:
        counts[min(bins - 1, int(probability_fraction(token) * bins))] += 1
    return counts


class StatisticsDock(QDockWidget):
    """Perplexity, tokens per rank bucket, and the distribution of p(token)/p(top)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Likelihood Statistics", parent)
        self.setObjectName("statistics-dock")  # saveState/restoreState find it by this name
        self.thresholds = RANK_BUCKETS
        self.tokens: Sequence[TokenScore] = ()
        self._stale = False  # scores came while the dock was hidden: drawn when it shows
        body = QWidget()
        layout = QVBoxLayout(body)
        self.perplexity_label = QLabel("Perplexity: not scored yet")
        self.perplexity_label.setObjectName("statistics-perplexity")
        self.perplexity_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.perplexity_label)
        self._layout = layout
        self._built = False
        self.setWidget(body)

    def _build_plots(self) -> None:
        """The two plots, made the first time they are needed (see the module's docstring)."""
        if self._built:
            return
        import pyqtgraph as pg

        self._built = True
        layout = self._layout
        self.rank_plot = pg.PlotWidget()
        self.rank_plot.setObjectName("statistics-rank-plot")
        self.rank_bars = pg.BarGraphItem(x=range(4), height=[0] * 4, width=0.8)
        self.rank_plot.addItem(self.rank_bars)
        self.fraction_plot = pg.PlotWidget()
        self.fraction_plot.setObjectName("statistics-fraction-plot")
        centres = [(i + 0.5) / FRACTION_BINS for i in range(FRACTION_BINS)]
        self.fraction_bars = pg.BarGraphItem(x=centres, height=[0] * FRACTION_BINS, width=0.9 / FRACTION_BINS)
        self.fraction_plot.addItem(self.fraction_bars)
        for plot, title, x_label in (
            (self.rank_plot, "Tokens by rank", "rank bucket"),
            (self.fraction_plot, "Tokens by p(token) / p(top)", "fraction"),
        ):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setTitle(title)
            plot.setLabel("left", "tokens")
            plot.setLabel("bottom", x_label)
            plot.setMinimumHeight(140)
            layout.addWidget(plot)
        self.fraction_plot.setXRange(0, 1, padding=0.02)
        self._apply_theme()

    def set_thresholds(self, thresholds: tuple[int, ...]) -> None:
        """New rank-bucket thresholds: the rank histogram is counted again."""
        self.thresholds = tuple(thresholds)
        self._draw()

    def show_scores(self, scores: Scores) -> None:
        """The document's latest scores."""
        self.tokens = scores.tokens
        count = len(scores.tokens)
        if count:
            self.perplexity_label.setText(f"Perplexity: {scores.perplexity:.2f} over {count:,} tokens")
        else:
            self.perplexity_label.setText("Perplexity: no tokens to score")
        # Counting a long document's tokens takes the GUI thread a while: a hidden dock counts when shown.
        self._stale = not self.isVisible()
        if not self._stale:
            self._draw()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Draw the scores that came while the dock was hidden."""
        super().showEvent(event)
        if not self._built:
            self._build_plots()
            self._stale = True
        if self._stale:
            self._stale = False
            self._draw()

    def rank_heights(self) -> list[int]:
        """The rank histogram's bar heights as drawn."""
        self._ensure_drawn()
        return [int(h) for h in self.rank_bars.opts["height"]]

    def fraction_heights(self) -> list[int]:
        """The fraction histogram's bar heights as drawn."""
        self._ensure_drawn()
        return [int(h) for h in self.fraction_bars.opts["height"]]

    def _ensure_drawn(self) -> None:
        if not self._built:
            self._build_plots()
            self._draw()

    def _draw(self) -> None:
        if not self._built:
            return
        import pyqtgraph as pg

        palette = self.palette()
        brushes = [pg.mkBrush(tint(palette, hue)) for hue in BUCKET_HUES]
        self.rank_bars.setOpts(height=rank_counts(self.tokens, self.thresholds), brushes=brushes)
        names = bucket_names(self.thresholds)
        self.rank_plot.getAxis("bottom").setTicks([list(enumerate(names))])
        self.fraction_bars.setOpts(height=fraction_counts(self.tokens), brush=brushes[0])

    def _apply_theme(self) -> None:
        if not self._built:
            return
        import pyqtgraph as pg

        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        pen = pg.mkPen(QColor(text))
        for plot in (self.rank_plot, self.fraction_plot):
            plot.setBackground(background)
            item: Any = plot.getPlotItem()
            item.titleLabel.setText(item.titleLabel.text, color=text)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pen)
                axis.setTextPen(pen)
                axis.label.setDefaultTextColor(text)
        for bars in (self.rank_bars, self.fraction_bars):
            bars.setOpts(pen=pg.mkPen(QColor(text)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Follow the theme: plot background, axes and bar tints."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
            self._draw()


def install_statistics(window: Any, lens: LensController) -> StatisticsDock:
    """Dock the statistics on the window, with View → Likelihood Statistics and the thresholds dialog."""
    from gpt2_studio.gui.lens.thresholds_dialog import ThresholdsDialog

    settings, menu = window.settings, window.main_menu
    dock = StatisticsDock(window)
    dock.set_thresholds(settings.rank_thresholds)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.setVisible(settings.show_statistics)
    toggle = dock.toggleViewAction()
    toggle.setText("Likelihood S&tatistics")
    toggle.setObjectName("action-statistics")
    toggle.setShortcut(QKeySequence(STATISTICS_SHORTCUT))
    menu.view_menu.addAction(toggle)

    def shown(on: bool) -> None:
        settings.show_statistics = on
        lens.set_statistics_wanted(on)

    toggle.toggled.connect(shown)
    lens.scores_ready.connect(dock.show_scores)
    lens.set_statistics_wanted(settings.show_statistics)

    def edit_thresholds() -> None:
        dialog = ThresholdsDialog(settings.rank_thresholds, window)
        window.thresholds_dialog = dialog  # tests find it here
        if dialog.exec() == ThresholdsDialog.DialogCode.Accepted:
            settings.rank_thresholds = dialog.thresholds()
            lens.set_thresholds(settings.rank_thresholds)
            dock.set_thresholds(settings.rank_thresholds)

    menu.rank_thresholds_requested.connect(edit_thresholds)
    window.statistics_dock = dock
    return dock

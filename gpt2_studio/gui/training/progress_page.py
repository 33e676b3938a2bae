"""The dialog's second page: progress, speed, time left, the losses and the live loss curve."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from gpt2_studio.gui.training.loss_plot import LossPlot
from gpt2_studio.gui.training.run_state import TrainingRun
from gpt2_studio.gui.training.wording import clock_text, loss_text, perplexity_text


class ProgressPage(QWidget):
    """Shows a TrainingRun while it trains (``show_run`` after each event)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("training-heading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.bar = QProgressBar()
        self.bar.setObjectName("training-progress")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        layout.addWidget(self.bar)
        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for index, (key, title, tip) in enumerate(
            (
                ("step", "Step", "Optimizer steps done, of the planned number"),
                ("speed", "Speed", "Training tokens processed per second"),
                ("eta", "Time left", "Estimated from the speed so far"),
                (
                    "loss",
                    "Training loss",
                    "Cross-entropy on the latest batch, in nats per token: lower is better",
                ),
                ("heldout", "Held-out loss", "On your documents kept out of training: the honest measure"),
                ("before", "Before training", "The starting model's held-out loss and perplexity"),
            )
        ):
            title_label = QLabel(f"{title}:")
            value = QLabel("—")
            value.setObjectName(f"training-{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            for label in (title_label, value):
                label.setToolTip(tip)
            row, column = divmod(index, 3)
            grid.addWidget(title_label, row, column * 2)
            grid.addWidget(value, row, column * 2 + 1)
            self.values[key] = value
        for column in (1, 3, 5):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)
        self.plot = LossPlot(self)
        layout.addWidget(self.plot, 1)

    def show_run(self, run: TrainingRun, name: str) -> None:
        """Refresh every value and the curves from the run."""
        plan = run.plan
        base = plan.base if plan else ""
        self.heading.setText(f"Learning “{name}” from {base}." if base else f"Learning “{name}”.")
        self.bar.setValue(round(run.progress * 1000))
        self.bar.setFormat(f"{run.progress:.0%}")
        step = run.last_step
        values = self.values
        values["step"].setText(f"{step.step:,} of {step.steps:,}" if step else "starting…")
        speed = step.tokens_per_second if step else math.nan
        values["speed"].setText(f"{speed:,.0f} tokens/s" if math.isfinite(speed) else "—")
        running = run.phase in ("training", "stopping")
        values["eta"].setText(clock_text(step.eta_seconds) if step and running else "—")
        values["loss"].setText(loss_text(step.loss if step else None))
        heldout = [loss for s, loss in run.heldout if s > 0]
        values["heldout"].setText(loss_text(heldout[-1] if heldout else None))
        baseline = run.baseline
        values["before"].setText(
            f"{loss_text(baseline.heldout_loss)} (perplexity {perplexity_text(baseline.perplexity)})"
            if baseline
            else "measuring…"
        )
        self.plot.set_points(run.losses, run.heldout, step.steps if step else plan.steps if plan else 0)

"""View → Likelihood Colours → Rank Thresholds…: where GLTR's rank buckets end (10 / 100 / 1,000)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.core.settings import DEFAULT_RANK_THRESHOLDS, RANK_THRESHOLD_RANGE

BUCKET_COLOURS = ("green", "yellow", "red")


class ThresholdsDialog(QDialog):
    """Three increasing ranks: the last rank of the green, yellow and red buckets (violet is beyond)."""

    def __init__(self, thresholds: tuple[int, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rank Thresholds")
        self.setObjectName("rank-thresholds-dialog")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "A token is tinted by the rank the model gave it (1 = its top choice). Each colour covers "
                "ranks up to its threshold; violet is beyond the last."
            )
        )
        layout.itemAt(0).widget().setWordWrap(True)
        form = QFormLayout()
        self.spins: list[QSpinBox] = []
        for colour, value in zip(BUCKET_COLOURS, thresholds, strict=True):
            spin = QSpinBox()
            spin.setObjectName(f"threshold-{colour}")
            spin.setRange(*RANK_THRESHOLD_RANGE)
            spin.setGroupSeparatorShown(True)
            spin.setValue(value)
            spin.valueChanged.connect(self._check)
            form.addRow(f"{colour.capitalize()} up to rank:", spin)
            self.spins.append(spin)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setObjectName("threshold-problem")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout.addWidget(buttons)
        self._check()

    def thresholds(self) -> tuple[int, ...]:
        """The thresholds as the spin boxes show them."""
        return tuple(spin.value() for spin in self.spins)

    def restore_defaults(self) -> None:
        """10, 100, 1,000 (GLTR's)."""
        for spin, value in zip(self.spins, DEFAULT_RANK_THRESHOLDS, strict=True):
            spin.setValue(value)

    def _check(self) -> None:
        values = self.thresholds()
        increasing = all(a < b for a, b in zip(values, values[1:], strict=False))
        self.problem.setText("" if increasing else "Each threshold must be larger than the one before it.")
        self.problem.setVisible(not increasing)
        self.ok_button.setEnabled(increasing)

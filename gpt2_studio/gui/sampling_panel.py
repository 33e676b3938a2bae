"""The sampling panel: sliders for the generation settings, each explained in its tooltip."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_limits import EDITOR_LIMITS

# The settings file is clamped to these same ranges when it is loaded (core.settings).
_RANGE = {name: (limit.low, limit.high) for name, limit in EDITOR_LIMITS.items()}


@dataclass(frozen=True)
class _SliderSpec:
    field: str
    label: str
    minimum: float
    maximum: float
    step: float
    tooltip: str
    fmt: Callable[[float], str]


_SLIDERS = (
    _SliderSpec(
        "temperature", "Temperature", *_RANGE["temperature"], 0.05,
        "Randomness. Low values pick likely words (0 = always the most likely); high values take risks. "
        "GPT-2's classic value is 0.7.",
        lambda v: "greedy" if v == 0 else f"{v:.2f}",
    ),
    _SliderSpec(
        "top_k", "Top-k", *_RANGE["top_k"], 1,
        "Choose only among the k most likely next tokens. 0 turns the filter off. "
        "GPT-2's classic value is 40.",
        lambda v: "off" if v == 0 else f"{int(v)}",
    ),
    _SliderSpec(
        "top_p", "Top-p", *_RANGE["top_p"], 0.05,
        "Nucleus sampling: choose among the most likely tokens that together hold this much probability. "
        "1.0 turns it off.",
        lambda v: "off" if v >= 1.0 else f"{v:.2f}",
    ),
    _SliderSpec(
        "repetition_penalty", "Repetition penalty", *_RANGE["repetition_penalty"], 0.05,
        "Makes words already in the text less likely, against loops. 1.0 is off; 1.2 is a mild setting.",
        lambda v: "off" if v == 1.0 else f"{v:.2f}",
    ),
    _SliderSpec(
        "max_new_tokens", "Suggestion length", *_RANGE["max_new_tokens"], 1,
        "How many tokens (about ¾ of a word each) a suggestion may have.",
        lambda v: f"{int(v)} tokens",
    ),
    _SliderSpec(
        "num_alternatives", "Alternatives", *_RANGE["num_alternatives"], 1,
        "How many different suggestions to make at once (cycle with Alt+] and Alt+[). They come from one "
        "batched pass, so three cost little more than one.",
        lambda v: f"{int(v)}",
    ),
)  # fmt: skip


class SamplingPanel(QDockWidget):
    """Dockable controls that edit one SamplingSettings value."""

    settings_changed = Signal(object)  # SamplingSettings

    def __init__(
        self, settings: SamplingSettings, defaults: SamplingSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__("Sampling", parent)
        self.setObjectName("sampling-panel")
        self._defaults = defaults
        self._settings = settings
        self._sliders: dict[str, tuple[QSlider, QLabel, _SliderSpec]] = {}
        body = QWidget()
        layout = QVBoxLayout(body)
        form = QFormLayout()
        for spec in _SLIDERS:
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setObjectName(f"slider-{spec.field}")
            slider.setRange(0, round((spec.maximum - spec.minimum) / spec.step))
            slider.setToolTip(spec.tooltip)
            value_label = QLabel()
            value_label.setMinimumWidth(64)
            row = QHBoxLayout()
            row.addWidget(slider, 1)
            row.addWidget(value_label)
            label = QLabel(spec.label)
            label.setToolTip(spec.tooltip)
            form.addRow(label, row)
            self._sliders[spec.field] = (slider, value_label, spec)
            slider.valueChanged.connect(self._on_changed)
        self.random_seed = QCheckBox("Random seed")
        self.random_seed.setToolTip(
            "Each suggestion is different. Untick to fix the seed and repeat results."
        )
        self.seed = QSpinBox()
        self.seed.setObjectName("seed")
        self.seed.setRange(int(EDITOR_LIMITS["seed"].low), int(EDITOR_LIMITS["seed"].high))
        self.seed.setToolTip("With a fixed seed, the same text and settings give the same suggestion.")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.random_seed)
        seed_row.addWidget(self.seed, 1)
        form.addRow(QLabel("Seed"), seed_row)
        self.random_seed.toggled.connect(self._on_changed)
        self.seed.valueChanged.connect(self._on_changed)
        layout.addLayout(form)
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.setToolTip("Temperature 0.7, top-k 40: the classic GPT-2 settings.")
        self.reset_button.clicked.connect(self.reset)
        layout.addWidget(self.reset_button)
        layout.addStretch(1)
        self.setWidget(body)
        self._updating = False
        self.set_settings(settings)

    def settings(self) -> SamplingSettings:
        """The settings the controls show now."""
        return self._settings

    def set_settings(self, settings: SamplingSettings) -> None:
        """Show settings in the controls (does not emit settings_changed)."""
        self._updating = True
        try:
            for field, (slider, _label, _spec) in self._sliders.items():
                slider.setValue(self._position(field, getattr(settings, field)))
            self.random_seed.setChecked(settings.seed is None)
            self.seed.setEnabled(settings.seed is not None)
            if settings.seed is not None:
                self.seed.setValue(min(settings.seed, self.seed.maximum()))
        finally:
            self._updating = False
        self._settings = settings
        self._update_labels()

    def reset(self) -> None:
        """Back to the defaults (the stop strings stay as they are)."""
        self.set_settings(self._defaults.replace(stop_strings=self._settings.stop_strings))
        self.settings_changed.emit(self._settings)

    def _position(self, field: str, value: float) -> int:
        spec = self._sliders[field][2]
        value = min(max(float(value), spec.minimum), spec.maximum)
        return round((value - spec.minimum) / spec.step)

    def _value(self, field: str) -> float:
        """The slider's value; the value in use while the slider still points at it (0.73, not 0.75)."""
        slider, _label, spec = self._sliders[field]
        current = getattr(self._settings, field)
        if slider.value() == self._position(field, current):
            return current
        return round(spec.minimum + slider.value() * spec.step, 4)

    def _update_labels(self) -> None:
        # The value in use, which may lie between two slider steps (0.73 on a 0.05 grid).
        for field, (_slider, label, spec) in self._sliders.items():
            label.setText(spec.fmt(getattr(self._settings, field)))

    def _on_changed(self) -> None:
        self.seed.setEnabled(not self.random_seed.isChecked())
        if self._updating:
            return
        self._settings = self._settings.replace(
            temperature=self._value("temperature"),
            top_k=int(self._value("top_k")),
            top_p=self._value("top_p"),
            repetition_penalty=self._value("repetition_penalty"),
            max_new_tokens=int(self._value("max_new_tokens")),
            num_alternatives=int(self._value("num_alternatives")),
            seed=None if self.random_seed.isChecked() else self.seed.value(),
        )
        self._update_labels()
        self.settings_changed.emit(self._settings)

    def slider(self, field: str) -> QSlider:
        """The slider for a SamplingSettings field (tests and keyboard users)."""
        return self._sliders[field][0]

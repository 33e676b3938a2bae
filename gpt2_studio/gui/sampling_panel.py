"""The sampling panel: sliders for the generation settings, each explained in its tooltip, plus where a
suggestion ends and whether the last token is healed."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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
from gpt2_studio.core.generation.sampling_fields import (
    SAMPLING_FIELDS,
    STOP_AT_CHOICES,
    STOP_AT_HELP,
    STOP_AT_LABEL,
    STOP_AT_TOKENS,
    TOKEN_HEALING_HELP,
    TOKEN_HEALING_LABEL,
    SamplingField,
)

# Max length stays in force whatever Suggest says: for the word, sentence, line and paragraph endings
# it is the cap (the value is then shown as "≤ 24 tokens").
MAX_LENGTH_CAP_HINT = f"It also caps the other choices under {STOP_AT_LABEL}."


def stop_at_combo(default: str) -> QComboBox:
    """The Suggest choices (a word … max length in tokens), explained in the tooltip with the default."""
    combo = QComboBox()
    combo.setObjectName("stop_at")
    for key, label in STOP_AT_CHOICES.items():
        combo.addItem(label, key)
    combo.setToolTip(f"{STOP_AT_HELP} Default: {STOP_AT_CHOICES[default].lower()}.")
    return combo


def token_healing_box(default: bool) -> QCheckBox:
    """The Token healing check box, explained in the tooltip with the default."""
    box = QCheckBox(TOKEN_HEALING_LABEL)
    box.setObjectName("token_healing")
    box.setToolTip(f"{TOKEN_HEALING_HELP} Default: {'on' if default else 'off'}.")
    return box


def max_length_help(help_text: str) -> str:
    """The Max length tooltip: its help, then that it caps the other Suggest choices too."""
    head, _, default = help_text.rpartition(" Default:")
    return f"{head} {MAX_LENGTH_CAP_HINT} Default:{default}" if head else f"{help_text} {MAX_LENGTH_CAP_HINT}"


@dataclass(frozen=True)
class _SliderSpec:
    """One slider's grid: the field's panel range (the settings file is clamped to it) and step."""

    field: str
    minimum: float
    maximum: float
    step: float
    about: SamplingField


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
        self._optional: dict[str, tuple[QCheckBox, QSpinBox]] = {}
        self.stop_at = stop_at_combo(defaults.stop_at)
        self.token_healing = token_healing_box(defaults.token_healing)
        for field in SAMPLING_FIELDS:
            help_text = field.described(getattr(defaults, field.name), gui=True)
            if field.name == "max_new_tokens":
                # Where a suggestion ends comes first; the length is its cap (or the length itself).
                stop_label = QLabel(STOP_AT_LABEL)
                stop_label.setToolTip(self.stop_at.toolTip())
                form.addRow(stop_label, self.stop_at)
                help_text = max_length_help(help_text)
            label = QLabel(field.label)
            label.setToolTip(help_text)
            row = QHBoxLayout()
            if field.optional:  # None is allowed (a random seed): a checkbox for None, a box for a value
                none = QCheckBox(f"{field.default_text(None).capitalize()} {field.label.lower()}")
                none.setToolTip(f"Each suggestion is different. Untick to fix the {field.label.lower()}.")
                box = QSpinBox()
                box.setObjectName(field.name)
                box.setRange(int(field.editor.low), int(field.editor.high))
                box.setToolTip(help_text)
                row.addWidget(none)
                row.addWidget(box, 1)
                self._optional[field.name] = (none, box)
                none.toggled.connect(self._on_changed)
                box.valueChanged.connect(self._on_changed)
            else:
                spec = _SliderSpec(field.name, field.editor.low, field.editor.high, field.step, field)
                slider = QSlider(Qt.Orientation.Horizontal)
                slider.setObjectName(f"slider-{field.name}")
                slider.setRange(0, round((spec.maximum - spec.minimum) / spec.step))
                slider.setToolTip(help_text)
                value_label = QLabel()
                # Wide enough for the longest value ("≤ 200 tokens"), so that every slider is as long.
                value_label.setMinimumWidth(value_label.fontMetrics().horizontalAdvance("≤ 200 tokens") + 4)
                row.addWidget(slider, 1)
                row.addWidget(value_label)
                self._sliders[field.name] = (slider, value_label, spec)
                slider.valueChanged.connect(self._on_changed)
            form.addRow(label, row)
        form.addRow("", self.token_healing)  # under the controls, as the seed's check box is
        self.stop_at.currentIndexChanged.connect(self._on_changed)
        self.token_healing.toggled.connect(self._on_changed)
        self.random_seed, self.seed = self._optional["seed"]
        layout.addLayout(form)
        self.reset_button = QPushButton("Reset to defaults")
        shown = [f"{f.label} {f.default_text(getattr(defaults, f.name))}" for f in SAMPLING_FIELDS]
        shown.insert(0, f"{STOP_AT_LABEL} {STOP_AT_CHOICES[defaults.stop_at].lower()}")
        shown.append(f"{TOKEN_HEALING_LABEL} {'on' if defaults.token_healing else 'off'}")
        self.reset_button.setToolTip("Back to the defaults: " + ", ".join(shown) + ".")
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
            for name, (none, box) in self._optional.items():
                value = getattr(settings, name)
                none.setChecked(value is None)
                box.setEnabled(value is not None)
                if value is not None:
                    box.setValue(min(value, box.maximum()))
            self.stop_at.setCurrentIndex(self.stop_at.findData(settings.stop_at))
            self.token_healing.setChecked(settings.token_healing)
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
            label.setText(spec.about.shown(getattr(self._settings, field)))
        if self._settings.stop_at != STOP_AT_TOKENS:  # the length is then a cap, not the length
            length = self._sliders["max_new_tokens"][1]
            length.setText(f"≤ {length.text()}")

    def _on_changed(self) -> None:
        for none, box in self._optional.values():
            box.setEnabled(not none.isChecked())
        if self._updating:
            return
        values: dict[str, float | int | None] = {
            name: spec.about.kind(self._value(name)) for name, (_s, _l, spec) in self._sliders.items()
        }
        for name, (none, box) in self._optional.items():
            values[name] = None if none.isChecked() else box.value()
        self._settings = self._settings.replace(
            **values, stop_at=self.stop_at.currentData(), token_healing=self.token_healing.isChecked()
        )
        self._update_labels()
        self.settings_changed.emit(self._settings)

    def slider(self, field: str) -> QSlider:
        """The slider for a SamplingSettings field (tests and keyboard users)."""
        return self._sliders[field][0]

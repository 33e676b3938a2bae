"""The sampling panel: sliders for the generation settings in a narrow column, each explained in its
tooltip, plus where a suggestion ends and whether the last token is healed; the less used ones folded."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
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
# Always shown; every other field (and any field added later) is folded under "More settings".
BASIC_FIELDS = ("temperature", "max_new_tokens", "num_alternatives")


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


IGNORED_MARK = "(ignored by the server)"
IGNORED_TIP = "The server in use ignores this setting: its own value applies."


@dataclass(frozen=True)
class _SliderSpec:
    """One slider's grid: the field's panel range (the settings file is clamped to it) and step."""

    field: str
    minimum: float
    maximum: float
    step: float
    about: SamplingField


class SamplingPanel(QDockWidget):
    """Dockable controls that edit one SamplingSettings value, in a narrow column.

    The settings a writer changes most (temperature, where a suggestion ends, its length, how many
    alternatives) are always shown; the others are folded under "More settings", whose header counts
    those that differ from the defaults, so a changed setting is never hidden without a trace.
    """

    settings_changed = Signal(object)  # SamplingSettings

    def __init__(
        self, settings: SamplingSettings, defaults: SamplingSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__("Sampling", parent)
        self.setObjectName("sampling-panel")
        self._defaults = defaults
        self._settings = settings
        self._sliders: dict[str, tuple[QSlider, QLabel, _SliderSpec]] = {}
        self._optional: dict[str, tuple[QCheckBox, QSpinBox]] = {}
        self.labels: dict[str, QLabel] = {}  # field name (or "stop_at") → its label, in panel order
        self._unmarked: dict[str, tuple[str, str]] = {}  # a label's own text and tooltip (mark_ignored)
        body = QWidget()
        body.setObjectName("sampling-body")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(2)
        self.stop_at = stop_at_combo(defaults.stop_at)
        self.token_healing = token_healing_box(defaults.token_healing)
        # Made without a parent and placed after the fields, so that Tab order follows the column.
        self.advanced = QWidget()
        self.advanced.setObjectName("sampling-advanced")
        advanced = QVBoxLayout(self.advanced)
        advanced.setContentsMargins(0, 0, 0, 0)
        advanced.setSpacing(2)
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setObjectName("sampling-advanced-toggle")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.advanced_toggle.toggled.connect(self.set_advanced_shown)
        basic = [f for f in SAMPLING_FIELDS if f.name in BASIC_FIELDS]
        self._folded = [f for f in SAMPLING_FIELDS if f.name not in BASIC_FIELDS]
        for field in [*basic, *self._folded]:
            column = layout if field.name in BASIC_FIELDS else advanced
            help_text = field.described(getattr(defaults, field.name), gui=True)
            if field.name == "max_new_tokens":
                # Where a suggestion ends comes first; the length is its cap (or the length itself).
                stop_label = self._label(STOP_AT_LABEL, self.stop_at.toolTip(), "stop_at")
                stop_label.setBuddy(self.stop_at)
                column.addSpacing(4)
                column.addWidget(stop_label)
                column.addWidget(self.stop_at)
                help_text = max_length_help(help_text)
            label = self._label(field.label, help_text, field.name)
            if field.optional:  # None is allowed (a random seed): a checkbox for None, a box for a value
                none = QCheckBox(f"{field.default_text(None).capitalize()} {field.label.lower()}")
                none.setToolTip(f"Each suggestion is different. Untick to fix the {field.label.lower()}.")
                box = QSpinBox()
                box.setObjectName(field.name)
                box.setRange(int(field.editor.low), int(field.editor.high))
                box.setToolTip(help_text)
                label.setBuddy(box)
                row = QWidget()
                pair = QHBoxLayout(row)
                pair.setContentsMargins(0, 0, 0, 0)
                pair.addWidget(none)
                pair.addWidget(box, 1)
                column.addSpacing(4)
                column.addWidget(label)
                column.addWidget(row)
                self._optional[field.name] = (none, box)
                none.toggled.connect(self._on_changed)
                box.valueChanged.connect(self._on_changed)
                continue
            spec = _SliderSpec(field.name, field.editor.low, field.editor.high, field.step, field)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setObjectName(f"slider-{field.name}")
            slider.setRange(0, round((spec.maximum - spec.minimum) / spec.step))
            slider.setToolTip(help_text)
            label.setBuddy(slider)
            value_label = QLabel()
            value_label.setObjectName(f"value-{field.name}")
            value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            header = QHBoxLayout()  # the name on the left, the value on the right, the slider below
            header.addWidget(label, 1)
            header.addWidget(value_label)
            column.addSpacing(4)
            column.addLayout(header)
            column.addWidget(slider)
            self._sliders[field.name] = (slider, value_label, spec)
            slider.valueChanged.connect(self._on_changed)
        layout.addSpacing(6)
        layout.addWidget(self.advanced_toggle)  # the basic fields came first: the folded ones follow
        layout.addWidget(self.advanced)
        advanced.addSpacing(4)
        advanced.addWidget(self.token_healing)
        self.stop_at.currentIndexChanged.connect(self._on_changed)
        self.token_healing.toggled.connect(self._on_changed)
        self.random_seed, self.seed = self._optional["seed"]
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.setObjectName("sampling-reset")
        shown = [f"{f.label} {f.default_text(getattr(defaults, f.name))}" for f in SAMPLING_FIELDS]
        shown.insert(0, f"{STOP_AT_LABEL} {STOP_AT_CHOICES[defaults.stop_at].lower()}")
        shown.append(f"{TOKEN_HEALING_LABEL} {'on' if defaults.token_healing else 'off'}")
        self.reset_button.setToolTip("Back to the defaults: " + ", ".join(shown) + ".")
        self.reset_button.clicked.connect(self.reset)
        layout.addSpacing(8)
        layout.addWidget(self.reset_button)
        layout.addStretch(1)
        self.setWidget(body)
        self._updating = False
        self.set_advanced_shown(False)
        self.set_settings(settings)

    def _label(self, text: str, tooltip: str, name: str) -> QLabel:
        label = QLabel(text)
        label.setToolTip(tooltip)
        label.setObjectName(f"label-{name}")
        self.labels[name] = label
        return label

    def set_advanced_shown(self, shown: bool) -> None:
        """Unfold (or fold) the settings under "More settings"."""
        self.advanced.setVisible(shown)
        self.advanced_toggle.setChecked(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def advanced_changed(self) -> list[str]:
        """The labels of the folded settings whose values differ from the defaults."""
        changed = [
            field.label
            for field in self._folded
            if getattr(self._settings, field.name) != getattr(self._defaults, field.name)
        ]
        if self._settings.token_healing != self._defaults.token_healing:
            changed.append(TOKEN_HEALING_LABEL)
        return changed

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
        changed = self.advanced_changed()
        self.advanced_toggle.setText(
            f"More settings ({len(changed)} changed)" if changed else "More settings"
        )
        folded = [field.label for field in self._folded] + [TOKEN_HEALING_LABEL]
        self.advanced_toggle.setToolTip(
            f"Changed from the defaults: {', '.join(changed)}." if changed else ", ".join(folded)
        )

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

    def mark_ignored(self, names: tuple[str, ...] | list[str]) -> None:
        """Mark the settings the model's server ignores (names as SamplingSettings spells them).

        Their labels say "(ignored by the server)" and their tooltips why; an empty list clears the
        marks (a local model honours every setting).
        """
        ignored = set(names)
        for name, label in self.labels.items():
            base, tip = self._unmarked.setdefault(name, (label.text(), label.toolTip()))
            marked = name in ignored
            label.setText(f"{base} {IGNORED_MARK}" if marked else base)
            label.setToolTip(f"{IGNORED_TIP} {tip}" if marked else tip)
        base, tip = self._unmarked.setdefault(
            "token_healing", (self.token_healing.text(), self.token_healing.toolTip())
        )
        marked = "token_healing" in ignored
        self.token_healing.setText(f"{base} {IGNORED_MARK}" if marked else base)
        self.token_healing.setToolTip(f"{IGNORED_TIP} {tip}" if marked else tip)

    def slider(self, field: str) -> QSlider:
        """The slider for a SamplingSettings field (tests and keyboard users)."""
        return self._sliders[field][0]

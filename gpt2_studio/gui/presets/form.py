"""The fields of one preset: its prompt, where its result goes, and how it samples."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import FIELDS, SAMPLING_FIELDS, STOP_AT_LABEL
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.gui.editor.document_text import exact_text, set_exact_text
from gpt2_studio.gui.sampling_panel import max_length_help, stop_at_combo, token_healing_box

OUTPUT_LABELS = {
    "ghost": "Ghost text at the cursor (Tab accepts)",
    "insert": "Insert at the cursor",
    "below": "On a new line below",
    "replace": "Replace the selection",
    "side_panel": "Side panel (Insert, Copy)",
    "new_document": "New document (one sample per alternative)",
}
KEEP_LABELS = {
    "end": "Keep the end (to continue it)",
    "start": "Keep the beginning (to summarise it)",
}
PLACEHOLDER_HINT = (
    "Placeholders: {selection} the selected text (or the current paragraph), {document} the whole "
    "document (or the selection), {before_cursor} the text before the cursor, {input} asked when the "
    "preset runs. Write {{ and }} for braces."
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def encode_stop(stop: str) -> str:
    """A stop string as one line of the editor: newline as \\n, carriage return as \\r, tab as \\t."""
    return stop.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def decode_stop(line: str) -> str:
    """The stop string one editor line stands for."""
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in _ESCAPES:
            out.append(_ESCAPES[line[i + 1]])
            i += 2
        else:
            out.append(line[i])
            i += 1
    return "".join(out)


class PresetForm(QWidget):
    """Edits one preset; preset() reads it back, raising PresetError or SettingsError when invalid."""

    changed = Signal()  # the user edited a field

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base: Preset | None = None  # the preset shown; fields the form lacks (the seed) come from it
        self._filling = False
        self.name_edit = QLineEdit()
        self.description_edit = QLineEdit()
        self.template_edit = QPlainTextEdit()
        self.template_edit.setObjectName("preset-template")
        self.template_edit.setTabChangesFocus(True)
        self.template_edit.setMinimumHeight(120)
        hint = QLabel(PLACEHOLDER_HINT)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")
        self.output_combo = QComboBox()
        for key, label in OUTPUT_LABELS.items():
            self.output_combo.addItem(label, key)
        self.keep_combo = QComboBox()
        for key, label in KEEP_LABELS.items():
            self.keep_combo.addItem(label, key)
        self.result_format_edit = QLineEdit()
        self.result_format_edit.setToolTip("How the result is written; {result} is the generated text")
        self.postprocess_combo = QComboBox()
        self.postprocess_combo.setEditable(True)
        self.postprocess_combo.addItems(["none", "first_line", "sentences:3"])
        self.postprocess_combo.setToolTip("none, first_line, or sentences:N (keep the first N sentences)")
        self.input_label_edit = QLineEdit()
        self.input_label_edit.setPlaceholderText("The question asked for {input}")
        self.input_default_edit = QLineEdit()
        self.group_edit = QLineEdit()
        self.group_edit.setPlaceholderText("Presets with the same group share one toolbar drop-down")
        self.shortcut_edit = QKeySequenceEdit()
        self.shortcut_edit.setMaximumSequenceLength(1)
        self.shortcut_edit.setClearButtonEnabled(True)
        prompt_box = QGroupBox("Prompt and result")
        form = QFormLayout(prompt_box)
        form.addRow("&Name:", self.name_edit)
        form.addRow("Descri&ption:", self.description_edit)
        form.addRow("&Template:", self.template_edit)
        form.addRow("", hint)
        form.addRow("&Result goes:", self.output_combo)
        form.addRow("Result &format:", self.result_format_edit)
        form.addRow("&Trim result:", self.postprocess_combo)
        form.addRow("Long te&xt:", self.keep_combo)
        form.addRow("&Ask for {input}:", self.input_label_edit)
        form.addRow("Input de&fault:", self.input_default_edit)
        form.addRow("&Group:", self.group_edit)
        form.addRow("&Shortcut:", self.shortcut_edit)

        # One box per field, in the ranges that preset files are clamped to when they load (a preset's
        # optional fields, its seed, are kept as they are: a QSpinBox could not hold them).
        defaults = SamplingSettings()
        self.spins: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for field in SAMPLING_FIELDS:
            if field.optional:
                continue
            spin: QSpinBox | QDoubleSpinBox
            if field.kind is int:
                spin = QSpinBox()
                spin.setRange(int(field.preset.low), int(field.preset.high))
                spin.setSingleStep(int(field.step))
            else:
                spin = QDoubleSpinBox(decimals=field.decimals, singleStep=field.step)
                spin.setRange(field.preset.low, field.preset.high)
            spin.setSuffix(field.unit)
            spin.setObjectName(f"preset-{field.name}")
            help_text = field.described(getattr(defaults, field.name), gui=True)
            spin.setToolTip(max_length_help(help_text) if field.name == "max_new_tokens" else help_text)
            if field.off is not None and field.off == field.preset.low:
                spin.setSpecialValueText(field.off_text)  # shown at the minimum, which is off
            self.spins[field.name] = spin
        # The names older code and tests use.
        self.temperature_spin = self.spins["temperature"]
        self.top_k_spin = self.spins["top_k"]
        self.top_p_spin = self.spins["top_p"]
        self.max_tokens_spin = self.spins["max_new_tokens"]
        self.alternatives_spin = self.spins["num_alternatives"]
        self.penalty_spin = self.spins["repetition_penalty"]
        self.stops_edit = QPlainTextEdit()
        self.stops_edit.setObjectName("preset-stops")
        self.stops_edit.setTabChangesFocus(True)
        self.stops_edit.setFixedHeight(64)
        self.stops_edit.setToolTip(r"One stop string per line; write \n for a line break, \t for a tab")
        self.stop_at_combo = stop_at_combo(defaults.stop_at)
        self.stop_at_combo.setObjectName("preset-stop_at")
        self.token_healing_check = token_healing_box(defaults.token_healing)
        self.token_healing_check.setObjectName("preset-token_healing")
        sampling_box = QGroupBox("Sampling")
        sampling = QFormLayout(sampling_box)
        for name, spin in self.spins.items():
            if name == "max_new_tokens":  # where the result ends, then its length (or cap)
                sampling.addRow(f"{STOP_AT_LABEL}:", self.stop_at_combo)
            sampling.addRow(f"{FIELDS[name].label}:", spin)
        sampling.addRow("Stop strings:", self.stops_edit)
        sampling.addRow("", self.token_healing_check)

        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(prompt_box, 3)
        columns.addWidget(sampling_box, 2, Qt.AlignmentFlag.AlignTop)

        for edit in (
            self.name_edit,
            self.description_edit,
            self.result_format_edit,
            self.input_label_edit,
            self.input_default_edit,
            self.group_edit,
        ):
            edit.textEdited.connect(self._on_changed)
        for plain in (self.template_edit, self.stops_edit):
            plain.textChanged.connect(self._on_changed)
        for combo in (self.output_combo, self.keep_combo, self.postprocess_combo, self.stop_at_combo):
            combo.currentTextChanged.connect(self._on_changed)
        self.token_healing_check.toggled.connect(self._on_changed)
        for spin in self.spins.values():
            spin.valueChanged.connect(self._on_changed)
        self.shortcut_edit.keySequenceChanged.connect(self._on_changed)

    def _on_changed(self, *_args) -> None:
        if not self._filling:
            self.changed.emit()

    def fill(self, preset: Preset | None) -> None:
        """Show a preset (a blank new one for None); edits from here on count as changes."""
        self._filling = True
        try:
            self.base = preset
            preset = preset or Preset("New preset", "{selection}")
            self.name_edit.setText(preset.name)
            self.description_edit.setText(preset.description)
            self.description_edit.setCursorPosition(0)  # show how it starts
            set_exact_text(self.template_edit, preset.template)
            self.output_combo.setCurrentIndex(self.output_combo.findData(preset.output))
            self.keep_combo.setCurrentIndex(self.keep_combo.findData(preset.keep))
            self.result_format_edit.setText(preset.result_format)
            self.postprocess_combo.setCurrentText(preset.postprocess)
            self.input_label_edit.setText(preset.input_label)
            self.input_default_edit.setText(preset.input_default)
            self.group_edit.setText(preset.group)
            self.shortcut_edit.setKeySequence(QKeySequence(preset.shortcut))
            sampling = preset.sampling
            for name, spin in self.spins.items():
                spin.setValue(getattr(sampling, name))
            set_exact_text(self.stops_edit, "\n".join(encode_stop(s) for s in sampling.stop_strings))
            self.stop_at_combo.setCurrentIndex(self.stop_at_combo.findData(sampling.stop_at))
            self.token_healing_check.setChecked(sampling.token_healing)
        finally:
            self._filling = False

    def preset(self) -> Preset:
        """The preset the form describes; PresetError or SettingsError says what is wrong with it."""
        base = self.base.sampling if self.base else SamplingSettings()
        lines = exact_text(self.stops_edit.document()).split("\n")
        values = {}
        for key, spin in self.spins.items():
            decimals = FIELDS[key].decimals
            value = round(spin.value(), decimals) if isinstance(spin, QDoubleSpinBox) else spin.value()
            # A value finer than the box shows (0.735) stays as it is unless the user changed it.
            kept = getattr(base, key)
            same = isinstance(spin, QDoubleSpinBox) and round(kept, decimals) == value
            values[key] = kept if same else value
        sampling = base.replace(
            **values,
            stop_strings=tuple(decode_stop(line) for line in lines if line),
            stop_at=self.stop_at_combo.currentData(),
            token_healing=self.token_healing_check.isChecked(),
        )
        shortcut = self.shortcut_edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        return Preset(
            name=self.name_edit.text().strip(),
            template=exact_text(self.template_edit.document()),
            sampling=sampling,
            output=self.output_combo.currentData(),
            description=self.description_edit.text().strip(),
            result_format=self.result_format_edit.text(),
            keep=self.keep_combo.currentData(),
            postprocess=self.postprocess_combo.currentText().strip(),
            input_label=self.input_label_edit.text().strip(),
            input_default=self.input_default_edit.text(),
            shortcut=shortcut,
            group=self.group_edit.text().strip(),
        )

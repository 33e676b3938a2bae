"""Preferences (Ctrl+,): every setting that was only in menus or the settings file, in one dialog.

The dialog edits a copy of the values and, on OK or Apply, emits ``applied`` with only the fields that
changed (name → new value, AppSettings' names); the window applies them and the settings are saved with
the rest when it closes. Cancel changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFontComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio import paths
from gpt2_studio.core.generation.sampling_limits import EDITOR_LIMITS
from gpt2_studio.core.settings import (
    COLUMN_WIDTH_RANGE,
    DEVICES,
    FONT_SIZE_RANGE,
    GHOST_DELAY_RANGE_MS,
    LINE_SPACING_RANGE,
    SPELLING_LANGUAGES,
    AppSettings,
)

log = logging.getLogger(__name__)

PREFERENCES_SHORTCUTS = ("Ctrl+,",)  # as in VS Code, macOS and most writing apps
THEME_NAMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish"}
DEVICE_NAMES = {"auto": "Automatic (GPU when there is one)", "cpu": "CPU", "cuda": "GPU (CUDA)"}


def open_folder(folder: Path) -> bool:
    """Open ``folder`` in the system's file manager (made first if missing); False when it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        log.warning("Cannot create %s: %s", folder, error.strerror or error)
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _combo(items: dict[str, str], current: str) -> QComboBox:
    combo = QComboBox()
    for value, text in items.items():
        combo.addItem(text, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


def _spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


class PreferencesDialog(QDialog):
    """Writing surface, suggestions, spelling, model and folders; OK and Apply emit the changes."""

    applied = Signal(dict)  # AppSettings field name → new value, only the fields that changed

    def __init__(
        self, settings: AppSettings, parent: QWidget | None = None, *, prose_family: str = ""
    ) -> None:
        """``prose_family``: the font family the editor uses when the settings name none ("" = system's)."""
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferences")
        self._settings = settings
        self.open_folder = open_folder  # tests put a recorder here
        self._wants_default_font = False
        self.prose_family = prose_family
        layout = QVBoxLayout(self)
        layout.addWidget(self._writing_group(settings))
        layout.addWidget(self._suggestions_group(settings))
        layout.addWidget(self._model_group(settings))
        layout.addWidget(self._folders_group())
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        self.buttons = buttons
        layout.addWidget(buttons)

    # -- the groups -------------------------------------------------------------------------------
    def _writing_group(self, settings: AppSettings) -> QGroupBox:
        group = QGroupBox("Writing")
        form = QFormLayout(group)
        self.theme = _combo(THEME_NAMES, settings.theme)
        form.addRow("&Theme:", self.theme)
        self.font_family = QFontComboBox()
        self.font_family.setCurrentFont(
            QFont(settings.font_family or self.prose_family or self.font().family())
        )
        self._shown_family = self.font_family.currentFont().family()  # untouched: the setting stays as it is
        self.font_family.setToolTip("The prose font; the default is a serif made for reading on screens")
        default_font = QPushButton("Default")
        default_font.setToolTip("Use the default prose font")
        default_font.clicked.connect(self._default_font)
        row = QHBoxLayout()
        row.addWidget(self.font_family, 1)
        row.addWidget(default_font)
        font_label = QLabel("&Font:")
        font_label.setBuddy(self.font_family)
        form.addRow(font_label, row)
        self.font_size = _spin(*FONT_SIZE_RANGE, settings.font_size, " pt")
        form.addRow("Font &size:", self.font_size)
        self.monospace = QCheckBox("Write in a &monospace font")
        self.monospace.setChecked(settings.monospace)
        form.addRow("", self.monospace)
        low, high = COLUMN_WIDTH_RANGE
        # One below the range stands for 0, the full width, shown by name.
        self.column_width = _spin(low - 1, high, settings.column_width or low - 1, " characters")
        self.column_width.setSpecialValueText("Full width")
        self.column_width.setToolTip("How wide the text column is; about 70 characters reads best")
        form.addRow("&Column width:", self.column_width)
        self.line_spacing = _spin(*LINE_SPACING_RANGE, settings.line_spacing, " %")
        self.line_spacing.setSingleStep(10)
        form.addRow("&Line spacing:", self.line_spacing)
        self.spell_check = QCheckBox("Check &spelling as I type")
        self.spell_check.setChecked(settings.spell_check)
        form.addRow("", self.spell_check)
        names = {code: LANGUAGE_NAMES.get(code, code) for code in SPELLING_LANGUAGES}
        self.spelling_language = _combo(names, settings.spelling_language)
        self.spelling_language.setToolTip("For documents that have not chosen their own language")
        form.addRow("Spelling &language:", self.spelling_language)
        return group

    def _suggestions_group(self, settings: AppSettings) -> QGroupBox:
        group = QGroupBox("Suggestions")
        form = QFormLayout(group)
        self.ghost_enabled = QCheckBox("Suggest while &typing")
        self.ghost_enabled.setChecked(settings.ghost_enabled)
        form.addRow("", self.ghost_enabled)
        self.ghost_delay = _spin(*GHOST_DELAY_RANGE_MS, settings.ghost_delay_ms, " ms")
        self.ghost_delay.setSingleStep(100)
        self.ghost_delay.setToolTip("How long typing must pause before a suggestion is asked for")
        form.addRow("&Pause before suggesting:", self.ghost_delay)
        limit = EDITOR_LIMITS["max_new_tokens"]
        self.length = _spin(int(limit.low), int(limit.high), settings.sampling.max_new_tokens, " tokens")
        self.length.setToolTip("The longest a suggestion may be (a token is about 3/4 of a word)")
        form.addRow("Suggestion l&ength:", self.length)
        return group

    def _model_group(self, settings: AppSettings) -> QGroupBox:
        from gpt2_studio.core.models.store import list_installed

        group = QGroupBox("Model")
        form = QFormLayout(group)
        self.model = QComboBox()
        self.model.setEditable(True)  # a catalog name, a repo id or a folder may be typed
        for installed in list_installed():
            self.model.addItem(installed.name)
        self.model.setCurrentText(settings.model or "")
        self.model.setToolTip("The model loaded when GPT-2 Studio starts: a name, a repo id or a folder")
        form.addRow("&Default model:", self.model)
        self.device = _combo({d: DEVICE_NAMES.get(d, d) for d in DEVICES}, settings.device)
        form.addRow("&Device:", self.device)
        return group

    def _default_font(self) -> None:
        self._wants_default_font = True
        self.font_family.setCurrentFont(QFont(self.prose_family or self.font().family()))

    def _folders_group(self) -> QGroupBox:
        group = QGroupBox("Folders")
        form = QFormLayout(group)
        self.folder_buttons: dict[str, QPushButton] = {}
        for name, folder in (
            ("Settings and presets", paths.config_dir()),
            ("Models", paths.models_dir()),
            ("Recovery and data", paths.data_dir()),
        ):
            label = QLabel(str(folder))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = QPushButton("Open")
            button.setToolTip(f"Open {folder} in the file manager")
            button.clicked.connect(lambda _checked=False, f=folder: self._open(f))
            self.folder_buttons[name] = button
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(button)
            form.addRow(f"{name}:", row)
        return group

    def _open(self, folder: Path) -> None:
        if not self.open_folder(folder):
            self.message.setText(f"The folder {folder} could not be opened.")

    # -- the values -------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Every field the dialog edits, as it shows them now (AppSettings' names and types)."""
        family = self.font_family.currentFont().family()
        if family == self._shown_family and not self._wants_default_font:
            family = self._settings.font_family  # not touched: "" (the default) stays the default
        elif family == (self.prose_family or self.font().family()):
            family = ""  # the default font, by the Default button or chosen by name
        column = self.column_width.value()
        return {
            "theme": self.theme.currentData(),
            "font_family": family,
            "font_size": self.font_size.value(),
            "monospace": self.monospace.isChecked(),
            "column_width": 0 if column < COLUMN_WIDTH_RANGE[0] else column,
            "line_spacing": self.line_spacing.value(),
            "spell_check": self.spell_check.isChecked(),
            "spelling_language": self.spelling_language.currentData(),
            "ghost_enabled": self.ghost_enabled.isChecked(),
            "ghost_delay_ms": self.ghost_delay.value(),
            "max_new_tokens": self.length.value(),
            "model": self.model.currentText().strip() or None,
            "device": self.device.currentData(),
        }

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the settings' now."""
        settings = self._settings
        current = {name: getattr(settings, name, None) for name in self.values()}
        current["max_new_tokens"] = settings.sampling.max_new_tokens
        return {name: value for name, value in self.values().items() if value != current[name]}

    def apply(self) -> None:
        """Emit the changes (if any); the dialog stays open."""
        changes = self.changes()
        if changes:
            self.applied.emit(changes)

    def accept(self) -> None:
        """OK: apply the changes and close."""
        self.apply()
        super().accept()


def preferences_shortcuts() -> list[QKeySequence]:
    """Ctrl+, and the platform's own Preferences key where it has one."""
    keys = [QKeySequence(key) for key in PREFERENCES_SHORTCUTS]
    keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) if k not in keys]
    return keys

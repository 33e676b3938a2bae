"""The preset editor: create, duplicate, change, delete, reset, import and export presets."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.presets.presets import (
    ImportConflictError,
    Preset,
    PresetError,
    builtin_presets,
    delete_user_preset,
    export_presets,
    find_preset,
    import_presets,
    load_presets,
    preset_files,
    reset_builtins,
    save_user_preset,
    user_presets_dir,
)
from gpt2_studio.gui.presets.form import PresetForm
from gpt2_studio.gui.presets.questions import ask
from gpt2_studio.gui.themes import set_warning_text

log = logging.getLogger(__name__)


def _why(exc: Exception) -> str:
    """An error as the end of one sentence: 'permission denied (/path)'."""
    if isinstance(exc, OSError):
        reason = (exc.strerror or str(exc)).lower()
        return f"{reason} ({exc.filename})." if exc.filename else f"{reason}."
    return str(exc)


def _unique_name(presets: list[Preset], base: str) -> str:
    name, n = base, 2
    while find_preset(presets, name) is not None:
        name, n = f"{base} {n}", n + 1
    return name


class PresetEditorDialog(QDialog):
    """Lists every preset and edits one at a time; every change is written to the preset files."""

    presets_changed = Signal()

    def __init__(self, main_window: QWidget) -> None:
        super().__init__(main_window)
        self.main_window = main_window  # its .questions asks for files (tests replace it)
        self.setWindowTitle("Presets")
        self.setObjectName("preset-editor")
        self.resize(1000, 680)
        self.presets: list[Preset] = []
        self.builtin_names = {p.name.lower() for p in builtin_presets()}
        self.current: Preset | None = None
        self._build()
        self.reload()

    # -- construction ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.list = QListWidget()
        self.list.setObjectName("preset-list")
        self.list.setMinimumWidth(260)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.new_button = QPushButton("&New")
        self.duplicate_button = QPushButton("D&uplicate")
        self.delete_button = QPushButton("&Delete")
        self.reset_button = QPushButton("&Reset Built-ins")
        self.import_button = QPushButton("&Import…")
        self.export_button = QPushButton("E&xport…")
        self.reset_button.setToolTip("Undo your changes to the built-in presets (your own presets stay)")
        self.export_button.setToolTip("Save all your own presets to one file, to share or back up")
        self.new_button.clicked.connect(self.new_preset)
        self.duplicate_button.clicked.connect(self.duplicate_preset)
        self.delete_button.clicked.connect(self.delete_preset)
        self.reset_button.clicked.connect(self.reset)
        self.import_button.clicked.connect(self.import_file)
        self.export_button.clicked.connect(self.export_file)
        folder = QLabel(f"Your presets are files in {user_presets_dir()}")
        folder.setWordWrap(True)
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder.setStyleSheet("color: palette(placeholder-text);")
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(folder)
        grid = QGridLayout()
        for index, button in enumerate(
            (
                self.new_button,
                self.duplicate_button,
                self.delete_button,
                self.reset_button,
                self.import_button,
                self.export_button,
            )
        ):
            grid.addWidget(button, index // 2, index % 2)
        left.addLayout(grid)

        self.form = PresetForm(self)
        self.form.changed.connect(lambda: self._set_buttons(dirty=True))
        self.message = QLabel("")
        self.message.setObjectName("preset-editor-message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = QPushButton("&Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.setToolTip("Forget the unsaved changes to this preset")
        self.revert_button.clicked.connect(self.revert)
        close_button = QPushButton("Close")
        close_button.setAutoDefault(False)
        close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close_button)

        right = QVBoxLayout()
        right.addWidget(self.form, 1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 5)

    # -- the list -------------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Read the presets from disk again and show them; select keeps or moves the selection."""
        self.presets, problems = load_presets()
        files = preset_files()
        select = select or (self.current.name if self.current else None)
        self.list.blockSignals(True)
        self.list.clear()
        for preset in self.presets:
            item = QListWidgetItem(self._label(preset))
            item.setData(Qt.ItemDataRole.UserRole, preset.name)
            source = files.get(preset.name.lower())
            # Where edits go: with two files of one name, the one the app uses.
            item.setToolTip(f"{preset.description}\n\nFile: {source}" if source else preset.description)
            self.list.addItem(item)
        self.list.blockSignals(False)
        target = find_preset(self.presets, select) if select else None
        row = self.presets.index(target) if target else 0
        self.list.setCurrentRow(row)
        self._on_current_changed(self.list.currentItem(), None)
        self.export_button.setEnabled(any(not p.builtin for p in self.presets))
        if problems:
            self.show_message("\n".join(problems), error=True)

    def _label(self, preset: Preset) -> str:
        if preset.builtin:
            return f"{preset.name}   (built-in)"
        if preset.name.lower() in self.builtin_names:
            return f"{preset.name}   (changed)"
        return preset.name

    def select(self, name: str) -> None:
        """Show the preset with this name."""
        preset = find_preset(self.presets, name)
        if preset is not None:
            self.list.setCurrentRow(self.presets.index(preset))

    def _on_current_changed(self, item: QListWidgetItem | None, _previous) -> None:
        self.current = (
            find_preset(self.presets, item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
        )
        self.revert()

    def revert(self) -> None:
        """Show the current preset as saved, dropping unsaved edits."""
        self.form.fill(self.current)
        self._set_buttons(dirty=False)
        self.show_message("")

    def _set_buttons(self, *, dirty: bool) -> None:
        current = self.current
        self.save_button.setEnabled(current is not None and dirty)
        self.revert_button.setEnabled(current is not None and dirty)
        self.duplicate_button.setEnabled(current is not None)
        changed_builtin = current is not None and not current.builtin and self._is_builtin_name(current.name)
        self.delete_button.setText("Revert to &Built-in" if changed_builtin else "&Delete")
        self.delete_button.setEnabled(current is not None and not current.builtin)

    def _is_builtin_name(self, name: str) -> bool:
        return name.lower() in self.builtin_names

    def show_message(self, text: str, *, error: bool = False) -> None:
        """A line under the form: what went wrong (red) or what was done."""
        self._message_is_error = error
        set_warning_text(self.message, error, self.palette())
        self.message.setText(text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "_message_is_error", False):
            set_warning_text(self.message, True, self.palette())  # the red of the new theme

    # -- actions --------------------------------------------------------------------------------
    def save(self) -> bool:
        """Write the form to the current preset's file; an invalid form is explained and nothing saved."""
        if self.current is None:
            return False
        try:
            preset = self.form.preset()
        except (PresetError, SettingsError) as exc:
            self.show_message(str(exc), error=True)
            return False
        other = find_preset(self.presets, preset.name)
        if other is not None and other.name.lower() != self.current.name.lower():
            self.show_message(
                f"There is already a preset named {other.name!r}; choose another name.", error=True
            )
            return False
        return self._write(preset, replacing=self.current.name, done=f"Saved {preset.name}.")

    def _write(self, preset: Preset, *, replacing: str | None, done: str) -> bool:
        try:
            path = save_user_preset(preset, replacing=replacing)
        except (OSError, PresetError) as exc:
            self.show_message(f"Could not save the preset: {_why(exc)}", error=True)
            return False
        log.info("Saved preset %s to %s", preset.name, path)
        self.current = None
        self.reload(select=preset.name)
        self.show_message(f"{done} (file: {path.name})")
        self.presets_changed.emit()
        return True

    def new_preset(self) -> bool:
        """A new preset (saved at once, then edited here)."""
        preset = Preset(
            _unique_name(self.presets, "New preset"),
            "{selection}",
            output="insert",
            description="",
        )
        return self._write(preset, replacing=None, done=f"Created {preset.name}; edit it, then Save.")

    def duplicate_preset(self) -> bool:
        """A copy of the current preset under a new name."""
        if self.current is None:
            return False
        data = self.current.to_dict()
        data["name"] = _unique_name(self.presets, f"{self.current.name} copy")
        data["shortcut"] = ""  # two presets cannot share one key
        copy = Preset.from_dict(data)
        return self._write(copy, replacing=None, done=f"Created {copy.name}.")

    def delete_preset(self) -> bool:
        """Delete the current user preset (a changed built-in goes back to how it shipped)."""
        current = self.current
        if current is None or current.builtin:
            return False
        try:
            removed = delete_user_preset(current.name)
        except (OSError, PresetError) as exc:
            self.show_message(f"Could not delete the preset: {_why(exc)}", error=True)
            return False
        keep = current.name if self._is_builtin_name(current.name) else None
        self.current = None
        self.reload(select=keep)
        self.show_message(f"Deleted {current.name}." if removed else f"{current.name} had no file.")
        self.presets_changed.emit()
        return removed

    def reset(self) -> int:
        """Undo every change to the built-in presets."""
        try:
            count = reset_builtins()
        except (OSError, PresetError) as exc:
            self.show_message(f"Could not reset the built-in presets: {_why(exc)}", error=True)
            return 0
        self.reload()
        self.show_message(f"Reset {count} built-in preset(s)." if count else "The built-ins were unchanged.")
        self.presets_changed.emit()
        return count

    def import_file(self) -> list[Preset]:
        """Add the presets in a file (an export from this or another computer).

        When some have the names of existing presets, the user chooses: replace them, keep both (the
        imported ones are numbered), or cancel (nothing is imported).
        """
        path = self.main_window.questions.open_path(str(Path.home()))
        if not path:
            return []
        try:
            try:
                imported = import_presets(Path(path))
            except ImportConflictError as conflict:
                choice = ask(self.main_window.questions, self, "ask_import_conflict", conflict.names)
                if choice not in ("replace", "keep_both"):
                    self.show_message("Nothing was imported.")
                    return []
                imported = import_presets(Path(path), existing=choice)
        except (PresetError, OSError) as exc:
            self.show_message(str(exc), error=True)
            return []
        self.current = None
        self.reload(select=imported[0].name if imported else None)
        names = ", ".join(p.name for p in imported[:5]) + (" …" if len(imported) > 5 else "")
        self.show_message(f"Imported {len(imported)} preset(s) from {path}: {names}.")
        self.presets_changed.emit()
        return imported

    def export_file(self) -> int:
        """Save all of the user's own presets (and changed built-ins) to one file."""
        mine = [p for p in self.presets if not p.builtin]
        if not mine:
            self.show_message("You have no presets of your own to export yet.", error=True)
            return 0
        path = self.main_window.questions.save_path(str(Path.home() / "gpt2-studio-presets.json"))
        if not path:
            return 0
        try:
            export_presets(mine, Path(path))
        except (OSError, PresetError) as exc:
            self.show_message(f"Could not export the presets: {_why(exc)}", error=True)
            return 0
        self.show_message(f"Exported {len(mine)} preset(s) to {path}.")
        return len(mine)

"""Presets in the main window: the toolbar, the Presets menu, the result panel, the runner and the editor."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from gpt2_studio.core.presets.presets import Preset, load_presets
from gpt2_studio.gui.presets.bar import PresetBar
from gpt2_studio.gui.presets.editor import PresetEditorDialog
from gpt2_studio.gui.presets.panel import PresetResultPanel
from gpt2_studio.gui.presets.runner import PresetRunner

log = logging.getLogger(__name__)

# Keys the editor handles itself (no QAction owns them), which a preset's shortcut would steal.
EDITOR_KEYS = ("Ctrl+Space", "Tab", "Ctrl+Right", "Esc", "Alt+]", "Alt+[")


class PresetsUi(QObject):
    """Everything presets add to a main window, and the current list of presets."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.presets: list[Preset] = []
        self.problems: list[str] = []
        self.editor_dialog: PresetEditorDialog | None = None
        portable = QKeySequence.SequenceFormat.PortableText
        self.reserved = {
            action.shortcut().toString(portable)
            for action in window.findChildren(QAction)
            if not action.shortcut().isEmpty()
        } | {QKeySequence(keys).toString(portable) for keys in EDITOR_KEYS}

        self.panel = PresetResultPanel(window.editor, window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        self.panel.hide()
        self.runner = PresetRunner(window, self.panel)
        self.bar = PresetBar(window.presets_menu, window)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.bar)
        toolbar_toggle = self.bar.toggleViewAction()
        toolbar_toggle.setText("Show Preset &Toolbar")
        panel_toggle = self.panel.toggleViewAction()
        panel_toggle.setText("Show Preset &Result Panel")
        self.bar.add_menu_extra(toolbar_toggle)
        self.bar.add_menu_extra(panel_toggle)

        self.bar.run_requested.connect(self.run)
        self.bar.run_to_file_requested.connect(self.run_to_file)
        self.bar.edit_requested.connect(self.show_editor)
        self.bar.stop_requested.connect(self.runner.stop)
        self.runner.running_changed.connect(self.bar.set_running)
        # A result put into the document is not typing: no ghost suggestion until the user types.
        self.panel.inserted.connect(window.controller.stop)
        self.reload()

    def reload(self) -> None:
        """Read the presets again (built-ins and the user's files) and rebuild the buttons and menu."""
        self.presets, problems = load_presets()
        problems += self.bar.set_presets(self.presets, self.reserved)
        self.problems = problems
        if problems:
            self.window.statusBar().showMessage("  ·  ".join(problems), 30_000)

    def action(self, name: str) -> QAction:
        """The button/menu action that runs the preset with this name."""
        return self.bar.actions_by_name[name]

    def run(self, preset: Preset) -> bool:
        """Run a preset on the editor's text."""
        return self.runner.run(preset)

    def run_to_file(self, preset: Preset) -> bool:
        """Run a samples preset and save its samples to a file the user picks."""
        window = self.window
        folder = window.path.parent if window.path else Path.home()
        stem = re.sub(r"[^A-Za-z0-9]+", "-", preset.name).strip("-").lower() or "samples"
        path = window.questions.save_path(str(folder / f"{stem}.txt"))
        if not path:
            return False
        return self.runner.run(preset, path=path)

    def show_editor(self) -> PresetEditorDialog:
        """The preset editor (one per window)."""
        if self.editor_dialog is None:
            self.editor_dialog = PresetEditorDialog(self.window)
            self.editor_dialog.presets_changed.connect(self.reload)
        else:
            self.editor_dialog.reload()
        dialog = self.editor_dialog
        if dialog.isVisible():
            dialog.raise_()  # already open behind the main window
            dialog.activateWindow()
        else:
            dialog.show()
        return dialog


def install_presets(window: QMainWindow) -> PresetsUi:
    """Add presets to a main window that has .editor, .worker, .controller, .questions and .presets_menu."""
    return PresetsUi(window)

"""Presets in the app: the toolbar, the Presets menu, the result panel, the runner and the editor."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from gpt2_studio.core.presets.storage import load_presets
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.models.worker import ModelWorker
from gpt2_studio.gui.presets.bar import PresetBar
from gpt2_studio.gui.presets.collaborators import DocumentPathProvider, QuestionsProvider, SuggestionState
from gpt2_studio.gui.presets.editor import PresetEditorDialog
from gpt2_studio.gui.presets.panel import PresetResultPanel
from gpt2_studio.gui.presets.runner import PresetRunner

log = logging.getLogger(__name__)

# Keys the editor handles itself (no QAction owns them), which a preset's shortcut would steal.
EDITOR_KEYS = ("Ctrl+Space", "Tab", "Ctrl+Right", "Esc", "Alt+]", "Alt+[")


class PresetsUi(QObject):
    """Everything presets add to the app (toolbar, Presets menu, result panel, runner, editor) and the
    current list of presets.

    It works on the collaborators it is given; the window docks ``bar`` and ``panel``, connects the
    request signals, then calls ``reload`` to load the presets.
    """

    status_message = Signal(str, int)  # text, milliseconds to show it (0: until the next message)
    state_changed = Signal(str)  # the short state while a preset runs ("Running TL;DR…", then "Ready")
    new_document_requested = Signal()  # samples replace the document
    save_requested = Signal()  # save the document before samples replace it
    suggestions_pause_requested = Signal()  # text a preset put in is not typing: no ghost for it

    def __init__(
        self,
        editor: GhostTextEdit,
        worker: ModelWorker,
        suggestions: SuggestionState,
        menu: QMenu,
        *,
        questions: QuestionsProvider,
        document_path: DocumentPathProvider,
        reserved_actions: Iterable[QAction] = (),
        parent: QObject | None = None,
    ) -> None:
        """menu: the Presets menu to fill; reserved_actions: the app's actions, whose keys presets may
        not take; questions and document_path give the questions object and the document's file now."""
        super().__init__(parent)
        self.editor = editor
        self.questions = questions
        self.document_path = document_path
        self.presets: list[Preset] = []
        self.problems: list[str] = []
        self.editor_dialog: PresetEditorDialog | None = None
        portable = QKeySequence.SequenceFormat.PortableText
        self.reserved = {
            action.shortcut().toString(portable)
            for action in reserved_actions
            if not action.shortcut().isEmpty()
        } | {QKeySequence(keys).toString(portable) for keys in EDITOR_KEYS}

        self.panel = PresetResultPanel(editor)
        self.panel.hide()  # until a result arrives (or the user shows it)
        self.runner = PresetRunner(
            editor,
            worker,
            suggestions,
            self.panel,
            questions=questions,
            document_path=document_path,
            parent=self,
        )
        self.bar = PresetBar(menu)
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
        # A run that ends with nothing in the panel (stopped at once, failed) does not leave it docked empty.
        self.runner.running_changed.connect(lambda running: running or self.panel.close_if_empty())
        # The runner's requests are the presets' requests: the window connects these once, here.
        self.runner.status_message.connect(self.status_message)
        self.runner.state_changed.connect(self.state_changed)
        self.runner.new_document_requested.connect(self.new_document_requested)
        self.runner.save_requested.connect(self.save_requested)
        self.runner.suggestions_pause_requested.connect(self.suggestions_pause_requested)
        # A result put into the document is not typing: no ghost suggestion until the user types.
        self.panel.inserted.connect(self.suggestions_pause_requested)

    def reload(self) -> None:
        """Read the presets again (built-ins and the user's files) and rebuild the buttons and menu."""
        self.presets, problems = load_presets()
        problems += self.bar.set_presets(self.presets, self.reserved)
        self.problems = problems
        if problems:
            self.status_message.emit("  ·  ".join(problems), 30_000)

    def action(self, name: str) -> QAction:
        """The button/menu action that runs the preset with this name."""
        return self.bar.actions_by_name[name]

    def run(self, preset: Preset) -> bool:
        """Run a preset on the editor's text."""
        return self.runner.run(preset)

    def run_to_file(self, preset: Preset) -> bool:
        """Run a samples preset and save its samples to a file the user picks."""
        document = self.document_path()
        folder = document.parent if document else Path.home()
        stem = re.sub(r"[^A-Za-z0-9]+", "-", preset.name).strip("-").lower() or "samples"
        path = self.questions().save_path(str(folder / f"{stem}.txt"))
        if not path:
            return False
        return self.runner.run(preset, path=path)

    def show_editor(self) -> PresetEditorDialog:
        """The preset editor (one, over the editor's window)."""
        if self.editor_dialog is None:
            self.editor_dialog = PresetEditorDialog(self.questions, self.editor.window())
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

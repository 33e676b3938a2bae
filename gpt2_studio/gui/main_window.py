"""The main window: assembles the editor, menus, sampling panel, status bar and document session."""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QToolBar

from gpt2_studio import __version__
from gpt2_studio.core.generation.context import Prompt
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.settings import AppSettings, save_settings
from gpt2_studio.gui.dock_focus import keyboard_follows
from gpt2_studio.gui.editor.context_dock import ContextDock
from gpt2_studio.gui.editor.document_dialogs import reopen_with_encoding, save_with_encoding
from gpt2_studio.gui.editor.document_session import DocumentSession
from gpt2_studio.gui.editor.find_replace import FindReplaceDialog
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.suggestions import SuggestionController, text_before_cursor, with_notes
from gpt2_studio.gui.editor.window_marker import WindowMarker
from gpt2_studio.gui.lens.controller import install_lens
from gpt2_studio.gui.lens.word_popup import install_word_popup
from gpt2_studio.gui.main_menu import MainMenu
from gpt2_studio.gui.model_switcher import ModelSwitcher
from gpt2_studio.gui.models.banner import ModelBanner, wrap_with_banner
from gpt2_studio.gui.models.worker import ModelInfo, WorkerThread, fit_settings
from gpt2_studio.gui.presets.install import PresetsUi
from gpt2_studio.gui.provenance.install import install_provenance
from gpt2_studio.gui.questions import Questions
from gpt2_studio.gui.sampling_panel import SamplingPanel
from gpt2_studio.gui.spelling.install import install_spelling
from gpt2_studio.gui.status_bar import StatusBar
from gpt2_studio.gui.surface.install import WritingSurface
from gpt2_studio.gui.themes import apply_theme
from gpt2_studio.gui.toolbars import Toolbars
from gpt2_studio.gui.training.install import install_training

if TYPE_CHECKING:  # the engine imports torch, which the window loads only on the worker thread
    from gpt2_studio.core.documents.context_notes import ContextNotes
    from gpt2_studio.core.generation.engine import Completion
    from gpt2_studio.gui.command_palette import CommandPalette
    from gpt2_studio.gui.models.manager import ModelManagerDialog

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt2"


def _encode_bytes(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode_bytes(text: str) -> QByteArray:
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except (ValueError, UnicodeEncodeError):
        return QByteArray()


class MainWindow(QMainWindow):
    """One document, one editor, one model worker."""

    # Names of the settings the Preferences dialog changed (the spell checker listens for its own).
    preferences_changed = Signal(list)

    def __init__(
        self, settings: AppSettings, worker_thread: WorkerThread, *, defaults: SamplingSettings
    ) -> None:
        super().__init__()
        self.settings = settings
        self.worker_thread = worker_thread
        self.worker = worker_thread.worker
        self.find_dialog: FindReplaceDialog | None = None
        self.command_palette: CommandPalette | None = None
        self.resize(1100, 720)

        self.editor = GhostTextEdit(self)
        self.editor.setObjectName("editor")
        self.editor.setPlaceholderText(
            "Start writing. Suggestions appear in grey: Tab accepts, Esc dismisses."
        )
        # While no model is loaded, a banner above the editor says why and how to get one.
        self.model_banner = ModelBanner(self)
        self.setCentralWidget(wrap_with_banner(self.model_banner, self.editor))
        self.panel = SamplingPanel(settings.sampling, defaults, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        self.panel.setVisible(settings.show_sampling_panel)
        self.panel.set_advanced_shown(settings.show_more_settings)
        self.panel.advanced_toggle.toggled.connect(self._remember_more_settings)
        self.context_dock = ContextDock(self)  # the document's Memory and Author's note
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.context_dock)
        self.context_dock.setVisible(settings.show_context_dock)
        self.controller = SuggestionController(self.editor, self.worker, settings.sampling)
        self.controller.set_delay(settings.ghost_delay_ms)
        self.controller.set_enabled(settings.ghost_enabled)
        self.session = DocumentSession(self.editor, Questions(self), settings)
        self.session.notes = self.context_dock  # an untitled document's notes are asked about too
        self.status_bar = StatusBar(self)
        self.setStatusBar(self.status_bar)
        self.window_marker = WindowMarker(self.editor, self.worker, self.status_bar.set_out_of_view)
        self.models = ModelSwitcher(
            self.worker, self.controller, settings, self.status_bar, self.model_banner, self
        )
        self.models.questions = self.session.questions
        panel_toggle, dock_toggle = self.panel.toggleViewAction(), self.context_dock.toggleViewAction()
        keyboard_follows(panel_toggle, self.panel, self.editor)
        keyboard_follows(dock_toggle, self.context_dock, self.editor, self.context_dock.memory_edit)
        self.main_menu = MainMenu(self.editor, settings, panel_toggle, self, context_toggle=dock_toggle)
        self.setMenuBar(self.main_menu)
        self.toolbars = Toolbars(
            self, self.main_menu, self.editor, panel_toggle=panel_toggle, notes_toggle=dock_toggle
        )
        # The presets UI, the preset runner and the self-test read these from the window.
        self.presets_menu = self.main_menu.presets_menu
        self.model_label = self.status_bar.model_label
        self.state_label = self.status_bar.state_label
        self.context_window_timer = QTimer(self)
        self.context_window_timer.setSingleShot(True)
        self.context_window_timer.setInterval(250)
        self.context_window_timer.timeout.connect(self._update_context_window_fill)
        self._connect()
        self.lens = install_lens(self)  # View → Likelihood Lens: the heat map, its toolbar button, legend
        self.word_popup = install_word_popup(self)  # Alt+click a word: the model's alternatives for it
        self.spelling = install_spelling(self)  # wavy underlines, right-click suggestions, Edit → Spelling
        self.provenance = install_provenance(self)  # which words the model wrote: spans, view, export
        self.training = install_training(self)  # File → Learn a Style…: fine-tuning in its own process
        self._install_presets()  # before restoreState, which places the toolbar and panel
        # The column, font, line spacing, counts, focus mode, full screen and Preferences.
        self.surface = WritingSurface(self)
        self.toolbars.arrange(self.presets.bar, self.findChild(QToolBar, "likelihood-toolbar"))
        self.toolbars.stop_follows(
            lambda: self.controller.in_flight or self.presets.runner.running,
            self.controller.state_changed,
            self.presets.runner.running_changed,
        )
        if settings.window_geometry:
            self.restoreGeometry(_decode_bytes(settings.window_geometry))
        if settings.window_state:
            self.restoreState(_decode_bytes(settings.window_state))
            self.presets.panel.close_if_empty()  # results are not kept: the restored dock would be empty
        self._update_title()

    def _install_presets(self) -> None:
        """The presets get the editor, the worker and the questions; the window docks them and answers."""
        self.presets = PresetsUi(
            self.editor,
            self.worker,
            self.controller,
            self.presets_menu,
            questions=lambda: self.questions,  # tests swap the window's questions object
            document_path=lambda: self.path,
            reserved_actions=self.findChildren(QAction),
            parent=self,
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.presets.panel)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.presets.bar)
        self.presets.status_message.connect(self.statusBar().showMessage)
        self.presets.state_changed.connect(self.state_label.setText)
        self.presets.new_document_requested.connect(self.new_document)
        self.presets.save_requested.connect(self.save)
        self.presets.suggestions_pause_requested.connect(self.controller.stop)
        self.presets.reload()

    def _connect(self) -> None:
        bar, menu, session = self.status_bar, self.main_menu, self.session
        self.models.model_changed.connect(self._update_context_window_fill)
        self.models.model_changed.connect(
            lambda: self.panel.mark_ignored(self.model_info.ignored_settings if self.model_info else ())
        )
        self.worker.notice.connect(lambda text: bar.showMessage(text, 15_000))
        self.controller.state_changed.connect(self._on_state)
        self.controller.message.connect(lambda text: bar.showMessage(text, 8000))
        self.controller.stats.connect(self._on_stats)
        self.panel.settings_changed.connect(self._on_sampling_changed)
        self.editor.ghost_changed.connect(self._update_alternative_label)
        self.editor.cursorPositionChanged.connect(self.context_window_timer.start)
        session.title_changed.connect(self._update_title)
        session.message.connect(bar.showMessage)
        session.replacing.connect(self.controller.stop)
        session.recovery_writer.failed.connect(bar.recovery_warning.show_failure)
        session.recovery_writer.succeeded.connect(bar.recovery_warning.clear)
        session.replaced.connect(self.context_dock.open_document)
        session.saved.connect(self.context_dock.document_saved)
        self.context_dock.notes_changed.connect(self._on_notes_changed)
        self.context_dock.warning.connect(lambda text: bar.showMessage(text, 15_000))
        for signal, slot in (
            (menu.new_requested, self.new_document),
            (menu.open_requested, session.open_dialog),
            (menu.open_recent_requested, session.open_recent),
            (menu.save_requested, self.save),
            (menu.save_as_requested, self.save_as),
            (menu.save_with_encoding_requested, lambda: save_with_encoding(self)),
            (menu.reopen_with_encoding_requested, lambda: reopen_with_encoding(self)),
            (menu.models_requested, self.show_model_manager),
            (menu.model_folder_requested, self.choose_model_folder),
            (menu.quit_requested, self.close),
            (menu.find_requested, self.show_find),
            (menu.suggest_requested, self.controller.suggest_now),
            (menu.stop_requested, self.stop_generating),
            (menu.auto_suggest_toggled, self._set_auto_suggest),
            (menu.delay_chosen, self.set_suggestion_delay),
            (menu.threads_chosen, self.models.set_threads),
            (menu.font_size_requested, self.change_font_size),
            (menu.theme_requested, self.set_theme),
            (menu.shortcuts_requested, self.show_shortcuts),
            (menu.command_palette_requested, self.show_command_palette),
            (menu.about_requested, self.show_about),
        ):
            signal.connect(slot)

    # -- the document (kept by the session; the presets UI and File-menu actions use these) -------
    @property
    def questions(self) -> Any:
        """Every question the window asks the user (tests put a scripted one here)."""
        return self.session.questions

    @questions.setter
    def questions(self, questions: Any) -> None:
        self.session.questions = self.models.questions = questions

    @property
    def path(self) -> Path | None:
        """The document's file, or None while it is untitled."""
        return self.session.path

    @property
    def encoding(self) -> str:
        """The encoding the document is saved in."""
        return self.session.encoding

    @property
    def newline(self) -> str:
        """The line ending the document is saved with."""
        return self.session.newline

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        return self.session.maybe_save()

    def new_document(self) -> None:
        """An empty, untitled document (after asking about unsaved changes)."""
        self.session.new_document()

    def open_file(self, path: str | Path, *, ask: bool = True, encoding: str | None = None) -> bool:
        """Open a text file; see DocumentSession.open_file."""
        return self.session.open_file(path, ask=ask, encoding=encoding)

    def save(self) -> bool:
        """Save the document (Save As when untitled); False when not saved."""
        return self.session.save()

    def save_as(self, *, encoding: str | None = None, newline: str | None = None) -> bool:
        """Save under a new name, optionally with another encoding and line ending."""
        return self.session.save_as(encoding=encoding, newline=newline)

    def write_recovery(self) -> None:
        """Copy unsaved work to the recovery folder now (when it changed)."""
        self.session.write_recovery()

    def offer_recovery(self) -> bool:
        """At start-up: offer unsaved work left by a crashed session; True if something was restored."""
        return self.session.offer_recovery()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.session.title()} — GPT-2 Studio")

    # -- model (kept by the switcher; launch, the self-test and tests use these) -------------------
    @property
    def model_info(self) -> ModelInfo | None:
        """The loaded model, or None."""
        return self.models.model_info

    @property
    def model_manager(self) -> ModelManagerDialog | None:
        """The model manager last opened, if any."""
        return self.models.model_manager

    def load_model(self, ref: str) -> None:
        """Load a model on the worker thread; the editor, and the model in use, keep working meanwhile."""
        self.models.load_model(ref)

    def show_model_manager(self, first_start: bool = False) -> None:
        """The model manager: download, import, delete, choose the model and the device."""
        self.models.show_model_manager(first_start)

    def show_no_model(self, reason: str, *, first_start: bool) -> None:
        """No model to load: say so in the status bar and a banner that stays until one loads."""
        self.models.show_no_model(reason, first_start=first_start)

    def choose_model_folder(self) -> None:
        """File → Open Model Folder: load a GPT-2 checkpoint folder the user picks."""
        self.models.choose_model_folder()

    # -- suggestions ----------------------------------------------------------------------------
    def _on_state(self, state: str) -> None:
        if self.presets.runner.running:
            return  # the label shows the preset's progress; the runner sets it back when it ends
        if self.controller.model_ready and self.models.loading_ref is None:
            self.status_bar.set_state("Generating" if state == "generating" else "Ready")

    def _on_stats(self, completion: Completion) -> None:
        self.status_bar.set_speed(completion.tokens_per_second)
        self._update_context_window_fill()

    def _on_sampling_changed(self, settings: SamplingSettings) -> None:
        self.settings.sampling = settings
        self.controller.set_settings(settings)
        self._update_context_window_fill()

    def _remember_more_settings(self, shown: bool) -> None:
        # Kept as the writer left it; saved with the other settings when the window closes.
        self.settings.show_more_settings = shown

    def stop_generating(self) -> None:
        """Stop the suggestion and any preset in flight."""
        self.controller.stop()
        self.presets.runner.stop()

    def set_suggestion_delay(self, milliseconds: int) -> None:
        """How long typing must pause before a suggestion is asked for."""
        self.settings.ghost_delay_ms = milliseconds
        self.controller.set_delay(milliseconds)

    def _set_auto_suggest(self, enabled: bool) -> None:
        self.settings.ghost_enabled = enabled
        self.controller.set_enabled(enabled)

    def _update_alternative_label(self) -> None:
        ghost = self.editor.ghost
        numbers = ghost.numbers[ghost.index] if ghost and ghost.index < len(ghost.numbers) else None
        self.status_bar.set_alternatives(
            ghost.index if ghost else 0, len(ghost.alternatives) if ghost else 0, numbers
        )

    def _on_notes_changed(self, notes: ContextNotes) -> None:
        self.controller.set_notes(notes)  # cancels the ghost, which was made without them
        self.context_window_timer.start()

    def _update_context_window_fill(self) -> None:
        context_window = self.worker.context_window
        if context_window is None:
            self.status_bar.clear_context_fill()
            self.window_marker.show_fill(None, "")
            self.context_dock.set_token_counts(None, None)
            return
        notes = self.controller.notes
        # Measured as a suggestion would be asked for: with the notes, and max_new_tokens that fit.
        settings = fit_settings(self.settings.sampling, context_window, True)
        text = text_before_cursor(self.editor)
        fill = self.worker.measure_prompt(with_notes(text, notes), settings)
        if fill is not None:
            self.status_bar.set_context_fill(fill)
        self.window_marker.show_fill(fill, text)  # where the model's view begins, and what is out of it
        # What each costs in the window, as the engine places it (with its line end; blank: left out).
        memory, _above, note, _below = Prompt("", notes.memory, notes.authors_note).parts()
        self.context_dock.set_token_counts(self.worker.count_tokens(memory), self.worker.count_tokens(note))

    # -- view -----------------------------------------------------------------------------------
    def _apply_font(self) -> None:
        self.surface.apply_font()

    def change_font_size(self, step: int) -> None:
        """+1 / -1 point, or 0 for the default size."""
        size = 12 if step == 0 else self.settings.font_size + step
        self.settings.font_size = min(72, max(6, size))
        self._apply_font()

    def set_theme(self, theme: str) -> None:
        """Switch the application to the "system", "dark" or "light" theme ("system" follows the OS live)."""
        self.settings.theme = theme
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        self.main_menu.show_theme(theme)

    def show_preferences(self) -> None:
        """Edit → Preferences (Ctrl+,)."""
        self.surface.show_preferences()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Keep View → Full Screen checked only while the window is full screen."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange and hasattr(self, "surface"):
            self.surface.window_state_changed()

    def show_find(self) -> None:
        """Edit → Find / Replace, seeded with the selected text when it is on one line."""
        if self.find_dialog is None:
            self.find_dialog = FindReplaceDialog(self.editor, self)
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_dialog.find_text.setText(selected)
        self.find_dialog.show()
        self.find_dialog.raise_()
        self.find_dialog.find_text.setFocus()

    def show_shortcuts(self) -> None:
        """Help → Keyboard Shortcuts: every key, read from the menus and presets as they are now."""
        from gpt2_studio.gui.shortcuts_dialog import ShortcutsDialog, collect_shortcuts

        if getattr(self, "shortcuts_dialog", None) is not None:
            self.shortcuts_dialog.deleteLater()
        self.shortcuts_dialog = ShortcutsDialog(collect_shortcuts(self), self)
        self.shortcuts_dialog.open()

    def show_command_palette(self) -> None:
        """View → Command Palette (Ctrl+Shift+P): every action of the window as it is now, by name."""
        from gpt2_studio.gui.command_palette import CommandPalette
        from gpt2_studio.gui.window_actions import window_actions

        if self.command_palette is None:
            self.command_palette = CommandPalette(self)
        itself = self.main_menu.command_palette_action
        self.command_palette.show_commands([c for c in window_actions(self) if c.action is not itself])

    def show_about(self) -> None:
        """Help → About: the version and the model in use."""
        info = self.model_info
        model = (
            f"Model: {info.name} ({info.parameters / 1e6:.0f}M parameters, "
            f"window {info.n_positions} tokens)\n"
            f"Folder: {info.folder}\nDevice: {info.device} ({info.precision})"
            if info
            else "No model loaded."
        )
        self.questions.info("About GPT-2 Studio", f"GPT-2 Studio {__version__}\n\n{model}")

    # -- closing --------------------------------------------------------------------------------
    def save_settings(self) -> str | None:
        """Write the settings; returns None, or the one-sentence reason they could not be saved."""
        from gpt2_studio.core.errors import StudioError

        focus = self.surface.focus_mode
        focused = focus.active
        focus.set_active(False)  # the panels as the writer left them, not as focus mode hid them
        self.settings.window_geometry = _encode_bytes(self.saveGeometry())
        self.settings.window_state = _encode_bytes(self.saveState())
        self.settings.show_sampling_panel = self.panel.isVisible()
        self.settings.show_context_dock = self.context_dock.isVisible()
        focus.set_active(focused)
        try:
            save_settings(self.settings)
        except StudioError as exc:
            log.warning("%s", exc)
            return str(exc)
        return None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Close after the document is saved or dropped, asking when the settings cannot be written."""
        from gpt2_studio.gui.presets.questions import ask

        if not self.maybe_save():  # the text and the notes: stored, or given up by the writer
            event.ignore()
            return
        problem = self.save_settings()
        if problem is not None and not ask(self.questions, self, "ask_close_without_settings", problem):
            event.ignore()
            return
        self.controller.stop()
        self.lens.close()
        self.window_marker.close()
        self.surface.close()
        self.editor.ghost_tooltip.remove()
        self.word_popup.close()
        self.spelling.close()
        self.training.close()  # a run still training saves a checkpoint and stops
        self.session.close()
        event.accept()

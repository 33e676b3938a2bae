"""The main window: the editor, its menus, the sampling panel, the status bar and document handling."""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMenu

from gpt2_studio import __version__
from gpt2_studio.core.documents.instance import clean_stale_temporaries
from gpt2_studio.core.documents.recovery import RecoveryStore
from gpt2_studio.core.documents.text_files import (
    NEWLINE_NAMES,
    DocumentError,
    FileChangedOnDiskError,
    FileStamp,
    NotUtf8Error,
    describe_encoding,
    read_text_file,
    write_text_file,
)
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.settings import AppSettings, save_settings
from gpt2_studio.gui.editor.document_dialogs import ask as ask_document_question
from gpt2_studio.gui.editor.document_dialogs import reopen_with_encoding, save_with_encoding
from gpt2_studio.gui.editor.document_text import exact_text, raw_snapshot, set_exact_text
from gpt2_studio.gui.editor.find_replace import FindReplaceDialog
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.recovery_writer import RecoveryWarning, RecoveryWriter, Snapshot
from gpt2_studio.gui.editor.suggestions import SuggestionController, text_before_cursor
from gpt2_studio.gui.models.banner import ModelBanner, no_model_text, nothing_installed, wrap_with_banner
from gpt2_studio.gui.models.worker import ModelInfo, WorkerThread
from gpt2_studio.gui.presets.install import install_presets
from gpt2_studio.gui.questions import Questions, centre_on
from gpt2_studio.gui.sampling_panel import SamplingPanel
from gpt2_studio.gui.themes import apply_theme

log = logging.getLogger(__name__)

RECOVERY_INTERVAL_MS = 5_000
FIRST_COPY_DELAY_MS = 1_000  # the first recovery copy, soon after the first edit
LARGE_DOCUMENT_CHARS = 2_000_000  # above this, recovery copies wait for a pause in typing
TYPING_PAUSE_MS = 700
RECOVERY_MAX_DELAY_S = 30.0
SUGGESTION_DELAYS_MS = (200, 400, 700, 1000, 2000)
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

    def __init__(
        self, settings: AppSettings, worker_thread: WorkerThread, *, defaults: SamplingSettings
    ) -> None:
        super().__init__()
        self.settings = settings
        self.worker_thread = worker_thread
        self.worker = worker_thread.worker
        self.questions = Questions(self)
        self.recovery = RecoveryStore()
        self.recovery_writer = RecoveryWriter(self.recovery, self)
        self.recovery_warning = RecoveryWarning(self)
        self._copy_scheduled = False
        self._last_edit = self._last_copy_at = time.monotonic()
        self.doc_id = RecoveryStore.new_doc_id()
        self.path: Path | None = None
        self.encoding = "utf-8"
        self.newline = "\n"
        self.stamp: FileStamp | None = None
        self.model_info: ModelInfo | None = None
        self._recovered_revision = -1
        self._closing = False

        self.setWindowTitle("GPT-2 Studio")
        self.resize(1100, 720)
        self.editor = GhostTextEdit(self)
        self.editor.setObjectName("editor")
        self.editor.setPlaceholderText(
            "Start writing. Suggestions appear in grey: Tab accepts, Esc dismisses."
        )
        self.setCentralWidget(self.editor)
        self.panel = SamplingPanel(settings.sampling, defaults, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        self.panel.setVisible(settings.show_sampling_panel)
        self.controller = SuggestionController(self.editor, self.worker, settings.sampling)
        self.controller.set_delay(settings.ghost_delay_ms)
        self.controller.set_enabled(settings.ghost_enabled)
        self.find_dialog: FindReplaceDialog | None = None
        self.model_manager = None

        self.recovery_timer = QTimer(self)
        self.recovery_timer.setInterval(RECOVERY_INTERVAL_MS)
        self.recovery_timer.timeout.connect(self.write_recovery)
        self.recovery_timer.start()
        self.first_copy_timer = QTimer(self)
        self.first_copy_timer.setSingleShot(True)
        self.first_copy_timer.setInterval(FIRST_COPY_DELAY_MS)
        self.first_copy_timer.timeout.connect(self.write_recovery)
        self.editor.document().contentsChanged.connect(self._schedule_first_copy)
        self.recovery_writer.failed.connect(self.recovery_warning.show_failure)
        self.recovery_writer.succeeded.connect(self.recovery_warning.clear)
        self.context_window_timer = QTimer(self)
        self.context_window_timer.setSingleShot(True)
        self.context_window_timer.setInterval(250)
        self.context_window_timer.timeout.connect(self._update_context_window_fill)
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.presets = install_presets(self)  # before restoreState: it places the toolbar and panel
        self._apply_font()
        if settings.window_geometry:
            self.restoreGeometry(_decode_bytes(settings.window_geometry))
        if settings.window_state:
            self.restoreState(_decode_bytes(settings.window_state))
        self._update_title()

    # -- construction ---------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setStyleSheet(
            "QStatusBar::item { border: none; border-left: 1px solid palette(mid); }"
            "QStatusBar QLabel { padding: 0 6px; }"
        )
        self.model_label = QLabel("No model")
        self.device_label = QLabel("")
        self.state_label = QLabel("Starting")
        self.speed_label = QLabel("")
        self.context_window_label = QLabel("")
        self.alternative_label = QLabel("")
        self.model_label.setObjectName("status-model")
        self.state_label.setObjectName("status-state")
        self.alternative_label.setObjectName("status-alternative")
        for label in (
            self.alternative_label,
            self.context_window_label,
            self.speed_label,
            self.state_label,
            self.device_label,
            self.model_label,
        ):
            bar.addPermanentWidget(label)
        self.context_window_label.setToolTip(
            "How much of the model's window the text before the cursor fills"
        )
        self.speed_label.setToolTip("Speed of the last suggestion")
        # While no model is loaded, a banner above the editor says why and how to get one.
        self.model_banner = ModelBanner(self)
        self.setCentralWidget(wrap_with_banner(self.model_banner, self.takeCentralWidget()))
        self._loading_ref: str | None = None

    def _action(self, menu: QMenu, text: str, slot, shortcut=None, *, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        if name:
            action.setObjectName(name)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        keys = QKeySequence.StandardKey
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New", self.new_document, keys.New)
        self._action(file_menu, "&Open…", self.open_dialog, keys.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Save", self.save, keys.Save, name="action-save")
        self._action(file_menu, "Save &As…", self.save_as, keys.SaveAs)
        self._action(file_menu, "Save with &Encoding…", lambda: save_with_encoding(self))
        self._action(file_menu, "Reopen with Encodin&g…", lambda: reopen_with_encoding(self))
        file_menu.addSeparator()
        self._action(file_menu, "&Models…", self.show_model_manager, "Ctrl+Shift+M", name="action-models")
        self._action(file_menu, "Open &Model Folder…", self.choose_model_folder)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, keys.Quit)

        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", self.editor.undo, keys.Undo)
        self.redo_action = self._action(edit, "&Redo", self.editor.redo, keys.Redo)
        edit.addSeparator()
        self._action(edit, "Cu&t", self.editor.cut, keys.Cut)
        self._action(edit, "&Copy", self.editor.copy, keys.Copy)
        self._action(edit, "&Paste", self.editor.paste, keys.Paste)
        edit.addSeparator()
        self._action(edit, "&Find…", self.show_find, keys.Find)
        self._action(edit, "&Replace…", self.show_find, keys.Replace)
        edit.addSeparator()
        self._action(edit, "Select &All", self.editor.selectAll, keys.SelectAll)

        generate = bar.addMenu("&Generate")
        # The editor handles these keys itself (Tab must still indent when nothing is suggested), so
        # the menu shows them without owning the shortcut.
        suggest = self._action(generate, "&Suggest Now\tCtrl+Space", self.controller.suggest_now)
        suggest.setObjectName("action-suggest")
        self._action(generate, "&Accept\tTab", self.editor.accept_all)
        self._action(generate, "Accept &Word\tCtrl+Right", self.editor.accept_word)
        self._action(generate, "&Next Alternative\tAlt+]", lambda: self.editor.cycle_ghost(1))
        self._action(generate, "&Previous Alternative\tAlt+[", lambda: self.editor.cycle_ghost(-1))
        self._action(generate, "S&top", self.stop_generating, "Ctrl+.")
        generate.addSeparator()
        self.auto_action = QAction("Suggest While &Typing", self, checkable=True)
        self.auto_action.setChecked(self.settings.ghost_enabled)
        self.auto_action.toggled.connect(self._set_auto_suggest)
        generate.addAction(self.auto_action)
        delay_menu = generate.addMenu("Pause Before &Suggesting")
        delays = QActionGroup(self)
        for milliseconds in SUGGESTION_DELAYS_MS:
            action = QAction(f"{milliseconds / 1000:g} s", self, checkable=True)
            action.setChecked(milliseconds == self.settings.ghost_delay_ms)
            action.triggered.connect(lambda _checked=False, ms=milliseconds: self.set_suggestion_delay(ms))
            delays.addAction(action)
            delay_menu.addAction(action)

        self.presets_menu = bar.addMenu("&Presets")  # filled by install_presets

        view = bar.addMenu("&View")
        bigger = self._action(view, "&Bigger Font", lambda: self.change_font_size(1), keys.ZoomIn)
        # Ctrl+= is Ctrl++ without Shift on most keyboards.
        bigger.setShortcuts([*QKeySequence.keyBindings(keys.ZoomIn), QKeySequence("Ctrl+=")])
        self._action(view, "&Smaller Font", lambda: self.change_font_size(-1), keys.ZoomOut)
        self._action(view, "&Default Font Size", lambda: self.change_font_size(0), "Ctrl+0")
        view.addSeparator()
        self.dark_action = QAction("&Dark Theme", self, checkable=True)
        self.dark_action.setChecked(self.settings.theme == "dark")
        self.dark_action.toggled.connect(lambda on: self.set_theme("dark" if on else "light"))
        view.addAction(self.dark_action)
        view.addSeparator()
        panel_action = self.panel.toggleViewAction()
        panel_action.setText("&Sampling Panel")
        view.addAction(panel_action)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard Shortcuts", self.show_shortcuts, name="action-shortcuts")
        self._action(help_menu, "&About GPT-2 Studio", self.show_about)

    def _connect(self) -> None:
        self.worker.model_loading.connect(self._on_model_loading)
        self.worker.model_loaded.connect(self._on_model_loaded)
        self.worker.model_failed.connect(self._on_model_failed)
        self.worker.notice.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.controller.state_changed.connect(self._on_state)
        self.controller.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.controller.stats.connect(self._on_stats)
        self.panel.settings_changed.connect(self._on_sampling_changed)
        self.editor.ghost_changed.connect(self._update_alternative_label)
        self.editor.document().modificationChanged.connect(lambda _m: self._update_title())
        self.editor.cursorPositionChanged.connect(self.context_window_timer.start)
        self.editor.document().undoAvailable.connect(self.undo_action.setEnabled)
        self.editor.document().redoAvailable.connect(self.redo_action.setEnabled)
        self.model_banner.manager_requested.connect(self._offer_models)
        self.model_banner.folder_requested.connect(self.choose_model_folder)

    # -- model ----------------------------------------------------------------------------------
    def load_model(self, ref: str) -> None:
        """Load a model on the worker thread; the editor, and the model in use, keep working meanwhile."""
        self.controller.stop()
        self.worker.load(ref, self.settings.device, self.settings.precision)

    def show_model_manager(self, first_start: bool = False) -> None:
        """The model manager: download, import, delete, choose the model and the device."""
        from gpt2_studio.gui.models.manager import ModelManagerDialog

        in_use = self.model_info.ref if self.model_info is not None else None
        dialog = ModelManagerDialog(
            in_use, self, self.questions, first_start=first_start, device=self.settings.device
        )
        dialog.model_chosen.connect(self.load_model)
        dialog.device_chosen.connect(self.set_device)
        self.model_manager = dialog
        dialog.open()
        centre_on(dialog, self)

    def _offer_models(self) -> None:
        self.show_model_manager(first_start=nothing_installed())

    def show_no_model(self, reason: str, *, first_start: bool) -> None:
        """No model to load: say so in the status bar and a banner that stays until one loads."""
        self.model_label.setText("No model")
        self.state_label.setText("No model")
        self.device_label.setText("")
        self.model_banner.show_reason(no_model_text(None if first_start else reason))
        log.warning("%s", reason)

    def _refresh_model_manager(self) -> None:
        manager = self.model_manager
        if manager is not None and manager.isVisible():
            manager.current = self.model_info.ref if self.model_info is not None else None
            manager.refresh()

    def set_device(self, device: str) -> None:
        """Run the model on another device (auto, cpu, cuda): reloads the current model there."""
        self.settings.device = device
        if self.model_info is not None:
            self.load_model(self.model_info.ref)

    def choose_model_folder(self) -> None:
        folder = self.questions.model_folder(str(Path.home()))
        if folder:
            self.load_model(folder)

    def _on_model_loading(self, ref: str) -> None:
        self._loading_ref = ref
        if self.model_info is None:
            self.model_label.setText(f"Loading {ref}…")
        else:  # the current model stays in use until the new one has loaded
            self.model_label.setToolTip(f"{self.model_info.folder}\nLoading {ref}…")
        self.state_label.setText("Loading")

    def _on_model_loaded(self, info: ModelInfo) -> None:
        self._loading_ref = None
        self.model_info = info
        self.controller.model_ready = True
        self.model_banner.hide()
        self.settings.model = info.ref
        self.model_label.setText(info.name)
        self.model_label.setToolTip(info.folder)
        device = "CUDA" if info.device == "cuda" else "CPU"
        self.device_label.setText(f"{device} · {info.precision}")
        self.state_label.setText("Ready")
        for warning in info.warnings:
            self.statusBar().showMessage(warning, 10_000)
        self._update_context_window_fill()
        self._refresh_model_manager()

    def _on_model_failed(self, message: str) -> None:
        self._loading_ref = None
        log.warning("%s", message)
        info = self.model_info
        if info is not None and self.worker.context_window is not None:
            # The worker keeps the model it had: say what failed and carry on with it.
            self.model_label.setText(info.name)
            self.model_label.setToolTip(info.folder)
            self.state_label.setText("Ready")
            self.statusBar().showMessage(f"{message} Still using {info.name}.")
            return
        self.model_info = None
        self.controller.model_ready = False
        self.statusBar().showMessage(message)
        self.show_no_model(message, first_start=False)
        self._refresh_model_manager()

    def _on_state(self, state: str) -> None:
        if self.presets.runner.running:
            return  # the label shows the preset's progress; the runner sets it back when it ends
        if self.controller.model_ready and self._loading_ref is None:
            self.state_label.setText("Generating" if state == "generating" else "Ready")

    def _on_stats(self, completion) -> None:
        self.speed_label.setText(f"{completion.tokens_per_second:.0f} tok/s")
        self._update_context_window_fill()

    def _on_sampling_changed(self, settings: SamplingSettings) -> None:
        self.settings.sampling = settings
        self.controller.settings = settings
        self._update_context_window_fill()

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
        count = len(ghost.alternatives) if ghost else 0
        self.alternative_label.setText(f"{ghost.index + 1}/{count}" if ghost and count > 1 else "")

    def _update_context_window_fill(self) -> None:
        context_window = self.worker.context_window
        if context_window is None:
            self.context_window_label.setText("")
            return
        measured = self.worker.measure_prompt(text_before_cursor(self.editor), self.settings.sampling)
        if measured is None:
            return
        tokens, budget, trimmed = measured
        if trimmed:
            self.context_window_label.setText("Window: full")
            self.context_window_label.setToolTip(
                "The start of the text no longer fits the model's window; it sees the end."
            )
        else:
            self.context_window_label.setText(f"Window: {100 * tokens // budget}%")

    # -- documents ------------------------------------------------------------------------------
    def _display_name(self) -> str:
        return self.path.name if self.path else "Untitled"

    def _update_title(self) -> None:
        modified = "*" if self.editor.document().isModified() else ""
        # UTF-8 with "\n" is the default and goes unmentioned; anything else is shown.
        details = ""
        if (self.encoding, self.newline) != ("utf-8", "\n"):
            details = f" [{describe_encoding(self.encoding)}, {NEWLINE_NAMES[self.newline]}]"
        self.setWindowTitle(f"{modified}{self._display_name()}{details} — GPT-2 Studio")

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.editor.document().isModified():
            return True
        answer = self.questions.ask_save_changes(self._display_name())
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_document(self) -> None:
        if not self.maybe_save():
            return
        self._set_document("", None, "utf-8", "\n", None)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        folder = str(self.path.parent) if self.path else str(Path.home())
        path = self.questions.open_path(folder)
        if path:
            self.open_file(path, ask=False)

    def open_file(self, path: str | Path, *, ask: bool = True, encoding: str | None = None) -> bool:
        """Open a text file; text that is not UTF-8 opens only in an encoding the user chooses."""
        if ask and not self.maybe_save():
            return False
        try:
            try:
                loaded = read_text_file(path, encoding=encoding)
            except NotUtf8Error as exc:
                chosen = ask_document_question(
                    self, "choose_encoding", str(exc), exc.candidates, str(exc.path)
                )
                if not chosen:
                    return False
                loaded = read_text_file(path, encoding=chosen)
        except DocumentError as exc:
            self.questions.error("Cannot open file", str(exc))
            return False
        self._set_document(loaded.text, loaded.path, loaded.encoding, loaded.newline, loaded.stamp)
        if loaded.warning:
            self.statusBar().showMessage(loaded.warning)
        self.settings.add_recent(str(loaded.path))
        return True

    def _set_document(self, text: str, path: Path | None, encoding: str, newline: str, stamp) -> None:
        self.controller.stop()
        self.recovery_writer.discard(self.doc_id)
        self.doc_id = RecoveryStore.new_doc_id()
        set_exact_text(self.editor, text)
        self.editor.document().setModified(False)
        self.first_copy_timer.stop()
        self._copy_scheduled = False
        self.path, self.encoding, self.newline, self.stamp = path, encoding, newline, stamp
        self._recovered_revision = self.editor.document().revision()
        self._update_title()

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path, expected=self.stamp)

    def save_as(self, *, encoding: str | None = None, newline: str | None = None) -> bool:
        """Save under a new name, optionally with another encoding and line ending."""
        suggested = str(self.path) if self.path else str(Path.home() / "Untitled.txt")
        path = self.questions.save_path(suggested)
        if not path:
            return False
        same_file = self.path is not None and Path(path).resolve() == self.path.resolve()
        # Saving over the open file under its own name still guards against others' changes.
        return self._write(
            Path(path), expected=self.stamp if same_file else None, encoding=encoding, newline=newline
        )

    def _write(
        self,
        path: Path,
        expected: FileStamp | None,
        *,
        encoding: str | None = None,
        newline: str | None = None,
    ) -> bool:
        text = exact_text(self.editor.document())
        encoding = encoding or self.encoding
        newline = newline or self.newline
        try:
            try:
                stamp = write_text_file(path, text, encoding=encoding, newline=newline, expected=expected)
            except FileChangedOnDiskError:
                if not self.questions.ask_overwrite_changed(str(path)):
                    return False
                stamp = write_text_file(
                    path, text, encoding=encoding, newline=newline, overwrite_changed=True
                )
        except DocumentError as exc:
            self.questions.error("Cannot save file", f"{exc}\n\nYour text is still in the editor.")
            return False
        self.path, self.stamp, self.encoding, self.newline = path, stamp, encoding, newline
        self.editor.document().setModified(False)
        self.recovery_writer.discard(self.doc_id)
        self.settings.add_recent(str(path))
        self.statusBar().showMessage(f"Saved {path}", 4000)
        self._update_title()
        return True

    def _fill_recent_menu(self) -> None:
        # Entries that cannot name a file (a NUL, a lone surrogate: only a hand-edited settings file has
        # them) are shown disabled; opening one that vanished is explained by open_file.
        from gpt2_studio.core.settings import usable_path

        def open_recent(path: str) -> None:
            try:
                self.open_file(path)
            except (OSError, ValueError) as exc:
                self.questions.error("Cannot open file", f"{path} cannot be opened: {exc}.")

        self.recent_menu.clear()
        metrics = self.recent_menu.fontMetrics()
        for path in self.settings.recent_files:
            usable = usable_path(path)
            shown = path if usable else ascii(path)
            printable = "".join(c if c.isprintable() else "\ufffd" for c in shown)  # a tab, a newline
            label = metrics.elidedText(printable, Qt.TextElideMode.ElideMiddle, 600).replace("&", "&&")
            action = self.recent_menu.addAction(label)
            action.setToolTip(shown)
            if usable:
                action.triggered.connect(lambda _checked=False, p=path: open_recent(p))
            else:
                action.setEnabled(False)
        if not self.settings.recent_files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # -- recovery -------------------------------------------------------------------------------
    def _schedule_first_copy(self) -> None:
        self._last_edit = time.monotonic()
        # Work typed in the first seconds is copied soon after the first edit, not at the next interval.
        if not self._copy_scheduled:
            self._copy_scheduled = True
            self.first_copy_timer.start()

    def write_recovery(self) -> None:
        """Copy unsaved work to the recovery folder (on a background thread) when it changed."""
        document = self.editor.document()
        if not document.isModified():
            return
        if document.revision() == self._recovered_revision:
            return
        now = time.monotonic()
        # Copying a large document's text takes the GUI thread a moment (about 0.3 s at 50 MB): wait
        # for a pause in typing, but not longer than RECOVERY_MAX_DELAY_S since the last copy.
        if (
            document.characterCount() > LARGE_DOCUMENT_CHARS
            and now - self._last_edit < TYPING_PAUSE_MS / 1000
            and now - self._last_copy_at < RECOVERY_MAX_DELAY_S
        ):
            self.first_copy_timer.start(TYPING_PAUSE_MS)
            return
        snapshot = Snapshot(
            self.doc_id,
            raw_snapshot(document),
            str(self.path) if self.path else None,
            self.encoding,
            self.newline,
            self.stamp,
        )
        self.recovery_writer.write(snapshot)
        self._recovered_revision = document.revision()
        self._last_copy_at = now

    def offer_recovery(self) -> bool:
        """At start-up: offer unsaved work left by a crashed session; True if something was restored."""
        for temp in clean_stale_temporaries():
            log.info("Removed a temporary file left by a crashed save: %s", temp)
        pending = self.recovery.pending()
        if not pending:
            return False
        newest = pending[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.saved_at))
        name = newest.source_path or "Untitled"
        descriptions = [f"{name} ({len(newest.text):,} characters, {when})"]
        if len(pending) > 1:
            descriptions.append(f"({len(pending) - 1} older unsaved document(s) will be offered next time.)")
        if not self.questions.ask_restore(descriptions):
            self.recovery.discard(newest.doc_id)
            return False
        path = Path(newest.source_path) if newest.source_path else None
        # Saved back as it was read, and a save still notices changes made to the file since.
        self._set_document(newest.text, path, newest.encoding, newest.newline, newest.stamp)
        self.editor.document().setModified(True)
        # A crash right after restoring must not lose the work: the old copy goes only once this
        # instance holds its own (written here, at start-up). Older copies are offered next time.
        try:
            self.recovery.write(
                self.doc_id,
                newest.text,
                newest.source_path,
                encoding=newest.encoding,
                newline=newest.newline,
                stamp=newest.stamp,
            )
        except OSError as exc:
            log.warning("Could not copy the restored work; its old copy is kept: %s", exc)
        else:
            self._recovered_revision = self.editor.document().revision()
            self.recovery.discard(newest.doc_id)
        self._update_title()
        self.statusBar().showMessage("Restored unsaved work; save it to keep it.")
        return True

    # -- view -----------------------------------------------------------------------------------
    def _apply_font(self) -> None:
        font = (
            QFont(self.settings.font_family)
            if self.settings.font_family
            else QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
        )
        font.setPointSize(self.settings.font_size)
        self.editor.setFont(font)

    def change_font_size(self, step: int) -> None:
        """+1 / -1 point, or 0 for the default size."""
        size = 12 if step == 0 else self.settings.font_size + step
        self.settings.font_size = min(72, max(6, size))
        self._apply_font()

    def set_theme(self, theme: str) -> None:
        self.settings.theme = theme
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)

    def show_find(self) -> None:
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

    def show_about(self) -> None:
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

        self.settings.window_geometry = _encode_bytes(self.saveGeometry())
        self.settings.window_state = _encode_bytes(self.saveState())
        self.settings.show_sampling_panel = self.panel.isVisible()
        try:
            save_settings(self.settings)
        except StudioError as exc:
            log.warning("%s", exc)
            return str(exc)
        return None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        from gpt2_studio.gui.presets.questions import ask

        if not self.maybe_save():
            event.ignore()
            return
        problem = self.save_settings()
        if problem is not None and not ask(self.questions, self, "ask_close_without_settings", problem):
            event.ignore()
            return
        self.recovery_timer.stop()
        self.first_copy_timer.stop()
        self.controller.stop()
        self.recovery_writer.discard(self.doc_id)
        self.recovery_writer.close()
        event.accept()

"""The main window's menu bar: its menus and actions, and the request signals the window connects.

Editing actions (undo, cut, accept a suggestion…) act on the editor directly; everything that needs the
window, the document session or the model is asked for with a ``*_requested`` signal.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from gpt2_studio.core.settings import AppSettings, usable_path
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit

SUGGESTION_DELAYS_MS = (200, 400, 700, 1000, 2000)
CONTEXT_DOCK_SHORTCUT = "Ctrl+Shift+N"  # N for notes; Ctrl+Shift+M is Models
LIKELIHOOD_SHORTCUT = "Ctrl+Shift+L"  # L for the likelihood lens
COMMAND_PALETTE_SHORTCUT = "Ctrl+Shift+P"  # as in VS Code, Sublime Text and JupyterLab
LIKELIHOOD_COLORINGS = (("By &Rank (GLTR)", "rank"), ("By &Surprisal (bits)", "surprisal"))
# View → Theme: "system" follows the operating system's light/dark setting as it changes; the others
# override it. Keys are the settings' values (core.settings.THEMES).
THEME_CHOICES = (
    ("&System", "system", "Light or dark as the operating system is set, and as it changes"),
    ("&Light", "light", "Always light, whatever the operating system's setting"),
    ("&Dark", "dark", "Always dark, whatever the operating system's setting"),
)


class MainMenu(QMenuBar):
    """File, Edit, Generate, Presets (filled by the presets UI), View and Help."""

    new_requested = Signal()
    open_requested = Signal()
    open_recent_requested = Signal(str)  # a path from the recent files
    save_requested = Signal()
    save_as_requested = Signal()
    save_with_encoding_requested = Signal()
    reopen_with_encoding_requested = Signal()
    models_requested = Signal()
    model_folder_requested = Signal()
    quit_requested = Signal()
    find_requested = Signal()
    suggest_requested = Signal()
    stop_requested = Signal()
    auto_suggest_toggled = Signal(bool)
    delay_chosen = Signal(int)  # milliseconds typing must pause before a suggestion
    threads_chosen = Signal(int)  # CPU threads for the model; 0 = automatic (the CPUs free now)
    font_size_requested = Signal(int)  # +1 / -1 point, 0 for the default size
    theme_requested = Signal(str)  # "system", "light" or "dark"
    likelihood_coloring_chosen = Signal(str)  # "rank" or "surprisal"
    rank_thresholds_requested = Signal()  # View → Likelihood Colours → Rank Thresholds…
    command_palette_requested = Signal()
    shortcuts_requested = Signal()
    about_requested = Signal()

    def __init__(
        self,
        editor: GhostTextEdit,
        settings: AppSettings,
        panel_toggle: QAction,
        parent: QWidget,
        *,
        context_toggle: QAction | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings  # read for the recent files and the initial checks
        keys = QKeySequence.StandardKey
        file_menu = self.addMenu("&File")
        self._action(file_menu, "&New", self.new_requested, keys.New)
        self._action(file_menu, "&Open…", self.open_requested, keys.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Save", self.save_requested, keys.Save, name="action-save")
        self._action(file_menu, "Save &As…", self.save_as_requested, keys.SaveAs)
        self._action(file_menu, "Save with &Encoding…", self.save_with_encoding_requested)
        self._action(file_menu, "Reopen with Encodin&g…", self.reopen_with_encoding_requested)
        file_menu.addSeparator()
        self.models_action = self._action(
            file_menu, "&Models…", self.models_requested, "Ctrl+Shift+M", name="action-models"
        )
        self._action(file_menu, "Open &Model Folder…", self.model_folder_requested)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.quit_requested, keys.Quit)

        edit = self.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", editor.undo, keys.Undo)
        self.redo_action = self._action(edit, "&Redo", editor.redo, keys.Redo)
        editor.document().undoAvailable.connect(self.undo_action.setEnabled)
        editor.document().redoAvailable.connect(self.redo_action.setEnabled)
        self.undo_action.setEnabled(editor.document().isUndoAvailable())
        self.redo_action.setEnabled(editor.document().isRedoAvailable())
        edit.addSeparator()
        self._action(edit, "Cu&t", editor.cut, keys.Cut)
        self._action(edit, "&Copy", editor.copy, keys.Copy)
        self._action(edit, "&Paste", editor.paste, keys.Paste)
        edit.addSeparator()
        self._action(edit, "&Find…", self.find_requested, keys.Find)
        self._action(edit, "&Replace…", self.find_requested, keys.Replace)
        edit.addSeparator()
        self._action(edit, "Select &All", editor.selectAll, keys.SelectAll)

        generate = self.addMenu("&Generate")
        # The editor handles these keys itself (Tab must still indent when nothing is suggested), so
        # the menu shows them without owning the shortcut.
        self.suggest_action = self._action(
            generate, "&Suggest Now\tCtrl+Space", self.suggest_requested, name="action-suggest"
        )
        self.accept_action = self._action(generate, "&Accept\tTab", editor.accept_all, name="action-accept")
        self._action(generate, "Accept &Word\tCtrl+Right", editor.accept_word)
        self._action(generate, "&Next Alternative\tAlt+]", lambda: editor.cycle_ghost(1))
        self._action(generate, "&Previous Alternative\tAlt+[", lambda: editor.cycle_ghost(-1))
        self.stop_action = self._action(generate, "S&top", self.stop_requested, "Ctrl+.", name="action-stop")
        generate.addSeparator()
        self.auto_action = QAction("Suggest While &Typing", self, checkable=True)
        self.auto_action.setObjectName("action-auto-suggest")
        self.auto_action.setChecked(settings.ghost_enabled)
        self.auto_action.toggled.connect(self.auto_suggest_toggled)
        generate.addAction(self.auto_action)
        delay_menu = generate.addMenu("Pause Before &Suggesting")
        delays = QActionGroup(self)
        for milliseconds in SUGGESTION_DELAYS_MS:
            action = QAction(f"{milliseconds / 1000:g} s", self, checkable=True)
            action.setChecked(milliseconds == settings.ghost_delay_ms)
            action.triggered.connect(lambda _checked=False, ms=milliseconds: self.delay_chosen.emit(ms))
            delays.addAction(action)
            delay_menu.addAction(action)
        self._threads_menu(generate, settings)

        self.presets_menu = self.addMenu("&Presets")  # filled by the presets UI

        view = self.addMenu("&View")
        self.command_palette_action = self._action(
            view,
            "&Command Palette…",
            self.command_palette_requested,
            COMMAND_PALETTE_SHORTCUT,
            name="action-command-palette",
        )
        view.addSeparator()
        bigger = self._action(view, "&Bigger Font", lambda: self.font_size_requested.emit(1), keys.ZoomIn)
        # Ctrl+= is Ctrl++ without Shift on most keyboards.
        bigger.setShortcuts([*QKeySequence.keyBindings(keys.ZoomIn), QKeySequence("Ctrl+=")])
        self._action(view, "&Smaller Font", lambda: self.font_size_requested.emit(-1), keys.ZoomOut)
        self._action(view, "&Default Font Size", lambda: self.font_size_requested.emit(0), "Ctrl+0")
        view.addSeparator()
        self._theme_menu(view, settings)
        view.addSeparator()
        panel_toggle.setText("&Sampling Panel")
        view.addAction(panel_toggle)
        if context_toggle is not None:  # the Memory and Author's note dock's own show/hide action
            context_toggle.setText("&Memory and Author's Note")
            context_toggle.setShortcut(QKeySequence(CONTEXT_DOCK_SHORTCUT))
            context_toggle.setObjectName("action-context-dock")
            view.addAction(context_toggle)
        view.addSeparator()
        self._likelihood_menu(view, settings)

        help_menu = self.addMenu("&Help")
        self._action(help_menu, "&Keyboard Shortcuts", self.shortcuts_requested, name="action-shortcuts")
        self._action(help_menu, "&About GPT-2 Studio", self.about_requested)

    def _theme_menu(self, view: QMenu, settings: AppSettings) -> None:
        """View → Theme: System, Light or Dark, one of them checked (the setting's value)."""
        menu = view.addMenu("&Theme")
        menu.setObjectName("menu-theme")
        menu.setToolTipsVisible(True)
        group = QActionGroup(self)  # exclusive: checking one unchecks the others
        self.theme_actions: dict[str, QAction] = {}
        for text, theme, tip in THEME_CHOICES:
            action = QAction(text, self, checkable=True)
            action.setObjectName(f"action-theme-{theme}")
            action.setToolTip(tip)
            # triggered, not toggled: show_theme checks an action without asking for a switch.
            action.triggered.connect(lambda _checked=False, t=theme: self.theme_requested.emit(t))
            group.addAction(action)
            menu.addAction(action)
            self.theme_actions[theme] = action
        self.theme_menu = menu
        self.show_theme(settings.theme)

    def show_theme(self, theme: str) -> None:
        """Check View → Theme's choice for ``theme`` ("system", "light" or "dark"), switching nothing."""
        self.theme_actions[theme].setChecked(True)

    def _threads_menu(self, generate: QMenu, settings: AppSettings) -> None:
        """Generate → CPU Threads: Automatic (the CPUs other programs leave free) or a fixed number."""
        menu = generate.addMenu("CPU &Threads")
        menu.setObjectName("menu-threads")
        menu.setToolTipsVisible(True)
        group = QActionGroup(self)
        counts = range(1, (os.cpu_count() or 1) + 1)
        if settings.threads is not None and settings.threads not in counts:  # set on a bigger machine
            counts = [*counts, settings.threads]
        choices = [("&Automatic", 0), *((f"&{n}" if n < 10 else str(n), n) for n in counts)]
        for text, count in choices:
            action = QAction(text, self, checkable=True)
            action.setObjectName(f"action-threads-{count or 'auto'}")
            action.setChecked(count == (settings.threads or 0))
            action.setToolTip(
                "Before each suggestion, use one thread per CPU that other programs leave free"
                if not count
                else f"Always use {count} thread{'s' if count > 1 else ''}, even when other programs are busy"
            )
            action.triggered.connect(lambda _checked=False, n=count: self.threads_chosen.emit(n))
            group.addAction(action)
            menu.addAction(action)
        self.threads_menu = menu

    def _likelihood_menu(self, view: QMenu, settings: AppSettings) -> None:
        """View → Likelihood Lens (the heat map; its own toggled signal) and how it colours tokens."""
        self.likelihood_action = QAction("&Likelihood Lens", self, checkable=True)
        self.likelihood_action.setObjectName("action-likelihood")
        self.likelihood_action.setShortcut(QKeySequence(LIKELIHOOD_SHORTCUT))
        self.likelihood_action.setToolTip("Tint each token by how the model ranked it (Ctrl+Shift+L)")
        self.likelihood_action.setChecked(settings.show_likelihood)
        view.addAction(self.likelihood_action)
        colorings = view.addMenu("Likelihood &Colours")
        group = QActionGroup(self)
        for text, coloring in LIKELIHOOD_COLORINGS:
            action = QAction(text, self, checkable=True)
            action.setObjectName(f"action-likelihood-{coloring}")
            action.setChecked(coloring == settings.likelihood_coloring)
            action.triggered.connect(
                lambda _checked=False, c=coloring: self.likelihood_coloring_chosen.emit(c)
            )
            group.addAction(action)
            colorings.addAction(action)
        colorings.addSeparator()
        self._action(
            colorings, "Rank &Thresholds…", self.rank_thresholds_requested, name="action-rank-thresholds"
        )
        self.view_menu = view  # the statistics dock adds its toggle here

    def _action(
        self,
        menu: QMenu,
        text: str,
        target: SignalInstance | Callable[[], object],
        shortcut: QKeySequence.StandardKey | str | None = None,
        *,
        name: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if isinstance(target, SignalInstance):
            action.triggered.connect(lambda _checked=False, signal=target: signal.emit())
        else:
            action.triggered.connect(lambda _checked=False, slot=target: slot())
        if name:
            action.setObjectName(name)
        menu.addAction(action)
        return action

    def _fill_recent_menu(self) -> None:
        # Entries that cannot name a file (a NUL, a lone surrogate: only a hand-edited settings file has
        # them) are shown disabled; opening one that vanished is explained by the document session.
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
                action.triggered.connect(lambda _checked=False, p=path: self.open_recent_requested.emit(p))
            else:
                action.setEnabled(False)
        if not self.settings.recent_files:
            self.recent_menu.addAction("(none)").setEnabled(False)

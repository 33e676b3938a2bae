"""The writing surface of the main window: column, font, line spacing, counts, focus mode, full screen,
the theme following the system, and the Preferences dialog that sets them.

Installed by the window after its menus exist; its View and Edit actions are added to the menus the
window already has, so the command palette and the shortcuts list find them like any other.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

from gpt2_studio.gui.preferences import PreferencesDialog, preferences_shortcuts
from gpt2_studio.gui.surface.column import TextColumn
from gpt2_studio.gui.surface.counter import TextCounter
from gpt2_studio.gui.surface.focus import FocusMode
from gpt2_studio.gui.surface.fonts import editor_font, prose_family
from gpt2_studio.gui.themes import SystemThemeFollower

FOCUS_MODE_SHORTCUT = "F8"  # as in Typora and novelWriter
FULL_SCREEN_SHORTCUT = "F11"


def _menu(bar: QMenuBar, title: str) -> QMenu | None:
    """The menu bar's menu called ``title`` (without its & mnemonic), if it has one."""
    for action in bar.actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return None


class WritingSurface(QObject):
    """Applies the surface settings to the editor and owns focus mode, full screen and Preferences."""

    def __init__(self, window: Any) -> None:  # the MainWindow, which is above this module
        super().__init__(window)
        self._window = window
        settings = window.settings
        editor = window.editor
        self.column = TextColumn(editor, settings.column_width)
        self.counter = TextCounter(editor)
        self.counter.counted.connect(window.status_bar.set_counts)
        self.focus_mode = FocusMode(window, editor)
        self.theme_follower = SystemThemeFollower(lambda: window.settings.theme, self)
        self.preferences: PreferencesDialog | None = None
        self._was_maximized = False
        self._add_actions(window.main_menu)
        self.apply_font()
        editor.set_line_spacing(settings.line_spacing)

    def _add_actions(self, bar: QMenuBar) -> None:
        view = _menu(bar, "View")
        edit = _menu(bar, "Edit")
        self.focus_action = QAction("&Focus Mode", self, checkable=True)
        self.focus_action.setObjectName("action-focus-mode")
        self.focus_action.setShortcut(QKeySequence(FOCUS_MODE_SHORTCUT))
        self.focus_action.setToolTip(
            f"Hide the panels and dim all but the paragraph you write ({FOCUS_MODE_SHORTCUT})"
        )
        self.focus_action.toggled.connect(self.focus_mode.set_active)
        self.focus_mode.toggled.connect(self.focus_action.setChecked)
        self.full_screen_action = QAction("F&ull Screen", self, checkable=True)
        self.full_screen_action.setObjectName("action-full-screen")
        self.full_screen_action.setShortcut(QKeySequence(FULL_SCREEN_SHORTCUT))
        self.full_screen_action.toggled.connect(self.set_full_screen)
        self.preferences_action = QAction("Pre&ferences…", self)
        self.preferences_action.setObjectName("action-preferences")
        self.preferences_action.setShortcuts(preferences_shortcuts())
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.preferences_action.triggered.connect(self.show_preferences)
        for action in (self.focus_action, self.full_screen_action, self.preferences_action):
            self._window.addAction(action)  # the shortcuts work with the menu bar hidden too
        if view is not None:
            first = view.actions()[0] if view.actions() else None
            view.insertActions(first, [self.focus_action, self.full_screen_action])
            view.insertSeparator(first)
        if edit is not None:
            edit.addSeparator()
            edit.addAction(self.preferences_action)

    # -- applying settings ----------------------------------------------------------------------
    def apply_font(self) -> None:
        """The editor's font from the settings (prose or monospace, family, size); the column follows it."""
        settings = self._window.settings
        self._window.editor.setFont(
            editor_font(settings.font_family, settings.font_size, monospace=settings.monospace)
        )

    def apply_preferences(self, changes: dict[str, Any]) -> None:
        """Apply the Preferences dialog's changes (AppSettings' field names, and max_new_tokens)."""
        window, settings = self._window, self._window.settings
        names = sorted(changes)
        changes = dict(changes)
        if "theme" in changes:
            window.set_theme(changes.pop("theme"))
        if "ghost_delay_ms" in changes:
            window.set_suggestion_delay(changes.pop("ghost_delay_ms"))
        if "ghost_enabled" in changes:
            window.main_menu.auto_action.setChecked(changes.pop("ghost_enabled"))  # the menu follows
        if "max_new_tokens" in changes:
            sampling = settings.sampling.replace(max_new_tokens=changes.pop("max_new_tokens"))
            window.panel.set_settings(sampling)
            window.panel.settings_changed.emit(sampling)  # as if set on the panel: controller and settings
        if "column_width" in changes:
            settings.column_width = changes.pop("column_width")
            self.column.set_width(settings.column_width)
        if "line_spacing" in changes:
            settings.line_spacing = changes.pop("line_spacing")
            window.editor.set_line_spacing(settings.line_spacing)
        device = changes.pop("device", None)
        model_changed = "model" in changes
        model = changes.pop("model", None)
        for name in ("font_family", "font_size", "monospace"):
            if name in changes:
                setattr(settings, name, changes.pop(name))
                self.apply_font()
        for name, value in changes.items():  # spelling: read from the settings by the spell checker
            setattr(settings, name, value)
        if device is not None:
            window.models.set_device(device)  # reloads the model in use on the new device
        in_use = window.model_info.ref if window.model_info is not None else None
        if model_changed and not model:
            settings.model = None  # the next start loads the default model
        elif model_changed and model != in_use:
            # The default once it has loaded (the switcher records it); a model that fails to load is
            # named in the status bar and the one in use, and the default, stay as they were.
            window.load_model(model)
        settings.validate()
        window.preferences_changed.emit(names)

    def close(self) -> None:
        """The window closes: the event filters go (a Python filter left behind crashes at exit)."""
        self.column.close()
        self.focus_mode.dimmer.detach()
        self.theme_follower.stop()

    # -- commands -------------------------------------------------------------------------------
    def show_preferences(self) -> None:
        """Edit → Preferences (Ctrl+,): a fresh dialog with the settings as they are now."""
        if self.preferences is not None:
            self.preferences.deleteLater()
        self.preferences = PreferencesDialog(self._window.settings, self._window, prose_family=prose_family())
        self.preferences.applied.connect(self.apply_preferences)
        self.preferences.open()

    def set_full_screen(self, on: bool) -> None:
        """Full screen on or off (back to maximized if the window was)."""
        window = self._window
        if on == window.isFullScreen():
            return
        if on:
            self._was_maximized = window.isMaximized()
            window.showFullScreen()
        elif self._was_maximized:
            window.showMaximized()
        else:
            window.showNormal()
        self.full_screen_action.setChecked(on)

    def window_state_changed(self) -> None:
        """Keep the Full Screen check in step when the window manager leaves full screen itself."""
        blocked = self.full_screen_action.blockSignals(True)
        self.full_screen_action.setChecked(bool(self._window.windowState() & Qt.WindowState.WindowFullScreen))
        self.full_screen_action.blockSignals(blocked)

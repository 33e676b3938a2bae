"""The window's toolbars: icons only, in groups (suggestions, presets, the lens, the model and panels),
each button naming its action and keys on hover.

The buttons are the menus' own actions (one action, one state: the lens button and View → Likelihood Lens
are checked together), so this module only places them and gives them themed icons.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QToolBar

from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.icons import ThemedIcons, tooltip_with_keys
from gpt2_studio.gui.main_menu import MainMenu
from gpt2_studio.gui.window_actions import action_keys

GROUP_GAP = 6  # pixels either side of a group
ICON_SIZE = QSize(18, 18)  # Codicons are drawn for 16 px; a little more reads well beside text


def compact(toolbar: QToolBar) -> QToolBar:
    """Icons only, small, fixed in place (no grip): the toolbar takes one short row."""
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    toolbar.setIconSize(ICON_SIZE)
    toolbar.setMovable(False)
    return toolbar


def describe(action: QAction, text: str) -> None:
    """The tooltip names what the button does and its keys (read from the action, so they stay true)."""
    action.setToolTip(tooltip_with_keys(text, action_keys(action)))


class Toolbars:
    """The suggestion and model toolbars, and icons for the lens' button; `arrange` puts every toolbar
    of the window in its group's place."""

    def __init__(
        self,
        window: QMainWindow,
        menu: MainMenu,
        editor: GhostTextEdit,
        *,
        panel_toggle: QAction,
        notes_toggle: QAction,
    ) -> None:
        self.window = window
        self.menu = menu
        self.icons = ThemedIcons(window)
        self.suggestions = compact(QToolBar("Suggestions", window))
        self.suggestions.setObjectName("suggestions-toolbar")
        for action, icon, text in (
            (menu.auto_action, "auto-suggest", "Suggest while typing"),
            (menu.suggest_action, "suggest", "Suggest now"),
            (menu.accept_action, "accept", "Accept the suggestion"),
            (menu.stop_action, "stop", "Stop generating"),
        ):
            self._place(self.suggestions, action, icon, text)
        self.model = compact(QToolBar("Model and Panels", window))
        self.model.setObjectName("model-toolbar")
        for action, icon, text in (
            (panel_toggle, "sampling", "Sampling panel"),
            (notes_toggle, "notes", "Memory and Author's note"),
            (menu.models_action, "models", "Models: download, choose, device"),
            (menu.command_palette_action, "palette", "Find any command"),
        ):
            self._place(self.model, action, icon, text)
        self.icons.set_icon(menu.likelihood_action, "lens")
        # Accept does something only while a suggestion is shown; the button says so by its state.
        editor.ghost_changed.connect(lambda: menu.accept_action.setEnabled(editor.ghost is not None))
        menu.accept_action.setEnabled(editor.ghost is not None)

    def _place(self, toolbar: QToolBar, action: QAction, icon: str, text: str) -> None:
        self.icons.set_icon(action, icon)
        describe(action, text)
        toolbar.addAction(action)

    def stop_follows(self, generating: Callable[[], bool], *changes: SignalInstance) -> None:
        """Enable Stop (and Ctrl+.) only while ``generating()`` is true, checked at each of ``changes``."""
        stop = self.menu.stop_action

        def update(*_args: object) -> None:
            stop.setEnabled(generating())

        for change in changes:
            change.connect(update)
        update()

    def arrange(self, presets: QToolBar, lens: QToolBar | None) -> None:
        """Top row, left to right: suggestions, presets, the lens, the model and panels (adding a toolbar
        the window already has moves it to the end of the row)."""
        for toolbar in (self.suggestions, presets, lens, self.model):
            if toolbar is not None:
                self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, compact(toolbar))
                toolbar.setContentsMargins(GROUP_GAP, 0, GROUP_GAP, 0)  # the gap that shows the groups

"""Every action a window offers, found at run time: the menu bar's (with their menu path), the
toolbars', and the actions other widgets of the window carry (context actions with a shortcut).

Reading the window rather than keeping a list means an action added later (by a preset, a plugin, another
part of the app) is found without anyone editing this module. The command palette and the keyboard
shortcuts table are both built from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QToolButton, QWidget, QWidgetAction

PATH_SEPARATOR = " → "


def plain_text(text: str) -> str:
    """Menu text as read: no mnemonic ampersands ("&&" is a real "&"), no tab-separated keys."""
    return text.partition("\t")[0].replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def action_keys(action: QAction) -> str:
    """The action's shortcuts as the user types them, or the keys its menu text names after a tab (keys
    the editor handles itself, such as Tab for Accept)."""
    native = QKeySequence.SequenceFormat.NativeText
    shortcuts = [sequence.toString(native) for sequence in action.shortcuts() if not sequence.isEmpty()]
    if shortcuts:
        return "  /  ".join(shortcuts)
    return action.text().partition("\t")[2].strip()


@dataclass(frozen=True)
class WindowAction:
    """One action and where the user meets it: path names the menus leading to it ("View", "Likelihood
    Colours"), or the toolbar it sits on; empty for an action found on another widget."""

    action: QAction
    path: tuple[str, ...]

    @property
    def label(self) -> str:
        """The action's own name, as a menu shows it."""
        return plain_text(self.action.text()) or plain_text(self.action.iconText())

    @property
    def title(self) -> str:
        """The path and the name: "View → Likelihood Colours → By Rank (GLTR)"."""
        return PATH_SEPARATOR.join([*self.path, self.label])

    @property
    def keys(self) -> str:
        """Its keys ("Ctrl+Shift+L"), or "" when it has none."""
        return action_keys(self.action)


def _usable(action: QAction) -> bool:
    return (
        shiboken6.isValid(action)
        and not action.isSeparator()
        and action.isVisible()
        and not isinstance(action, QWidgetAction)
        and action.menu() is None  # a submenu's own action: its actions are listed instead
        and bool(plain_text(action.text()) or plain_text(action.iconText()))
    )


def window_actions(window: QMainWindow) -> list[WindowAction]:
    """Every visible action of ``window`` once, menu bar first (in menu order), then its toolbars (with
    the menus of their drop-down buttons), then actions carried by its other widgets.

    Menus filled when they open (Open Recent) are filled first: their ``aboutToShow`` is emitted, as
    opening them would. Actions of dialogs the window owns are not the window's and are left out.
    """
    found: list[WindowAction] = []
    seen: set[int] = set()

    def add(action: QAction, path: tuple[str, ...]) -> None:
        key = id(action)
        if key not in seen and _usable(action):
            seen.add(key)
            found.append(WindowAction(action, path))

    def visit(menu: QMenu, path: tuple[str, ...]) -> None:
        if id(menu) in seen:
            return
        seen.add(id(menu))
        menu.aboutToShow.emit()
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                visit(submenu, (*path, plain_text(submenu.title())))
            else:
                add(action, path)

    menu_bar = window.menuBar()
    for action in menu_bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu):
            visit(menu, (plain_text(menu.title()),))
    for toolbar in window.findChildren(QToolBar):
        if toolbar.window() is not window:
            continue
        where = (plain_text(toolbar.windowTitle()),) if toolbar.windowTitle() else ()
        for action in toolbar.actions():
            add(action, where)
        for button in toolbar.findChildren(QToolButton):
            drop_down = button.menu()
            if isinstance(drop_down, QMenu):
                visit(drop_down, where)
    for widget in [window, *window.findChildren(QWidget)]:
        if widget.window() is not window or isinstance(widget, QMenu | QToolBar):
            continue  # a dialog's own actions; menus and toolbars were read above
        for action in widget.actions():
            add(action, ())
    for action in window.findChildren(QAction):
        # Actions parented to the window that no menu shows: those a shortcut reaches are commands too.
        owner = action.parent()
        if isinstance(owner, QWidget) and owner.window() is not window:
            continue
        if not action.shortcut().isEmpty():
            add(action, ())
    return found

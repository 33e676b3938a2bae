"""Docks a keyboard user can reach: showing one from its View-menu action (or shortcut) puts the keyboard
in it, and hiding it gives the keyboard back to the editor.

Without this, Ctrl+Shift+N showed the Memory and Author's note dock while the keys kept typing into the
document, and no key led into the dock (the editor takes Tab and Ctrl+Tab); hiding a dock that had the
keyboard left it on a toolbar button, where typing went nowhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QWidget


def first_focusable(dock: QDockWidget) -> QWidget | None:
    """The first control inside ``dock``, in Tab order, that takes the keyboard (None: none does)."""
    body = dock.widget()
    if body is None:
        return None
    widget = body.nextInFocusChain()
    while widget is not None and widget is not body:
        if (
            body.isAncestorOf(widget)
            and widget.isVisibleTo(dock)
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            return widget
        widget = widget.nextInFocusChain()
    return None


def keyboard_follows(
    action: QAction, dock: QDockWidget, editor: QWidget, first: QWidget | None = None
) -> None:
    """When the user shows ``dock`` through ``action``, focus ``first`` (or its first control); when
    they hide it, focus ``editor``."""

    def on_triggered(shown: bool) -> None:
        if shown:
            dock.raise_()  # it may share a tab with another dock
            target = first if first is not None else first_focusable(dock)
            if target is not None:
                target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    action.triggered.connect(on_triggered)

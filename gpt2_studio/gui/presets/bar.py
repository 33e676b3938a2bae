"""One-click preset buttons: a toolbar and the Presets menu, with each preset's keyboard shortcut."""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QToolButton, QWidget

from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.gui.icons import ThemedIcons, preset_icon_name

log = logging.getLogger(__name__)


def _tooltip(preset: Preset, shortcut: str) -> str:
    keys = f" ({shortcut})" if shortcut else ""
    return f"<b>{preset.name}</b>{keys}<br>{preset.description}" if preset.description else preset.name + keys


def _escape(text: str) -> str:
    """Menu text shows a name as written ('Q&A', not a mnemonic on A)."""
    return text.replace("&", "&&")


def _short_name(preset: Preset) -> str:
    """A grouped preset's name inside its group's menu: 'Translate English → French' → 'English → French'."""
    if preset.group and preset.name.lower().startswith(preset.group.lower() + " "):
        return preset.name[len(preset.group) + 1 :]
    return preset.name


class PresetBar(QToolBar):
    """The preset toolbar, one icon per preset (its name, description and keys on hover; a group such
    as Translate is one button with its pairs in a drop-down); it also fills the Presets menu with the
    same actions."""

    run_requested = Signal(object)  # Preset
    run_to_file_requested = Signal(object)  # Preset whose output is new_document
    edit_requested = Signal()
    stop_requested = Signal()

    def __init__(self, menu: QMenu, parent: QWidget | None = None) -> None:
        super().__init__("Presets", parent)
        self.setObjectName("preset-toolbar")
        self.menu = menu
        self.actions_by_name: dict[str, QAction] = {}
        self.group_buttons: dict[str, QToolButton] = {}
        self._group_menus: list[QMenu] = []
        self._owner = QObject(self)  # parent of this build's actions, so a rebuild drops them all
        self._extras: list[QAction] = []
        self.edit_action = QAction("&Edit Presets…", self)
        self.edit_action.setObjectName("action-edit-presets")
        self.edit_action.setToolTip("Create, change, delete, import and export presets")
        self.edit_action.triggered.connect(self.edit_requested)
        self.stop_action = QAction("S&top Preset", self)
        self.stop_action.setObjectName("action-stop-preset")
        self.stop_action.setToolTip("Stop the preset that is running (Ctrl+.); nothing of it is kept")
        self.stop_action.setEnabled(False)
        self.stop_action.triggered.connect(self.stop_requested)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.icons = ThemedIcons(self)
        self.icons.set_icon(self.edit_action, "edit-presets")
        self.icons.set_icon(self.stop_action, "stop")

    def set_running(self, running: bool) -> None:
        """Enable Stop while a preset is running."""
        self.stop_action.setEnabled(running)

    def set_presets(self, presets: list[Preset], reserved: set[str]) -> list[str]:
        """Rebuild the buttons and the menu; returns a message per shortcut that had to be left off.

        reserved holds the window's own shortcuts (portable text), which a preset may not take.
        """
        # Not clear(): QMenu.clear() would delete the panel toggles it merely shows.
        for holder in (self, self.menu):
            for action in holder.actions():
                holder.removeAction(action)
                if action.parent() is holder and action.isSeparator():
                    action.deleteLater()
        for widget in [*self.group_buttons.values(), *self._group_menus]:
            if shiboken6.isValid(widget):
                widget.deleteLater()
        self.group_buttons = {}
        self._group_menus = []
        self._owner.deleteLater()
        self._owner = QObject(self)
        self.actions_by_name = {}
        problems: list[str] = []
        taken = set(reserved)
        groups: dict[str, QMenu] = {}
        for preset in presets:
            action = self._make_action(preset, taken, problems)
            self.actions_by_name[preset.name] = action
            if not preset.group:
                self.addAction(action)
                self.menu.addAction(action)
                continue
            group_menu = groups.get(preset.group)
            if group_menu is None:
                group_menu = groups[preset.group] = QMenu(preset.group, self.menu)
                self._group_menus.append(group_menu)
                self.menu.addMenu(group_menu)
                button = QToolButton(self)
                button.setObjectName(f"preset-group-{preset.group}")
                button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
                button.setMenu(group_menu)
                button.setDefaultAction(action)  # the group's first preset is its one-click default
                self.addWidget(button)
                self.group_buttons[preset.group] = button
            group_menu.addAction(action)
            # The pair used last becomes the button's one-click action.
            button = self.group_buttons[preset.group]
            action.triggered.connect(lambda _checked=False, b=button, a=action: b.setDefaultAction(a))
        self.addSeparator()
        self.addAction(self.stop_action)  # on the toolbar too: a running preset is stopped where it started
        self.addAction(self.edit_action)
        self.menu.addSeparator()
        for preset in presets:
            if preset.output == "new_document":
                to_file = QAction(f"{_escape(preset.name)} to &File…", self._owner)
                to_file.triggered.connect(lambda _checked=False, p=preset: self.run_to_file_requested.emit(p))
                self.menu.addAction(to_file)
        self.menu.addAction(self.stop_action)
        self.menu.addSeparator()
        self.menu.addAction(self.edit_action)
        for extra in self._extras:
            self.menu.addAction(extra)
        return problems

    def add_menu_extra(self, action: QAction) -> None:
        """An action kept at the end of the Presets menu across rebuilds (the panel toggles)."""
        self._extras.append(action)
        self.menu.addAction(action)

    def _make_action(self, preset: Preset, taken: set[str], problems: list[str]) -> QAction:
        action = QAction(_escape(preset.name), self._owner)
        action.setObjectName(f"preset-{preset.name}")
        if preset.group:
            action.setText(_escape(_short_name(preset)))  # in the group's menu
            action.setIconText(_escape(preset.name))  # on the toolbar button
        shortcut = ""
        if preset.shortcut:
            sequence = QKeySequence(preset.shortcut)
            portable = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            if not portable:
                problems.append(f"Preset {preset.name!r}: {preset.shortcut!r} is not a keyboard shortcut.")
            elif portable in taken:
                problems.append(f"Preset {preset.name!r}: the shortcut {portable} is already in use.")
            else:
                taken.add(portable)
                action.setShortcut(sequence)
                shortcut = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(_tooltip(preset, shortcut))
        self.icons.set_icon(action, preset_icon_name(preset.name, preset.group))
        action.setStatusTip(preset.description)
        action.triggered.connect(lambda _checked=False, p=preset: self.run_requested.emit(p))
        return action

"""Help → Keyboard Shortcuts: every key the window answers to, read from its actions when it opens.

Reading the actions (rather than keeping a list) keeps the table true when presets are added, renamed
or given other shortcuts. Keys the editor handles itself appear in their menu items after a tab.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# Keys with no menu item of their own.
EXTRA_KEYS = (
    ("Esc", "Dismiss the suggestion"),
    ("Alt+click a word", "The model's alternatives for that word"),
)


def _keys(action: QAction) -> str:
    """The action's shortcuts as the user types them, or the keys its menu text names after a tab."""
    native = QKeySequence.SequenceFormat.NativeText
    shortcuts = [sequence.toString(native) for sequence in action.shortcuts() if not sequence.isEmpty()]
    if shortcuts:
        return "  /  ".join(shortcuts)
    _text, _tab, keys = action.text().partition("\t")
    return keys


def _label(action: QAction, menu_path: str) -> str:
    text = action.text().partition("\t")[0].replace("&&", "\0").replace("&", "").replace("\0", "&")
    return f"{menu_path} → {text}" if menu_path else text


def collect_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every menu item with keys, then any other action with a shortcut."""
    rows: list[tuple[str, str]] = []
    seen: set[int] = set()

    def visit(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                visit(action.menu(), f"{path} → {action.menu().title().replace('&', '')}")
                continue
            keys = _keys(action)
            if action.isSeparator() or not keys or id(action) in seen:
                continue
            seen.add(id(action))
            rows.append((keys, _label(action, path)))

    for action in window.menuBar().actions():
        if action.menu() is not None:
            visit(action.menu(), action.menu().title().replace("&", ""))
    for action in window.findChildren(QAction):
        if id(action) not in seen and _keys(action) and not action.shortcut().isEmpty():
            seen.add(id(action))
            rows.append((_keys(action), _label(action, "")))
    rows.extend(EXTRA_KEYS)
    return rows


class ShortcutsDialog(QDialog):
    """A table of keys and what they do."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(("Keys", "Action"))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for row, (keys, what) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str]]:
        """What the table shows, row by row."""
        return [
            (self.table.item(row, 0).text(), self.table.item(row, 1).text())
            for row in range(self.table.rowCount())
        ]

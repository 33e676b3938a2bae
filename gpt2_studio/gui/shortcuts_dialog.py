"""Help → Keyboard Shortcuts: every key the window answers to, read from its actions when it opens.

Reading the actions (rather than keeping a list) keeps the table true when presets are added, renamed
or given other shortcuts; the command palette (Ctrl+Shift+P) reads the same list. Keys the editor
handles itself appear in their menu items after a tab.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.gui.window_actions import window_actions

# Keys with no menu item of their own.
EXTRA_KEYS = (
    ("Esc", "Dismiss the suggestion"),
    ("Alt+click a word", "The model's alternatives for that word"),
)


def collect_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every action of the window that has keys (menu items first, in menu
    order, then toolbars' and other widgets' actions), then the keys no action owns."""
    rows = [(found.keys, found.title) for found in window_actions(window) if found.keys]
    rows.extend(EXTRA_KEYS)
    return rows


class ShortcutsDialog(QDialog):
    """A table of keys and what they do, with a box that filters it by either."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("shortcuts-filter")
        self.filter.setPlaceholderText("Filter by keys or name (Ctrl+Shift+P runs a command by name)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._refilter)
        layout.addWidget(self.filter)
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

    def _refilter(self, text: str) -> None:
        words = text.lower().split()
        for row, (keys, what) in enumerate(self.rows()):
            both = f"{keys} {what}".lower()
            self.table.setRowHidden(row, not all(word in both for word in words))

    def shown_rows(self) -> list[tuple[str, str]]:
        """The rows the filter leaves shown."""
        return [row for index, row in enumerate(self.rows()) if not self.table.isRowHidden(index)]

    def rows(self) -> list[tuple[str, str]]:
        """What the table shows, row by row."""
        return [
            (self.table.item(row, 0).text(), self.table.item(row, 1).text())
            for row in range(self.table.rowCount())
        ]

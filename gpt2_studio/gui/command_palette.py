"""The command palette (Ctrl+Shift+P): type part of a command's name, Enter runs it.

It lists every action the window offers at the moment it opens (`window_actions`: the menus, the
toolbars, the presets, actions other parts of the app added), each with its menu path and keys. Words
typed match as substrings or, failing that, as letters in order ("lkl" finds "Likelihood Lens"), the
best matches first; disabled commands are shown greyed and cannot be run. Commands run this session come
first while nothing is typed.
"""

from __future__ import annotations

from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QHideEvent, QIcon, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.gui.window_actions import WindowAction

_WORD_START = 8  # a letter that starts a word ("L" of Lens) counts more…
_RUN = 5  # …as does one right after the previous match
_SUBSTRING = 100  # a typed word found whole beats any scattered match…
_WHOLE_AT_START = 30  # …the more so at the start of a word ("tr": Translate before GLTR)
_IN_NAME = 20  # the command's own name matching beats a match in its menu path
_RECENT_KEPT = 8
_COMMAND = Qt.ItemDataRole.UserRole  # the WindowAction a row shows
_NAVIGATION_KEYS = {
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
}


def _starts_word(text: str, at: int) -> bool:
    return at == 0 or not text[at - 1].isalnum()


def _scattered_score(word: str, text: str) -> int | None:
    """The best score of ``word``'s letters found in order in ``text``, or None when they are not.

    A dynamic programme, linear in the text for each letter: ``best[j]`` is the best score with the
    letter so far matched at ``text[j]``; a letter right after the previous one earns the run bonus.
    """
    best: list[int | None] = []
    for i, letter in enumerate(word):
        current: list[int | None] = [None] * len(text)
        gap_best: int | None = None  # the best of best[k] for k < j - 1
        for j, character in enumerate(text):
            if i and j >= 2 and best[j - 2] is not None:
                gap_best = best[j - 2] if gap_best is None else max(gap_best, best[j - 2])  # type: ignore[type-var]
            if character != letter:
                continue
            gain = 1 + (_WORD_START if _starts_word(text, j) else 0)
            if i == 0:
                current[j] = gain
                continue
            options = [gap_best] if gap_best is not None else []
            if j >= 1 and best[j - 1] is not None:
                options.append(best[j - 1] + _RUN)  # type: ignore[operator]
            if options:
                current[j] = max(options) + gain
        best = current
    scores = [score for score in best if score is not None]
    return max(scores) if scores else None


def _occurrences(text: str, word: str, start: int) -> list[int]:
    found = []
    at = text.find(word, start)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def match_score(query: str, text: str) -> int | None:
    """How well ``query`` matches ``text`` (higher is better), or None when some word of it does not.

    Case is ignored. Each whitespace-separated word must be in the text, whole (best, more so at a
    word's start) or as letters in order (better at word starts and in runs).
    """
    text = text.lower()
    total = 0
    for word in query.lower().split():
        at = text.find(word)
        if at >= 0:
            starts = _starts_word(text, at) or any(
                _starts_word(text, i) for i in _occurrences(text, word, at + 1)
            )
            total += _SUBSTRING + 2 * len(word) + (_WHOLE_AT_START if starts else 0)
            continue
        scattered = _scattered_score(word, text)
        if scattered is None:
            return None
        total += scattered
    return total


def rank_commands(query: str, commands: Sequence[WindowAction], recent: Sequence[str] = ()) -> list[int]:
    """Indexes into ``commands`` of those that match ``query``, best first (ties keep menu order).

    With nothing typed: every command, those whose titles are in ``recent`` first (most recent first).
    """
    if not query.strip():
        order = {title: rank for rank, title in enumerate(recent)}
        return sorted(range(len(commands)), key=lambda i: (order.get(commands[i].title, len(order)), i))
    scored: list[tuple[int, int]] = []
    for index, command in enumerate(commands):
        in_name = match_score(query, command.label)
        in_title = match_score(query, command.title)
        best = max(
            (
                score
                for score in (None if in_name is None else in_name + _IN_NAME, in_title)
                if score is not None
            ),
            default=None,
        )
        if best is not None:
            scored.append((-best, index))
    return [index for _score, index in sorted(scored)]


def _trigger(action: QAction) -> None:
    if shiboken6.isValid(action) and action.isEnabled():  # it may have gone, or turned off, meanwhile
        action.trigger()


class CommandPalette(QDialog):
    """A pop-up over the top of the window: a filter box over the list of commands."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.owner = parent
        self.setObjectName("command-palette")
        self.commands: list[WindowAction] = []
        self.recent: list[str] = []  # titles of commands run from here, most recent first
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("command-palette-filter")
        self.filter.setPlaceholderText("Type a command's name (Enter runs it, Esc closes)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Command name")
        self.setAccessibleName("Command palette")
        self.list = QTreeWidget(self)
        self.list.setObjectName("command-palette-list")
        self.list.setAccessibleName("Commands")
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay in the filter box
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("No command matches.", self)
        self.empty.setObjectName("command-palette-empty")
        self.empty.hide()
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.filter.textChanged.connect(self._refilter)
        self.filter.installEventFilter(self)
        # A click runs the command clicked (Qt reports clicks on disabled rows too: run refuses those).
        self.list.itemActivated.connect(lambda item, _column: self.run(item.data(0, _COMMAND)))
        self.list.itemClicked.connect(lambda item, _column: self.run(item.data(0, _COMMAND)))
        self._return_to: QWidget | None = None
        blank = QPixmap(16, 16)
        blank.fill(Qt.GlobalColor.transparent)
        self._no_icon = QIcon(blank)  # rows without an icon keep their names in line with the others

    def show_commands(self, commands: list[WindowAction]) -> None:
        """Open over the top of the parent window, listing ``commands`` (read from the window just now)."""
        self.commands = commands
        focused = QApplication.focusWidget()
        self._return_to = focused if focused is not None and focused.window() is self.owner else None
        self.filter.clear()
        self._refilter()
        parent = self.owner
        width = max(320, min(640, parent.width() - 40))
        self.resize(width, max(240, min(420, parent.height() - 80)))
        top_centre = parent.mapToGlobal(parent.rect().topLeft())
        self.move(top_centre.x() + (parent.width() - width) // 2, top_centre.y() + 40)
        self.show()  # a pop-up: it takes the keyboard, and a click outside closes it
        self.filter.setFocus(Qt.FocusReason.PopupFocusReason)

    def shown_commands(self) -> list[WindowAction]:
        """The commands listed now, top to bottom (tests and screen readers)."""
        return [self.list.topLevelItem(row).data(0, _COMMAND) for row in range(self.list.topLevelItemCount())]

    def current_command(self) -> WindowAction | None:
        """The command Enter would run."""
        item = self.list.currentItem()
        return None if item is None else item.data(0, _COMMAND)

    def run_current(self) -> bool:
        """Close and run the current command; False (and stay open) when there is none or it is disabled."""
        return self.run(self.current_command())

    def run(self, command: WindowAction | None) -> bool:
        """Close and run ``command``; False (and stay open) when there is none or it is disabled."""
        if command is None or not shiboken6.isValid(command.action) or not command.action.isEnabled():
            return False
        self.recent = [command.title, *(t for t in self.recent if t != command.title)][:_RECENT_KEPT]
        self.accept()
        action: QAction = command.action
        # After the pop-up has closed and the keyboard is back where it was (Find moves it elsewhere).
        QTimer.singleShot(
            0, lambda: action.trigger() if shiboken6.isValid(action) and action.isEnabled() else None
        )
        return True

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        """Give the keyboard back to the window, where it was (the command runs after this)."""
        super().hideEvent(event)
        self.owner.activateWindow()
        if self._return_to is not None and shiboken6.isValid(self._return_to):
            self._return_to.setFocus(Qt.FocusReason.PopupFocusReason)

    def _refilter(self) -> None:
        self.list.clear()
        first_enabled: QTreeWidgetItem | None = None
        for index in rank_commands(self.filter.text(), self.commands, self.recent):
            command = self.commands[index]
            action = command.action
            item = QTreeWidgetItem([command.title, command.keys])
            item.setData(0, _COMMAND, command)
            item.setIcon(0, action.icon() if not action.icon().isNull() else self._no_icon)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            tip = action.statusTip() or action.toolTip()
            if tip and tip != command.label:
                item.setToolTip(0, tip)
            if action.isCheckable():  # a toggle shows whether it is on
                state = Qt.CheckState.Checked if action.isChecked() else Qt.CheckState.Unchecked
                item.setData(0, Qt.ItemDataRole.CheckStateRole, state)
            if not action.isEnabled():
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
            elif first_enabled is None:
                first_enabled = item
            self.list.addTopLevelItem(item)
        if first_enabled is not None:
            self.list.setCurrentItem(first_enabled)
        self.empty.setVisible(self.list.topLevelItemCount() == 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """In the filter box: the arrow and page keys move through the list, Enter runs the command."""
        if watched is self.filter and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.run_current()
                return True
            if key in _NAVIGATION_KEYS:
                self.list.keyPressEvent(QKeyEvent(event.type(), key, event.modifiers(), event.text()))
                return True
        return super().eventFilter(watched, event)

"""The right-click menu on a misspelt word: suggestions (ordered by the model), Add to Dictionary, Ignore.

The menu opens at once with the dictionary's suggestions in its own order (word frequency); when a model
is loaded, the model worker orders them by GPT-2's likelihood in context (core/spelling/ranking.py,
a few forward calls: tens of milliseconds on the CPU) and the menu's suggestions are re-ordered in place
when it answers. Waiting for the model before opening would make every right-click feel slow on a busy
machine; showing the library's order first never does, and the change comes before the pointer
reaches an entry. An answer for a document that changed since, or for a menu closed since, is dropped.

Choosing a suggestion replaces the word as one undo step. The rest of the editor's usual context menu
(cut, copy, paste, the word popup's entry) follows the spelling entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QFont, QTextCursor
from PySide6.QtWidgets import QMenu, QPlainTextEdit

from gpt2_studio.gui.editor.document_text import exact_text_between
from gpt2_studio.gui.editor.insertion import insert_as_undo_step
from gpt2_studio.gui.models.worker import ModelWorker, SpellingRequest, next_request_id
from gpt2_studio.gui.spelling.underliner import SpellingUnderliner

if TYPE_CHECKING:  # ranking imports the generation core, which only the model worker needs
    from gpt2_studio.core.spelling.ranking import RankedSuggestions

SUGGESTIONS = 8
CONTEXT_CHARS = 4096  # text before the word sent with a request: the model keeps its window's worth
AFTER_CHARS = 200


@dataclass(frozen=True)
class Misspelt:
    """A misspelt word right-clicked: Qt positions start…end, its text, the revision it was read at."""

    start: int
    end: int
    word: str
    revision: int


class SpellingMenu(QObject):
    """Shows the spelling menu for a right-click on an underlined word; applies what is chosen."""

    message = Signal(str)

    def __init__(
        self,
        editor: QPlainTextEdit,
        underliner: SpellingUnderliner,
        worker: ModelWorker,
        extra_entries: Callable[[QMenu, int], None] | None = None,
    ) -> None:
        super().__init__(editor)
        self.editor = editor
        self.underliner = underliner
        self.worker = worker
        self.extra_entries = extra_entries  # adds the window's other context entries (word popup)
        self.menu: QMenu | None = None  # the menu on screen (tests read it)
        self.suggestion_actions: list[QAction] = []
        self.current_id = 0
        self._shown: Misspelt | None = None
        worker.spelling_ranked.connect(self._on_ranked)
        editor.viewport().installEventFilter(self)

    def close(self) -> None:
        """The window closes: stop watching the editor."""
        self.editor.viewport().removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """A right-click on a misspelt word opens the spelling menu instead of the usual one."""
        if event.type() == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            position = self.editor.cursorForPosition(event.pos()).position()
            if self.open_at(position, event.pos()):
                return True
        return super().eventFilter(watched, event)

    def open_at(self, position: int, point: QPoint | None = None) -> bool:
        """Open the spelling menu for the misspelt word at position; False when there is none."""
        found = self.underliner.misspelt_at(position)
        speller = self.underliner.speller
        if found is None or speller is None:
            return False
        start, end, word = found
        document = self.editor.document()
        misspelt = Misspelt(start, end, word, document.revision())
        candidates = speller.candidates(word, SUGGESTIONS)
        menu = self.editor.createStandardContextMenu(point or QPoint())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setObjectName("spelling-menu")
        first = menu.actions()[0] if menu.actions() else None
        self.suggestion_actions = []
        for candidate in candidates or []:
            action = QAction(candidate.replace("&", "&&"), menu)
            action.setData(candidate)
            action.triggered.connect(lambda _c=False, text=candidate: self.replace(misspelt, text))
            self.suggestion_actions.append(action)
        if not candidates:
            none = QAction("(no suggestions)", menu)
            none.setEnabled(False)
            self.suggestion_actions.append(none)
        elif self.suggestion_actions:
            bold = QFont(menu.font())
            bold.setBold(True)
            self.suggestion_actions[0].setFont(bold)
        add = QAction(f"Add \u201c{word}\u201d to Dictionary", menu)
        add.setObjectName("spelling-add")
        add.triggered.connect(lambda _c=False: self.add_to_dictionary(word))
        ignore = QAction(f"Ignore \u201c{word}\u201d", menu)
        ignore.setObjectName("spelling-ignore")
        ignore.triggered.connect(lambda _c=False: self.ignore(word))
        menu.insertActions(first, self.suggestion_actions)
        menu.insertSeparator(first)
        menu.insertActions(first, [add, ignore])
        menu.insertSeparator(first)
        if self.extra_entries is not None:
            menu.addSeparator()
            self.extra_entries(menu, position)
        menu.aboutToHide.connect(self._menu_closed)
        self.menu = menu
        self._shown = misspelt
        if candidates and self.worker.context_window is not None:
            before = exact_text_between(document, max(0, start - CONTEXT_CHARS), start)
            after = exact_text_between(document, end, min(document.characterCount() - 1, end + AFTER_CHARS))
            self.current_id = next_request_id()
            self.worker.rank_spelling(
                SpellingRequest(self.current_id, before, word, after, tuple(candidates))
            )
        if point is None:
            cursor = QTextCursor(document)
            cursor.setPosition(start)
            point = self.editor.cursorRect(cursor).bottomLeft()
        menu.popup(self.editor.viewport().mapToGlobal(point))
        if self.suggestion_actions and candidates:
            menu.setActiveAction(self.suggestion_actions[0])
        return True

    def _menu_closed(self) -> None:
        self.menu = None
        self._shown = None
        self.suggestion_actions = []

    def _on_ranked(self, request_id: int, ranked: RankedSuggestions) -> None:
        """The model's order: put the menu's suggestions in it (same actions, new places)."""
        menu, shown = self.menu, self._shown
        if request_id != self.current_id or menu is None or shown is None or ranked.cancelled:
            return
        if shown.revision != self.editor.document().revision():
            return
        by_text = {action.data(): action for action in self.suggestion_actions}
        ordered = [by_text[text] for text in ranked.suggestions if text in by_text]
        if len(ordered) != len(self.suggestion_actions):
            return
        anchor = self.suggestion_actions[-1]
        following = menu.actions()[menu.actions().index(anchor) + 1]
        for action in self.suggestion_actions:
            menu.removeAction(action)
        menu.insertActions(following, ordered)
        plain, bold = QFont(menu.font()), QFont(menu.font())
        bold.setBold(True)
        for index, action in enumerate(ordered):
            action.setFont(bold if index == 0 else plain)
        self.suggestion_actions = ordered
        menu.setActiveAction(ordered[0])
        menu.adjustSize()

    # -- what the entries do --------------------------------------------------------------------
    def replace(self, misspelt: Misspelt, text: str) -> bool:
        """Put text in place of the word as one undo step; False (and a message) if the text changed."""
        document = self.editor.document()
        current = exact_text_between(document, misspelt.start, misspelt.end)
        if misspelt.revision != document.revision() or current != misspelt.word:
            self.message.emit(
                "The text changed since the suggestions were found; right-click the word again."
            )
            return False
        cursor = QTextCursor(document)
        cursor.setPosition(misspelt.start)
        cursor.setPosition(misspelt.end, QTextCursor.MoveMode.KeepAnchor)
        insert_as_undo_step(cursor, text)
        self.editor.setTextCursor(cursor)
        return True

    def add_to_dictionary(self, word: str) -> None:
        """Add word to the language's personal dictionary file; its underlines go."""
        speller = self.underliner.speller
        if speller is None:
            return
        try:
            speller.add_word(word)
        except OSError as exc:
            self.message.emit(
                f"Could not add \u201c{word}\u201d to the personal dictionary: {exc.strerror or exc}."
            )
            return
        self.underliner.words_changed()

    def ignore(self, word: str) -> None:
        """Pass word for the rest of this session; its underlines go."""
        if self.underliner.speller is not None:
            self.underliner.speller.ignore(word)
            self.underliner.words_changed()

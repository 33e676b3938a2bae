"""The right-click menu on a misspelt word: suggestions (ordered by the model), Add to Dictionary, Ignore.

The menu opens at once with the dictionary's suggestions in its own order (word frequency). A word with
none one edit away is searched two edits away on a short-lived thread (seconds for a long word) while
the menu shows "Looking for suggestions…". When a model is loaded, the model worker then orders them by
GPT-2's likelihood in context (core/spelling/ranking.py, a few forward calls: tens of milliseconds on
the CPU) and the menu's suggestions are re-ordered in place when it answers. Waiting for the model
before opening would make every right-click feel slow on a busy machine; showing the library's order
first never does. An answer for a document that changed since, or for a menu closed since, is dropped.

Choosing a suggestion replaces the word as one undo step. The rest of the editor's usual context menu
(cut, copy, paste, the word popup's entry) follows the spelling entries.
"""

from __future__ import annotations

import threading
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
    _found = Signal(int, object)  # request id, the dictionary's candidates (from a short-lived thread)

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
        self._suggestions_end: QAction | None = None  # the separator after the suggestions
        worker.spelling_ranked.connect(self._on_ranked)
        self._found.connect(self._on_found, Qt.ConnectionType.QueuedConnection)
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
        menu = self.editor.createStandardContextMenu(point or QPoint())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setObjectName("spelling-menu")
        first = menu.actions()[0] if menu.actions() else None
        self._suggestions_end = menu.insertSeparator(first)
        add = QAction(f"Add \u201c{word}\u201d to Dictionary", menu)
        add.setObjectName("spelling-add")
        add.triggered.connect(lambda _c=False: self.add_to_dictionary(word))
        ignore = QAction(f"Ignore \u201c{word}\u201d", menu)
        ignore.setObjectName("spelling-ignore")
        ignore.triggered.connect(lambda _c=False: self.ignore(word))
        menu.insertActions(first, [add, ignore])
        menu.insertSeparator(first)
        if self.extra_entries is not None:
            menu.addSeparator()
            self.extra_entries(menu, position)
        menu.aboutToHide.connect(self._menu_closed)
        self.menu = menu
        self._shown = misspelt
        self.suggestion_actions = []
        self.current_id = next_request_id()
        quick = speller.quick_candidates(word, SUGGESTIONS)
        if quick is None:  # two edits away: seconds for a long word, so on a thread; the menu waits
            self._show_suggestions(None)
            request_id = self.current_id
            thread = threading.Thread(
                target=lambda: self._found.emit(request_id, speller.candidates(word, SUGGESTIONS)),
                name="spelling-candidates",
                daemon=True,
            )
            thread.start()
        else:
            self._on_found(self.current_id, quick)
        if point is None:
            cursor = QTextCursor(document)
            cursor.setPosition(start)
            point = self.editor.cursorRect(cursor).bottomLeft()
        menu.popup(self.editor.viewport().mapToGlobal(point))
        if self.suggestion_actions and self.suggestion_actions[0].isEnabled():
            menu.setActiveAction(self.suggestion_actions[0])
        return True

    @property
    def searching(self) -> bool:
        """Whether the open menu still waits for the dictionary's candidates."""
        return self.menu is not None and any(a.data() is None for a in self.suggestion_actions)

    def _on_found(self, request_id: int, candidates: list[str]) -> None:
        """The dictionary's candidates (its order): show them, and ask the model to order them."""
        shown = self._shown
        if request_id != self.current_id or self.menu is None or shown is None:
            return
        self._show_suggestions(candidates)
        if candidates and self.worker.context_window is not None:
            document = self.editor.document()
            before = exact_text_between(document, max(0, shown.start - CONTEXT_CHARS), shown.start)
            end = min(document.characterCount() - 1, shown.end + AFTER_CHARS)
            after = exact_text_between(document, shown.end, end)
            request = SpellingRequest(request_id, before, shown.word, after, tuple(candidates))
            self.worker.rank_spelling(request)

    def _show_suggestions(self, candidates: list[str] | None) -> None:
        """Put these suggestions at the top of the menu (None: a "looking" line, []: "no suggestions")."""
        menu, shown = self.menu, self._shown
        if menu is None or shown is None:
            return
        for action in self.suggestion_actions:
            menu.removeAction(action)
        actions: list[QAction] = []
        for candidate in candidates or []:
            action = QAction(candidate.replace("&", "&&"), menu)
            action.setData(candidate)
            action.triggered.connect(lambda _c=False, text=candidate: self.replace(shown, text))
            actions.append(action)
        if not actions:
            line = QAction(
                "Looking for suggestions\u2026" if candidates is None else "(no suggestions)", menu
            )
            line.setEnabled(False)
            actions.append(line)
        else:
            bold = QFont(menu.font())
            bold.setBold(True)
            actions[0].setFont(bold)
        menu.insertActions(self._suggestions_end, actions)
        self.suggestion_actions = actions
        if actions[0].isEnabled() and menu.isVisible():
            menu.setActiveAction(actions[0])
        menu.adjustSize()

    def _menu_closed(self) -> None:
        self.menu = None
        self._shown = None
        self.suggestion_actions = []

    def _on_ranked(self, request_id: int, ranked: RankedSuggestions) -> None:
        """The model's order: the menu's suggestions in it."""
        shown = self._shown
        if request_id != self.current_id or self.menu is None or shown is None or ranked.cancelled:
            return
        if shown.revision != self.editor.document().revision():
            return
        if sorted(ranked.suggestions) == sorted(a.data() for a in self.suggestion_actions):
            self._show_suggestions(list(ranked.suggestions))

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

"""The word popup: the model's alternatives for one word of the document, one click (or key) away.

Alt+click a word, right-click it and choose "Alternatives for This Word…", or press Ctrl+Shift+Space
with the text cursor in or just after a word (the lens may be on or off; a plain click only places the
cursor, as a writer expects). The word and the text before it go to the model worker; its answer opens a
menu of whole words with their probabilities. Choosing one replaces the word as one undo step; Esc
closes the menu and changes nothing. An answer for a document that changed since it was asked for is
dropped, never applied to moved text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import regex
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent, QTextCursor
from PySide6.QtWidgets import QMainWindow, QMenu

from gpt2_studio.gui.editor.document_text import exact_text_between
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.insertion import insert_as_undo_step
from gpt2_studio.gui.lens.continue_here import ContinueHere
from gpt2_studio.gui.lens.spans import utf16_length
from gpt2_studio.gui.models.worker import ModelWorker, WordsRequest, next_request_id
from gpt2_studio.gui.provenance.hooks import model_insertion

if TYPE_CHECKING:  # the core module imports torch, which only the model worker loads
    from gpt2_studio.core.generation.word_alternatives import WordAlternatives

WORD_POPUP_SHORTCUT = "Ctrl+Shift+Space"
# Text before the word sent with a request: far more than a 1024-token window needs.
CONTEXT_CHARS = 64 * 1024
# A word as the popup replaces it: letters and digits with their marks, joined by apostrophes or hyphens.
_WORD = regex.compile(r"\w+(?:['\u2019\-]\w+)*")


@dataclass(frozen=True)
class WordSpan:
    """A word of the document: Qt positions start…end, its text, and the document revision it was read at."""

    start: int
    end: int
    text: str
    revision: int


def word_at(editor: GhostTextEdit, position: int) -> WordSpan | None:
    """The word holding the character at position, or the one ending just before it; None if neither."""
    document = editor.document()
    block = document.findBlock(position)
    if not block.isValid():
        return None
    text = block.text()
    offset = position - block.position()  # in UTF-16 units
    for match in _WORD.finditer(text):
        start = block.position() + utf16_length(text[: match.start()])
        end = start + utf16_length(match.group())
        if start <= block.position() + offset <= end:
            exact = exact_text_between(document, start, end)
            return WordSpan(start, end, exact, document.revision())
    return None


class WordPopup(QObject):
    """Asks the worker for a word's alternatives and shows them in a menu; applies the one chosen."""

    message = Signal(str)  # one sentence for the status bar

    def __init__(self, editor: GhostTextEdit, worker: ModelWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.worker = worker
        self.current_id = 0
        self._asked: WordSpan | None = None
        self.menu: QMenu | None = None  # the popup on screen (tests read it)
        self.continue_here: ContinueHere | None = None  # set when suggestions can be asked for
        self.action = QAction("&Alternatives for This Word…", self)
        self.action.setObjectName("action-word-alternatives")
        self.action.setShortcut(QKeySequence(WORD_POPUP_SHORTCUT))
        self.action.setToolTip(f"The model's words in place of the one at the cursor ({WORD_POPUP_SHORTCUT})")
        self.action.triggered.connect(lambda _checked=False: self.ask_at(editor.textCursor().position()))
        worker.words_ready.connect(self._on_ready)
        worker.words_failed.connect(self._on_failed)
        editor.document().contentsChange.connect(self._on_edit)
        editor.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        editor.customContextMenuRequested.connect(self._context_menu)
        editor.viewport().installEventFilter(self)

    def close(self) -> None:
        """The window closes: stop asking and watching the editor (a filter left on it crashes at exit)."""
        self._forget()
        self.editor.viewport().removeEventFilter(self)
        if self.continue_here is not None:
            self.continue_here.close()

    # -- asking ---------------------------------------------------------------------------------
    def ask_at(self, position: int) -> bool:
        """Ask for the alternatives of the word at a document position; False (and a message) if none."""
        if self.worker.context_window is None:
            self.message.emit("The model is not loaded yet; word alternatives work once it is.")
            return False
        span = word_at(self.editor, position)
        if span is None:
            self.message.emit("There is no word here to find alternatives for.")
            return False
        self._forget()
        before = exact_text_between(self.editor.document(), max(0, span.start - CONTEXT_CHARS), span.start)
        self.current_id = next_request_id()
        self._asked = span
        self.message.emit(f"Asking the model for words in place of \u201c{span.text}\u201d\u2026")
        self.worker.words(WordsRequest(self.current_id, before, span.text))
        return True

    @property
    def pending(self) -> bool:
        """Whether an answer is awaited."""
        return self._asked is not None and self.menu is None

    def _forget(self) -> None:
        if self.current_id:
            self.worker.invalidate(self.current_id + 1, "words")
        self._asked = None
        if self.menu is not None:
            self.menu.close()

    def _on_edit(self, _position: int, _removed: int, _added: int) -> None:
        # Repaints (the lens's tints, the ghost's layout) report a change too, but leave the revision.
        asked = self._asked
        if asked is not None and self.menu is None and asked.revision != self.editor.document().revision():
            self._forget()  # the word may have moved or changed: the answer would be for other text

    # -- answers --------------------------------------------------------------------------------
    def _on_ready(self, request_id: int, answer: WordAlternatives) -> None:
        span = self._asked
        if request_id != self.current_id or span is None or answer.cancelled:
            return
        if span.revision != self.editor.document().revision():
            self._asked = None
            return
        self.message.emit("")
        self._show_menu(span, answer)

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self.current_id and self._asked is not None:
            self._asked = None
            self.message.emit(message)

    def _show_menu(self, span: WordSpan, answer: WordAlternatives) -> None:
        menu = QMenu(self.editor)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setObjectName("word-popup")
        title = menu.addAction(f"In place of \u201c{span.text}\u201d:")
        title.setEnabled(False)
        first = None
        for alternative in answer.alternatives:
            label = f"{alternative.text.strip()}\t{_percent(alternative.probability)}"
            action = menu.addAction(label.replace("&", "&&"))
            action.setData(alternative.text)
            action.triggered.connect(lambda _checked=False, text=alternative.text: self.replace(span, text))
            first = first or action
        if first is None:
            menu.addAction("(the model has no other word here)").setEnabled(False)
        if self.continue_here is not None:
            menu.addSeparator()
            go_on = menu.addAction("&Continue from Here")
            go_on.setObjectName("word-popup-continue")
            go_on.setToolTip(
                "Suggestions after this word, in place of the rest of the paragraph (Tab takes one)"
            )
            go_on.triggered.connect(lambda _checked=False: self._continue(span))
        menu.aboutToHide.connect(self._menu_closed)
        self.menu = menu
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(span.start)
        point = self.editor.cursorRect(cursor).bottomLeft()
        menu.popup(self.editor.viewport().mapToGlobal(point))
        if first is not None:
            menu.setActiveAction(first)  # Enter takes the best word at once; arrows move

    def _continue(self, span: WordSpan) -> None:
        if self.continue_here is None:
            return
        if span.revision != self.editor.document().revision():
            self.message.emit("The text changed since the alternatives were found; ask again.")
            return
        self.continue_here.start(span.end)

    def _menu_closed(self) -> None:
        self.menu = None
        self._asked = None

    def replace(self, span: WordSpan, text: str) -> bool:
        """Put text in place of the word as one undo step; False (and a message) if the text changed."""
        document = self.editor.document()
        current = exact_text_between(document, span.start, span.end)
        if span.revision != document.revision() or current != span.text:
            self.message.emit("The text changed since the alternatives were found; ask again.")
            return False
        cursor = QTextCursor(document)
        cursor.setPosition(span.start)
        cursor.setPosition(span.end, QTextCursor.MoveMode.KeepAnchor)
        with model_insertion(self.editor, "swap", settings={}):  # ranked, not sampled
            insert_as_undo_step(cursor, text)
        self.editor.setTextCursor(cursor)
        return True

    # -- mouse ----------------------------------------------------------------------------------
    def _context_menu(self, point: QPoint) -> None:
        menu = self.editor.createStandardContextMenu(point)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addSeparator()
        position = self.editor.cursorForPosition(point).position()
        entry = menu.addAction("Alternatives for This Word\u2026")
        entry.setObjectName("context-word-alternatives")
        entry.setEnabled(word_at(self.editor, position) is not None)
        entry.triggered.connect(lambda _checked=False: self.ask_at(position))
        menu.popup(self.editor.viewport().mapToGlobal(point))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Alt+click on a word asks for its alternatives (the cursor stays where it was)."""
        if (
            event.type() == QEvent.Type.MouseButtonPress
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
            and event.modifiers() == Qt.KeyboardModifier.AltModifier
        ):
            position = self.editor.cursorForPosition(event.position().toPoint()).position()
            self.ask_at(position)
            return True
        return super().eventFilter(watched, event)


def _percent(probability: float) -> str:
    """A probability as a short percentage ("62%", "3.1%", "<0.1%")."""
    percent = probability * 100
    if percent >= 10:
        return f"{percent:.0f}%"
    if percent >= 0.1:
        return f"{percent:.1f}%"
    return "<0.1%"


def install_word_popup(window: QMainWindow | Any) -> WordPopup:
    """Give the main window its word popup: Alt+click, the editor's context menu, View's entry and key."""
    popup = WordPopup(window.editor, window.worker, window)
    popup.continue_here = ContinueHere(window.editor, window.controller, window)
    # View's last entries are the lens's: the popup's entry (and so its shortcut) goes after them.
    menus = [m for m in window.main_menu.likelihood_action.associatedObjects() if isinstance(m, QMenu)]
    (menus[0] if menus else window.main_menu).addAction(popup.action)
    bar = window.status_bar
    popup.message.connect(lambda text: bar.showMessage(text, 8000) if text else bar.clearMessage())
    return popup

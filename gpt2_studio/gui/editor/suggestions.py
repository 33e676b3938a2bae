"""Ghost-text suggestions: when to ask, what to send, and which answers still count.

Typing pauses start a debounce timer; when it fires, the text before the cursor becomes an immutable
GenerationRequest with a fresh id. Any edit or cursor move bumps the id, cancels the worker, and clears
the ghost, so a chunk or result for an older id never reaches the editor. Nothing is asked for while an
input method is composing; the commit is an edit like any other, so the pause after it asks again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from gpt2_studio.core.documents.context_notes import ContextNotes
from gpt2_studio.core.generation.context import Prompt
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.suggestion_text import strip_doubled_space
from gpt2_studio.gui.editor.document_text import exact_text_between
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.ghost_numbers import alternative_numbers
from gpt2_studio.gui.models.worker import GenerationRequest, ModelWorker, fit_settings, next_request_id

if TYPE_CHECKING:  # the engine imports torch, which the window loads only on the worker thread
    from gpt2_studio.core.generation.engine import Completion

# Characters of context sent with a request: far more than a 1024-token window needs. The cut moves on a
# grid so that, while the user types, the start of the prompt (and so the engine's cache) stays put.
CONTEXT_CHARS = 64 * 1024
CONTEXT_GRID = 16 * 1024


def text_before_cursor(editor: GhostTextEdit) -> str:
    """The text before the cursor, at most about CONTEXT_CHARS of it, without copying the whole document."""
    position = editor.textCursor().position()
    start = (
        max(0, ((position - CONTEXT_CHARS) // CONTEXT_GRID) * CONTEXT_GRID) if position > CONTEXT_CHARS else 0
    )
    return exact_text_between(editor.document(), start, position)


def _text_before_ghost(editor: GhostTextEdit) -> str:
    """The end of the text before the ghost's position (where its request was made).

    Any edit or cursor move since the request drops its ghost and its id, so this is the text the
    request saw; the spacing rule needs only its last character (Qt keeps a surrogate pair whole).
    """
    ghost = editor.ghost
    position = ghost.position if ghost is not None else editor.textCursor().position()
    return exact_text_between(editor.document(), max(0, position - 2), position)


def ghost_piece(editor: GhostTextEdit, index: int, text: str) -> str:
    """A streamed piece of alternative ``index`` as the ghost shows it: no space doubling the writer's."""
    ghost = editor.ghost
    if ghost is None or (index < len(ghost.alternatives) and ghost.alternatives[index]):
        return text
    # Nothing of this alternative shown yet: a piece of only " " leaves it empty, so the next piece
    # ("Paris") is still its start and loses its space too.
    return strip_doubled_space(_text_before_ghost(editor), text)


def ghost_alternatives(editor: GhostTextEdit, alternatives: list[str] | tuple[str, ...]) -> list[str]:
    """The final alternatives as the ghost shows them (the same text the streamed pieces built)."""
    before = _text_before_ghost(editor)
    return [strip_doubled_space(before, text) for text in alternatives]


def with_notes(text: str, notes: ContextNotes) -> str | Prompt:
    """The prompt for ``text``: a Prompt with the document's Memory and Author's note, or the text alone."""
    if not notes.memory and not notes.authors_note:
        return text
    return Prompt(
        text=text,
        memory=notes.memory,
        authors_note=notes.authors_note,
        authors_note_depth=notes.authors_note_depth,
    )


class SuggestionController(QObject):
    """Connects the editor to the model worker for inline suggestions."""

    state_changed = Signal(str)  # "generating", "ready"
    message = Signal(str)  # one-line status messages
    stats = Signal(object)  # Completion of the last finished suggestion

    def __init__(self, editor: GhostTextEdit, worker: ModelWorker, settings: SamplingSettings) -> None:
        super().__init__(editor)
        self.editor = editor
        self.worker = worker
        self.settings = settings
        self.notes = ContextNotes()  # the document's Memory and Author's note, sent with each request
        self.enabled = True
        self.model_ready = False
        self.current_id = 0
        self.in_flight = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(400)
        self.timer.timeout.connect(self._on_pause)
        editor.user_edited.connect(self._on_user_edited)
        editor.suggest_requested.connect(self.suggest_now)
        editor.accepted.connect(self._on_accepted)
        worker.chunk.connect(self._on_chunk)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)

    def set_delay(self, milliseconds: int) -> None:
        """Pause in typing before a suggestion is asked for."""
        self.timer.setInterval(milliseconds)

    def set_enabled(self, enabled: bool) -> None:
        """Turn automatic suggestions on or off (Ctrl+Space still works)."""
        self.enabled = enabled
        if not enabled:
            self.timer.stop()

    def suggest_now(self) -> None:
        """Ask for a suggestion at the cursor now."""
        self.timer.stop()
        if not self.model_ready:
            self.message.emit("The model is not loaded yet; suggestions start once it is.")
            return
        if self.editor.textCursor().hasSelection() or self.editor.is_composing():
            return
        self.current_id = next_request_id()
        text = text_before_cursor(self.editor)
        prompt = with_notes(text, self.notes)
        context_window = self.worker.context_window
        # The panel allows more new tokens than a small model's window holds: ask for what fits.
        settings = self.settings
        if context_window:
            settings = fit_settings(settings, context_window, bool(text) or isinstance(prompt, Prompt))
        request = GenerationRequest(self.current_id, prompt, settings)
        self.editor.start_ghost(settings.num_alternatives)
        self.in_flight = True
        self.state_changed.emit("generating")
        self.worker.submit(request)

    def set_settings(self, settings: SamplingSettings) -> None:
        """The sampling settings changed: later requests use them; the ghost made with the old ones goes."""
        if settings == self.settings:
            return
        self.settings = settings
        self.stop()  # a sentence-long ghost must not stay (or keep streaming) after "A word" is chosen

    def set_notes(self, notes: ContextNotes) -> None:
        """The Memory and Author's note changed: later requests carry them; the current ghost goes."""
        self.notes = notes
        self.stop()

    def stop(self) -> None:
        """Cancel the request in flight and clear the suggestion."""
        self.timer.stop()
        self._invalidate()
        self.editor.clear_ghost()

    def _invalidate(self) -> None:
        if self.current_id:
            self.worker.invalidate(self.current_id + 1)
        self.current_id = 0
        if self.in_flight:
            self.in_flight = False
            self.state_changed.emit("ready")

    def _on_user_edited(self) -> None:
        self._invalidate()
        if self.enabled and self.model_ready and self.editor.hasFocus():
            self.timer.start()

    def _on_accepted(self, _text: str) -> None:
        # The remaining ghost (after a word) is frozen; after a full accept, suggest again on a pause.
        self._invalidate()
        if self.editor.ghost is None and self.enabled and self.model_ready:
            self.timer.start()

    def _on_pause(self) -> None:
        cursor = self.editor.textCursor()
        rest_of_line = cursor.block().text()[cursor.positionInBlock() :]
        if rest_of_line.strip() or not self.editor.document().characterCount() > 1:
            return  # mid-line or empty document: only Ctrl+Space asks there
        self.suggest_now()

    def _on_chunk(self, request_id: int, index: int, text: str) -> None:
        if request_id != self.current_id:
            return
        self.editor.append_ghost(index, ghost_piece(self.editor, index, text))

    def _on_finished(self, request_id: int, completion: Completion) -> None:
        if request_id != self.current_id:
            return
        self.in_flight = False
        shown = ghost_alternatives(self.editor, completion.alternatives)
        self.editor.finish_ghost(shown, alternative_numbers(completion, shown))
        self.stats.emit(completion)
        self.state_changed.emit("ready")

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id != self.current_id:
            return
        self.in_flight = False
        self.editor.clear_ghost()
        self.message.emit(message)
        self.state_changed.emit("ready")

"""Run a preset from the editor: build its context, ask for its input, generate, put the result in place.

A preset runs on the worker's "preset" channel, so typing (which makes "suggest" requests stale) does not
cancel it. Where the result goes is decided when the preset starts and kept as QTextCursors, which move
with any edits made while it runs; each change to the document is one undo step. The runner works on the
editor and the model worker it is given; the window answers its request signals (status messages, a new
document, a save, pausing the suggestions).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCursor

from gpt2_studio.core.documents.context_notes import ContextNotes
from gpt2_studio.core.documents.text_files import DocumentError, write_text_file
from gpt2_studio.core.generation.suggestion_text import strip_doubled_space
from gpt2_studio.core.presets.templates import Preset, PresetContext, continues_text, finish
from gpt2_studio.gui.editor.block_formats import utf16_length
from gpt2_studio.gui.editor.document_text import (
    exact_block_text,
    exact_selected_text,
    exact_text,
    exact_text_between,
)
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.insertion import insert_as_undo_step, model_text
from gpt2_studio.gui.editor.suggestions import ghost_alternatives, ghost_piece, text_before_cursor, with_notes
from gpt2_studio.gui.models.worker import GenerationRequest, ModelWorker, fit_settings, next_request_id
from gpt2_studio.gui.presets.collaborators import DocumentPathProvider, QuestionsProvider, SuggestionState
from gpt2_studio.gui.presets.panel import PresetResultPanel
from gpt2_studio.gui.presets.questions import ask
from gpt2_studio.gui.provenance.hooks import model_insertion, samples_file_written

if TYPE_CHECKING:  # the engine imports torch, which the window loads only on the worker thread
    from gpt2_studio.core.generation.engine import Completion

log = logging.getLogger(__name__)

CHANNEL = "preset"


def sample_separator(number: int) -> str:
    """The line that starts each sample in a Samples document."""
    return f"==== sample {number} ===="


def _selected_text(cursor: QTextCursor) -> str:
    return exact_selected_text(cursor)


@dataclass
class _Job:
    """A preset in flight and where its result goes."""

    request_id: int
    preset: Preset
    target: QTextCursor | None  # insert, below, replace
    revision: int  # the document's revision when the preset started
    heading: str = ""
    path: Path | None = None  # new_document: save the samples here instead
    trimmed: bool = False
    tokens: int = 0  # pieces of the first alternative streamed so far (about one token each)
    preview: str = ""  # the first alternative so far, for the status bar


def _sample_pieces(text: str, parts: list[str]) -> list[tuple[int, int]]:
    """Where each sample (after its separator line) is in the Samples document, in Qt positions."""
    pieces, at = [], 0
    for part in parts:
        part = model_text(part)
        start = text.find(part, at) + part.find("\n") + 1
        end = text.find(part, at) + len(part)
        at = end
        if start < end:
            pieces.append((utf16_length(text[:start]), utf16_length(text[:end])))
    return pieces


class PresetRunner(QObject):
    """Runs one preset at a time on an editor's text; a new run replaces the one in flight."""

    running_changed = Signal(bool)
    status_message = Signal(str, int)  # text, milliseconds to show it (0: until the next message)
    state_changed = Signal(str)  # the short state: "Running TL;DR… 3 tokens", back to "Ready"
    new_document_requested = Signal()  # samples replace the document (its changes are saved or given up)
    save_requested = Signal()  # save the document before samples replace it
    suggestions_pause_requested = Signal()  # text the preset put in is not typing: no ghost for it

    def __init__(
        self,
        editor: GhostTextEdit,
        worker: ModelWorker,
        suggestions: SuggestionState,
        panel: PresetResultPanel,
        *,
        questions: QuestionsProvider,
        document_path: DocumentPathProvider,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self.worker = worker
        self.suggestions = suggestions
        self.questions = questions
        self.document_path = document_path
        self.panel = panel
        self.job: _Job | None = None
        self.worker.chunk.connect(self._on_chunk)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.editor.user_edited.connect(self._on_user_edited)

    @property
    def running(self) -> bool:
        """True while a preset is generating."""
        return self.job is not None

    def _say(self, text: str, timeout_ms: int = 0) -> None:
        self.status_message.emit(text, timeout_ms)

    # -- starting -------------------------------------------------------------------------------
    def run(self, preset: Preset, *, path: str | Path | None = None) -> bool:
        """Start a preset on the editor's text (path: save samples there); False if it did not start."""
        window = self.worker.context_window
        if window is None or not self.suggestions.model_ready:
            self._say("The model is not loaded yet; presets run once it is.", 8000)
            return False
        if preset.output == "new_document" and path is None and not self._may_replace_document(preset):
            return False
        context = self._context(preset)
        if context is None:
            return False
        settings = fit_settings(preset.sampling, window, bool(preset.template))
        # A preset that continues the text (Continue, Point of view) sees the document's Memory and
        # Author's note, as the ghost suggestions do; the template's text is fitted into what they leave.
        notes = self.suggestions.notes if continues_text(preset) else ContextNotes()
        rendered = self.worker.render_preset(preset, context, settings, self.worker.notes_tokens(notes))
        if rendered is None:
            self._say("The model is not loaded yet; presets run once it is.", 8000)
            return False
        self.stop()
        prompt = with_notes(rendered.text, notes)
        request = GenerationRequest(next_request_id(), prompt, settings, channel=CHANNEL)
        job = _Job(
            request.request_id,
            preset,
            self._target(preset.output),
            self.editor.document().revision(),
            heading=f"{preset.name}: {context.input}" if context.input else preset.name,
            path=Path(path) if path else None,
            trimmed=rendered.trimmed,
        )
        if preset.output == "ghost":
            # A pending suggestion must not replace the preset's ghost, which needs a collapsed cursor.
            cursor = self.editor.textCursor()
            if cursor.hasSelection():
                cursor.setPosition(cursor.selectionEnd())
                self.editor.setTextCursor(cursor)
            self.suggestions_pause_requested.emit()
            self.editor.start_ghost(settings.num_alternatives)
        elif preset.output == "side_panel":
            self.panel.start(preset.name, job.heading)
        self.job = job
        self._progress(job)
        self.running_changed.emit(True)
        self.worker.submit(request)
        return True

    def _may_replace_document(self, preset: Preset) -> bool:
        """Samples replace the document: ask first, saying so, when it has unsaved changes."""
        if not self.editor.document().isModified():
            return True
        path = self.document_path()
        name = path.name if path else "Untitled"
        answer = ask(self.questions(), self.editor.window(), "ask_samples_new_document", preset.name, name)
        if answer == "save":
            self.save_requested.emit()
            return not self.editor.document().isModified()  # saved, not cancelled or failed
        return answer == "discard"

    # -- progress -------------------------------------------------------------------------------
    def _progress(self, job: _Job) -> None:
        """What the running preset has done so far, in the status bar (Stop is in the Presets menu)."""
        name = job.preset.name
        done = f" {job.tokens} token{'s' if job.tokens != 1 else ''}" if job.tokens else ""
        self._set_state(f"Running {name}…{done}")
        message = f"Running {name}…{done} (Ctrl+. stops)"
        if job.tokens and job.preset.output in ("insert", "below", "replace"):
            # Those results go into the document in one step when done; until then they show here
            # (empty while the pieces so far hold no text, such as an undecodable byte).
            tail = job.preview.replace("\n", " ⏎ ").strip()
            message += f": “…{tail[-60:]}”" if len(tail) > 60 else f": “{tail}”"
        self._say(message)

    def _set_state(self, text: str | None) -> None:
        """The short state shown while a preset runs (None: back to what the suggestions say)."""
        if text is None:
            if not self.suggestions.model_ready:
                return
            text = "Generating" if self.suggestions.in_flight else "Ready"
        self.state_changed.emit(text)

    def _context(self, preset: Preset) -> PresetContext | None:
        """The user's text for the placeholders the template uses; None when the run is called off."""
        used = preset.placeholders
        cursor = self.editor.textCursor()
        values: dict[str, str] = {}
        if "selection" in used:
            values["selection"] = (
                _selected_text(cursor) if cursor.hasSelection() else exact_block_text(cursor)
            ).strip()
            if not values["selection"]:
                self._say(f"{preset.name}: select some text, or put the cursor in a paragraph.", 8000)
                return None
        if "document" in used:
            # "The document or the selection": a selection narrows the document to it.
            values["document"] = (
                _selected_text(cursor) if cursor.hasSelection() else exact_text(self.editor.document())
            ).strip()
            if not values["document"]:
                self._say(f"{preset.name}: the document is empty.", 8000)
                return None
        if "before_cursor" in used:
            values["before_cursor"] = text_before_cursor(self.editor)
        if "input" in used:
            label = preset.input_label or f"{preset.name}:"
            answer = self.questions().ask_text(label, preset.input_default, preset.name)
            if answer is None:
                return None
            values["input"] = answer.strip()
            if not values["input"]:
                self._say(f"{preset.name} needs an answer to “{label}”.", 8000)
                return None
        return PresetContext(**values)

    def _target(self, output: str) -> QTextCursor | None:
        """Where an insert, below or replace result will go, as a cursor that follows later edits."""
        current = self.editor.textCursor()
        target = QTextCursor(self.editor.document())
        if output == "insert":
            target.setPosition(current.selectionEnd())
        elif output == "replace":
            if current.hasSelection():
                target.setPosition(current.selectionStart())
                target.setPosition(current.selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
            else:
                target.setPosition(current.block().position())
                target.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        elif output == "below":
            end = current.selectionEnd()
            block = self.editor.document().findBlock(end)
            if current.hasSelection() and end == block.position() and block.previous().isValid():
                block = block.previous()  # whole lines selected: under the last of them
            target.setPosition(block.position() + block.length() - 1)
        else:
            return None
        return target

    # -- stopping -------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel the preset in flight, if any; nothing of it reaches the document."""
        job = self.job
        if job is None:
            return
        self.job = None
        self.worker.invalidate(job.request_id + 1, CHANNEL)
        if job.preset.output == "ghost":
            self.editor.clear_ghost()
        self._set_state(None)
        self._say(f"Stopped {job.preset.name}.", 4000)
        self.running_changed.emit(False)

    def _on_user_edited(self) -> None:
        # A ghost belongs to one cursor position: once the user moves on, its preset is moot. Other
        # outputs keep running; their target cursors follow the edits.
        job = self.job
        if job is not None and job.preset.output == "ghost" and self.editor.ghost is None:
            self.stop()

    # -- results --------------------------------------------------------------------------------
    def _on_chunk(self, request_id: int, index: int, text: str) -> None:
        job = self.job
        if job is None or request_id != job.request_id:
            return
        if job.preset.output == "ghost":
            self.editor.append_ghost(index, ghost_piece(self.editor, index, text))
        elif job.preset.output == "side_panel" and index == 0:
            self.panel.append(model_text(text))
        if index == 0:
            job.tokens += 1
            job.preview += model_text(text)
            self._progress(job)

    def _on_failed(self, request_id: int, message: str) -> None:
        job = self.job
        if job is None or request_id != job.request_id:
            return
        self.job = None
        if job.preset.output == "ghost":
            self.editor.clear_ghost()
        self._set_state(None)
        self._say(f"{job.preset.name} failed: {message}")
        self.running_changed.emit(False)

    def _on_finished(self, request_id: int, completion: Completion) -> None:
        job = self.job
        if job is None or request_id != job.request_id:
            return
        self.job = None
        self._set_state(None)
        self.running_changed.emit(False)
        preset = job.preset
        if completion.cancelled:
            if preset.output == "ghost":
                self.editor.clear_ghost()
            self._say(f"Stopped {preset.name}.", 4000)
            return
        # An undecodable byte from the model (U+FFFD) is never shown or written; see model_text.
        raw = [model_text(text) for text in completion.alternatives]
        bare = dataclasses.replace(preset, result_format="{result}")
        if preset.output != "new_document" and not any(finish(bare, text).strip() for text in raw):
            if preset.output == "ghost":
                self.editor.clear_ghost()
            self._say(f"{preset.name}: the model wrote nothing this time; try again.", 8000)
            return
        results = [finish(preset, text) for text in raw]
        placed = self._place(job, results)
        if preset.output in ("insert", "below", "replace", "new_document"):
            # The inserted text looks like typing to the suggestions: no ghost until the user types.
            self.suggestions_pause_requested.emit()
        if placed:
            note = " The text was shortened to fit the model's window." if job.trimmed else ""
            self._say(f"{placed}{note}", 8000)

    def _place(self, job: _Job, results: list[str]) -> str:
        """Put the results where the preset says; returns the status message ('' when there is none)."""
        output = job.preset.output
        name = job.preset.name
        if output == "ghost":
            self.editor.finish_ghost(ghost_alternatives(self.editor, results))
            if self.editor.ghost is None:
                return f"{name}: the text changed while it ran; the suggestion was dropped."
            return f"{name}: Tab accepts, Alt+] shows the next alternative."
        if output == "side_panel":
            self.panel.show_result(name, results[0].strip(), job.heading)
            return f"{name}: the result is in the side panel."
        if output == "new_document":
            return self._samples(job, results)
        text = results[0].strip() if output in ("below", "replace") else results[0]
        if output == "below":
            text = "\n" + text
        elif output == "insert" and job.target is not None:
            # No space doubling one the text already has there (the target follows edits).
            end = job.target.position()
            text = strip_doubled_space(exact_text_between(self.editor.document(), max(0, end - 2), end), text)
        self._edit(job, text)
        return f"{name} done."

    def _edit(self, job: _Job, text: str) -> None:
        """One undo step; the user's cursor follows only if they did not move on meanwhile."""
        target = job.target
        assert target is not None
        untouched = self.editor.document().revision() == job.revision
        with model_insertion(self.editor, "preset", settings=job.preset.sampling, preset=job.preset.name):
            insert_as_undo_step(target, model_text(text))
        if untouched:
            cursor = QTextCursor(target)
            cursor.clearSelection()
            self.editor.setTextCursor(cursor)

    def _replace_document(self, job: _Job) -> bool:
        """Start the new document for samples; False when the user keeps the current one.

        The user agreed when the preset started; if they changed the text since, they are asked again.
        """
        document = self.editor.document()
        changed_since = document.isModified() and document.revision() != job.revision
        if changed_since and not self._may_replace_document(job.preset):
            return False
        document.setModified(False)  # saved, or its changes given up: nothing more to ask
        self.new_document_requested.emit()
        return not document.isModified() and document.isEmpty()

    def _samples(self, job: _Job, results: list[str]) -> str:
        """The samples, each under a separator line, to a new document or to the chosen file."""
        parts = [f"{sample_separator(n)}\n{result.strip()}" for n, result in enumerate(results, start=1)]
        text = "\n\n".join(parts) + "\n"
        count = f"{len(results)} sample{'s' if len(results) != 1 else ''}"
        if job.path is not None:
            try:
                write_text_file(job.path, text)
            except DocumentError as exc:
                self.panel.show_result(job.preset.name, text, job.heading)
                return f"Could not save the samples ({exc}); they are in the side panel."
            preset = job.preset
            samples_file_written(self.editor, job.path, text, _sample_pieces(text, parts),
                                 settings=preset.sampling, preset=preset.name)  # fmt: skip
            return f"Saved {count} to {job.path}."
        if not self._replace_document(job):
            self.panel.show_result(job.preset.name, text, job.heading)
            return f"{job.preset.name}: kept the {count} in the side panel."
        document = self.editor.document()
        cursor = QTextCursor(document)
        preset = job.preset
        # The samples are the model's; their separator lines are not.
        with model_insertion(self.editor, "samples", settings=preset.sampling, preset=preset.name,
                             pieces=_sample_pieces(model_text(text), parts)):  # fmt: skip
            insert_as_undo_step(cursor, model_text(text))
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        self.editor.setTextCursor(cursor)
        return f"{job.preset.name}: {count} in a new document."

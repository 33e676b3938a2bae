"""Follows an editor's document and keeps which of its characters a model wrote (or were pasted).

Every change reaches ``contentsChange`` (position, removed, added, in UTF-16 units). Text is the user's
unless an insertion point said otherwise just before (``inserting``: the whole insertion belongs to a
record, or given pieces of it). Undo and redo restore exactly the spans that were there: the spans are
kept per undo-stack state (``availableUndoSteps``), saved when a new command is pushed or when an undo or
redo leaves a state, and put back when one arrives at a state. A new command is told apart from an undo or
redo by ``undoCommandAdded``, which Qt emits before the change; typed characters that Qt merges into the
last command move nothing. Per keystroke: O(log n + spans touched) (see core/provenance/spans.py).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPlainTextEdit

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.provenance.offsets import Offsets
from gpt2_studio.core.provenance.records import Record
from gpt2_studio.core.provenance.spans import Piece, Span, SpanTable, share
from gpt2_studio.core.provenance.store import Provenance

log = logging.getLogger(__name__)

_ALL = -1  # a piece end meaning "to the end of the insertion"


class ProvenanceTracker(QObject):
    """The spans of one editor's document, in Qt positions; get it with ProvenanceTracker.of(editor)."""

    changed = Signal(int, int)  # a range (Qt positions, now) whose ownership may have changed
    reset_done = Signal()  # every span was replaced (a document opened, restored or made new)

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self.setObjectName("provenance-tracker")
        self.editor = editor
        self.document_id = uuid.uuid4().hex  # copies carry it: a paste from here keeps its spans
        self.table = SpanTable()
        self.records: dict[str, Record] = {}
        # Set by the window: the loaded model (name, checkpoint, device, precision) and the sampling
        # settings suggestions use; the last model record made (reused for the next words of it).
        self.model: dict[str, str] | None = None
        self.settings_source: Callable[[], SamplingSettings] | None = None
        self.last_record: tuple[float, Record] | None = None
        self._pending: Sequence[Piece] | None = None
        self._deferred: tuple[Sequence[Piece], int | None] | None = None  # see inserting()
        self._pruned = True  # no undo state lies beyond the current one
        self._consumed = False
        self._manual: tuple[object, ...] | None = None  # the state before exact edits (Replace All)
        self._states: dict[int, tuple[object, ...]] = {}
        self._new_command = False
        self._restoring = False
        document = editor.document()
        self._index = document.availableUndoSteps()
        self._length = document.characterCount() - 1
        document.undoCommandAdded.connect(self._on_command_added)
        document.contentsChange.connect(self._on_change)
        document.contentsChanged.connect(self._on_changed)

    @classmethod
    def of(cls, editor: QPlainTextEdit) -> ProvenanceTracker | None:
        """The editor's tracker, or None when provenance is not installed on it."""
        return editor.findChild(ProvenanceTracker, "provenance-tracker")

    # -- what is owned --------------------------------------------------------------------------
    def add_record(self, record: Record) -> str:
        """Keep a record; returns its id."""
        record_id = record.record_id
        self.records.setdefault(record_id, record)
        return record_id

    def spans(self) -> list[Span]:
        """Every span, in Qt positions."""
        return self.table.spans()

    def record_at(self, position: int) -> tuple[Span, Record] | None:
        """The span and record holding the character at a Qt position, or None."""
        span = self.table.at(position)
        return (span, self.records[span.record]) if span is not None else None

    def share(self) -> dict[str, float | int]:
        """Model and pasted characters and percent of the document (UTF-16 units; O(records))."""
        kinds = {rid: record.kind for rid, record in self.records.items()}
        return share(self.table.lengths(), kinds, self._length)

    def provenance(self, text: str) -> Provenance:
        """The spans in characters of ``text`` (the document's exact text), with their records."""
        spans = Offsets(text).spans_to_chars(self.table.spans())
        used = {span.record for span in spans}
        return Provenance(spans, {rid: self.records[rid] for rid in used})

    def reset(self, provenance: Provenance | None = None, text: str = "") -> None:
        """Forget every span and undo state; start from ``provenance`` (character offsets of ``text``)."""
        document = self.editor.document()
        self.document_id = uuid.uuid4().hex
        self.last_record = None
        self._states.clear()
        self._pruned = True
        self._pending, self._deferred, self._manual = None, None, None
        self._new_command = self._restoring = False
        self._index = document.availableUndoSteps()
        self._length = document.characterCount() - 1
        spans: list[Span] = []
        if provenance is not None:
            self.records.update(provenance.records)
            spans = Offsets(text).spans_to_units(provenance.spans)
            spans = [s for s in spans if s.end <= self._length]
        self.table.reset(spans)
        self.reset_done.emit()

    # -- insertion points -----------------------------------------------------------------------
    @contextlib.contextmanager
    def inserting(
        self, record: Record | None, pieces: Sequence[Piece] | None = None, length: int | None = None
    ) -> Iterator[None]:
        """Within: the text inserted belongs to ``record`` (all of it), or to the given pieces.

        length: the insertion's length in Qt positions, when known; a change that arrives late (see
        below) with another length is not this insertion alone, and its text stays the user's.
        """
        if pieces is None:
            pieces = [(0, _ALL, self.add_record(record))] if record is not None else []
        previous, self._pending = self._pending, pieces
        self._consumed = False
        before = self._mark()
        try:
            yield
        finally:
            self._pending = previous
            if not self._consumed and self._mark() != before:
                # Inserted within an outer edit block (a key press the editor wraps in one): the change
                # arrives when that block ends, and is still this insertion's.
                self._deferred = (pieces, length)

    def _mark(self) -> tuple[int, int, int]:
        """What an edit changes even inside an edit block, whose change arrives only when it ends."""
        document = self.editor.document()
        return document.revision(), document.characterCount(), document.availableUndoSteps()

    @contextlib.contextmanager
    def exact_edits(self) -> Iterator[Callable[[int, int, int], None]]:
        """Within: several edits in one edit block (Replace All), told one by one through the function
        yielded (position, removed, added, in Qt positions at that moment); the block's single coarse
        change, which arrives within too, is not applied again."""
        self._manual = self.table.state()
        try:
            yield self.table.edit
        finally:
            self._manual = None

    # -- following the document ----------------------------------------------------------------
    def _on_command_added(self) -> None:
        state = self._manual if self._manual is not None else self.table.state()
        self._states[self._index] = state
        if not self._pruned:  # only after an undo can states lie beyond this one
            for index in [i for i in self._states if i > self._index]:
                del self._states[index]  # the redo states this new command replaced
            self._pruned = True
        self._new_command = True

    def _on_changed(self) -> None:
        """After every change of one edit: the length worked out must be the document's."""
        self._restoring = False
        length = self.editor.document().characterCount() - 1
        if self._length != length:
            # Qt counts the last paragraph separator in some changes (setPlainText): it is not text.
            log.debug("provenance: length %d, document %d; spans past it dropped", self._length, length)
            if self._length > length:
                self.table.edit(length, self._length - length, 0)
            self._length = length

    def _on_change(self, position: int, removed: int, added: int) -> None:
        document = self.editor.document()
        index = document.availableUndoSteps()
        new_command, self._new_command = self._new_command, False
        if self._restoring:
            return
        if self._manual is not None:  # told edit by edit (exact_edits)
            self._index = index
            self._length += added - removed
            self.changed.emit(position, position + added)
            return
        if not new_command and index == 0 and not document.availableRedoSteps():
            self._states.clear()  # the undo stack was emptied (setPlainText): a plain edit
        elif not new_command and index != self._index and index in self._states:
            # An undo or redo: the spans that were there in that state.
            self._states[self._index] = self.table.state()
            self.table.restore(self._states[index])
            self._pruned = False
            self._index, self._length = index, document.characterCount() - 1
            self._restoring = True
            self.changed.emit(position, position + max(added, removed))
            return
        excess = position + removed - self._length  # the last paragraph separator, counted by Qt
        if excess > 0:
            removed, added = removed - excess, max(0, added - excess)
        removed = max(0, removed)
        owned = self._pending
        if owned is None and self._deferred is not None:
            deferred, length = self._deferred
            # A drag-and-drop move reports its removal and insertion as one change: not marked.
            owned = deferred if length is None or length == added else None
        self._consumed, self._deferred = self._pending is not None, None
        pieces = [
            (start, added if end == _ALL else min(end, added), record)
            for start, end, record in (owned or ())
            if start < added
        ]
        self.table.edit(position, removed, added, pieces)
        self._index = index
        self._length += added - removed
        self.changed.emit(position, position + added)

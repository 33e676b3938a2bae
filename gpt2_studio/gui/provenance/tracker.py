"""Follows an editor's document and keeps which of its characters a model wrote (or were pasted).

Every change reaches ``contentsChange`` (position, removed, added, in UTF-16 units). Text is the user's
unless an insertion point said otherwise just before (``inserting``: the whole insertion belongs to a
record, or given pieces of it). Undo and redo restore exactly the spans that were there: every edit of
the spans is logged with the owned pieces it removed, grouped by the undo command it belongs to (Qt's
``availableUndoSteps`` after it); an undo applies the inverse edits of the commands it undoes, newest
first, and a redo applies them again. A new command is told apart from an undo or redo by
``undoCommandAdded``, which Qt emits before the change; characters Qt merges into the last command join
its group. Per keystroke, and per step undone: O(log n + spans touched) (see core/provenance/spans.py).
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

#: One edit of the spans: position, removed, added, the owned pieces inserted and those removed.
Op = tuple[int, int, int, list[Piece], list[Piece]]


class _Command:
    """The span edits made by one of Qt's undo commands (or a block of them): the undo index (Qt's
    ``availableUndoSteps``) before and after it, and the edits."""

    __slots__ = ("before", "index", "ops")

    def __init__(self, before: int, index: int) -> None:
        self.before, self.index = before, index
        self.ops: list[Op] = []


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
        self._consumed = False
        self._manual: list[Op] | None = None  # edits told one by one (Replace All), not yet in a command
        self._done: list[_Command] = []  # the commands that undo would take back, oldest first
        self._undone: list[_Command] = []  # the commands that redo would apply again, next last
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
        self._done, self._undone = [], []
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
        told: list[Op] = []

        def tell(position: int, removed: int, added: int) -> None:
            told.append((position, removed, added, [], self.table.edit(position, removed, added)))

        self._manual = told
        try:
            yield tell
        finally:
            self._manual = None

    # -- following the document ----------------------------------------------------------------
    def _on_command_added(self) -> None:
        self._new_command = True

    def _log(self, ops: list[Op], index: int, new_command: bool) -> None:
        """Keep edits with the undo command they belong to (a new one, or the last one they merged into)."""
        self._undone.clear()  # an edit that is not a redo ends what could be redone
        if new_command or not self._done or self._done[-1].index != index:
            self._done.append(_Command(self._index, index))
        self._done[-1].ops.extend(ops)

    def _undo_redo(self, index: int) -> bool:
        """Move the spans to the undo state ``index``; False when the log cannot get there."""
        done, undone = self._done, self._undone
        if index < self._index:
            taken = 0
            while taken < len(done) and done[-1 - taken].index > index:
                taken += 1
            if not taken or done[-taken].before != index:
                return False  # the log does not reach that state (it began later)
            while done and done[-1].index > index:
                command = done.pop()
                for position, removed, added, _inserted, gone in reversed(command.ops):
                    self.table.edit(position, added, removed, gone)
                undone.append(command)
            return True
        while undone and undone[-1].index <= index:
            command = undone.pop()
            for position, removed, added, inserted, _gone in command.ops:
                self.table.edit(position, removed, added, inserted)
            done.append(command)
        return bool(done) and done[-1].index == index

    def _on_changed(self) -> None:
        """After every change of one edit: the length worked out must be the document's."""
        self._restoring = False
        length = self.editor.document().characterCount() - 1
        if self._length != length:
            # Qt counts the last paragraph separator in some changes (setPlainText): it is not text.
            log.debug("provenance: length %d, document %d; spans past it dropped", self._length, length)
            if self._length > length:
                removed = self._length - length
                gone = self.table.edit(length, removed, 0)
                if self._done and self._done[-1].index == self._index:
                    self._done[-1].ops.append((length, removed, 0, [], gone))
            self._length = length

    def _on_change(self, position: int, removed: int, added: int) -> None:
        document = self.editor.document()
        index = document.availableUndoSteps()
        new_command, self._new_command = self._new_command, False
        if self._restoring:
            return
        if self._manual is not None:  # told edit by edit (exact_edits)
            self._log(self._manual, index, new_command)
            self._manual = []
            self._index = index
            self._length += added - removed
            self.changed.emit(position, position + added)
            return
        if not new_command and index == 0 and not document.availableRedoSteps():
            self._done, self._undone = [], []  # the undo stack was emptied (setPlainText): a plain edit
        elif not new_command and index != self._index:
            # An undo or redo: the spans that were there in that state.
            if self._undo_redo(index):
                self._index, self._length = index, document.characterCount() - 1
                self._restoring = True
                self.changed.emit(position, position + max(added, removed))
                return
            log.debug("provenance: no record of undo state %d; the change is the user's", index)
            self._done, self._undone = [], []
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
        gone = self.table.edit(position, removed, added, pieces)
        self._log([(position, removed, added, pieces, gone)], index, new_command)
        self._index = index
        self._length += added - removed
        self.changed.emit(position, position + added)

"""Spans of owned text and the edit algebra that keeps them on the right characters.

A span is a half-open range [start, end) of a document's text and the id of the record that owns it
(the model, or "pasted"). Spans never overlap and are kept sorted; two touching spans of the same record
are one span, so the list is canonical: equal ownership gives equal lists.

An edit at ``position`` that removes ``removed`` characters and inserts ``added`` (some of them owned, as
``inserted`` pieces) cuts the removed range out of the spans it touches (splitting a span typed into,
shrinking or removing the others), adds the inserted pieces, and moves every later span by
``added - removed``. Moving later spans is lazy: one pending shift covers the tail from the last edit
on, so typing in one place costs O(log n + spans touched); an edit elsewhere settles the spans between
the two places once.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Span(NamedTuple):
    """[start, end) of the text (characters, or UTF-16 units where Qt's positions are used) and its owner."""

    start: int
    end: int
    record: str  # a record id (see records.Record.record_id)


#: A piece of inserted text that has an owner: [start, end) relative to the insertion, and the record id.
Piece = tuple[int, int, str]


class SpanTable:
    """The spans of one document, edited in place; see the module docstring for the algebra."""

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._records: list[str] = []
        self._at = 0  # spans from this index on are stored `_delta` less than they are
        self._delta = 0
        self._lengths: dict[str, int] = {}
        self.reset(spans)

    # -- whole table ----------------------------------------------------------------------------
    def reset(self, spans: Iterable[Span]) -> None:
        """Replace every span (sorted, merged; empty and overlapping ones raise ValueError)."""
        self._starts, self._ends, self._records = [], [], []
        self._at, self._delta = 0, 0
        self._lengths = {}
        last_end = -1
        for start, end, record in sorted(spans):
            if start >= end or start < last_end or start < 0:
                raise ValueError(f"spans must be non-empty and must not overlap: {start}..{end}")
            last_end = end
            if self._records and self._records[-1] == record and self._ends[-1] == start:
                self._ends[-1] = end
            else:
                self._starts.append(start)
                self._ends.append(end)
                self._records.append(record)
            self._lengths[record] = self._lengths.get(record, 0) + end - start

    def spans(self) -> list[Span]:
        """Every span, in order (O(n))."""
        self._settle(len(self._starts))
        return [Span(*item) for item in zip(self._starts, self._ends, self._records, strict=True)]

    def __len__(self) -> int:
        return len(self._starts)

    def lengths(self) -> dict[str, int]:
        """Characters owned per record id (kept as spans change: O(1))."""
        return {record: length for record, length in self._lengths.items() if length}

    # -- queries --------------------------------------------------------------------------------
    def _start(self, index: int) -> int:
        return self._starts[index] + (self._delta if index >= self._at else 0)

    def _end(self, index: int) -> int:
        return self._ends[index] + (self._delta if index >= self._at else 0)

    def _first_end_after(self, position: int) -> int:
        """Index of the first span whose end is > position."""
        found = bisect_right(self._ends, position, 0, self._at)
        if found < self._at:
            return found
        return bisect_right(self._ends, position - self._delta, self._at, len(self._ends))

    def _first_start_from(self, position: int) -> int:
        """Index of the first span whose start is >= position."""
        found = bisect_left(self._starts, position, 0, self._at)
        if found < self._at:
            return found
        return bisect_left(self._starts, position - self._delta, self._at, len(self._starts))

    def overlapping(self, start: int, end: int) -> list[Span]:
        """The spans that share characters with [start, end), in order (O(log n + found))."""
        first, last = self._first_end_after(start), self._first_start_from(end)
        return [Span(self._start(i), self._end(i), self._records[i]) for i in range(first, last)]

    def at(self, position: int) -> Span | None:
        """The span holding the character at ``position``, or None."""
        found = self.overlapping(position, position + 1)
        return found[0] if found else None

    # -- the edit algebra -----------------------------------------------------------------------
    def _settle(self, index: int) -> None:
        """Move the pending shift's start to ``index`` (O(distance))."""
        starts, ends, delta = self._starts, self._ends, self._delta
        if index > self._at:
            for i in range(self._at, index):
                starts[i] += delta
                ends[i] += delta
        else:
            for i in range(index, self._at):
                starts[i] -= delta
                ends[i] -= delta
        self._at = index

    def edit(self, position: int, removed: int, added: int, inserted: Sequence[Piece] = ()) -> list[Piece]:
        """Apply an edit: ``removed`` characters at ``position`` become ``added`` ones.

        ``inserted`` pieces are the owned parts of the inserted text, relative to ``position``, each
        within [0, added); the rest of it is the user's. Returns the owned pieces of the removed text
        (relative to ``position``): ``edit(position, added, removed, those)`` undoes the edit exactly.
        Raises ValueError for a negative count.
        """
        if position < 0 or removed < 0 or added < 0:
            raise ValueError(f"an edit needs non-negative numbers, not {position}, {removed}, {added}")
        cut_end = position + removed
        first = self._first_end_after(position)
        last = max(first, self._first_start_from(cut_end)) if removed else first
        if not removed:  # only a span strictly around the position is split
            last = first + 1 if first < len(self._starts) and self._start(first) < position else first
        self._settle(last)
        pieces: list[Span] = []
        gone: list[Piece] = []
        lengths = self._lengths
        for i in range(first, last):
            start, end, record = self._starts[i], self._ends[i], self._records[i]
            lengths[record] -= end - start
            if max(start, position) < min(end, cut_end):
                gone.append((max(start, position) - position, min(end, cut_end) - position, record))
            if start < position:
                pieces.append(Span(start, position, record))
            if end > cut_end:
                pieces.append(Span(max(start, cut_end) + added - removed, end + added - removed, record))
        left = [piece for piece in pieces if piece.start < position]
        right = [piece for piece in pieces if piece.start >= position]
        new = [
            *left,
            *(Span(position + a, position + b, record) for a, b, record in inserted if a < b),
            *right,
        ]
        for piece in new:
            lengths[piece.record] = lengths.get(piece.record, 0) + piece.end - piece.start
        self._starts[first:last] = [piece.start for piece in new]
        self._ends[first:last] = [piece.end for piece in new]
        self._records[first:last] = [piece.record for piece in new]
        self._at = first + len(new)
        self._delta += added - removed
        # Touching pieces of one record join: at either side of what changed, and between the new ones.
        for i in range(first + len(new), max(first, 1) - 1, -1):
            self._join(i)
        return gone

    def _join(self, index: int) -> None:
        """Join span index-1 and span index when they touch and have one record."""
        if index <= 0 or index >= len(self._starts):
            return
        if self._records[index - 1] != self._records[index] or self._end(index - 1) != self._start(index):
            return
        end = self._end(index)
        self._ends[index - 1] = end - (self._delta if index - 1 >= self._at else 0)
        del self._starts[index], self._ends[index], self._records[index]
        if index < self._at:
            self._at -= 1


def share(lengths: dict[str, int], kinds: dict[str, str], total: int) -> dict[str, float | int]:
    """Characters and percent of ``total`` owned by each kind ("model", "pasted"), from lengths per record.

    Returns {"model_chars", "pasted_chars", "total_chars", "model_percent", "pasted_percent"}; percent
    is 0.0 for an empty text.
    """
    model = sum(length for record, length in lengths.items() if kinds.get(record) == "model")
    pasted = sum(length for record, length in lengths.items() if kinds.get(record) == "pasted")
    return {
        "model_chars": model,
        "pasted_chars": pasted,
        "total_chars": total,
        "model_percent": round(100.0 * model / total, 2) if total else 0.0,
        "pasted_percent": round(100.0 * pasted / total, 2) if total else 0.0,
    }

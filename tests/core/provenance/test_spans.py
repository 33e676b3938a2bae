"""The edit algebra: spans follow the text exactly, checked against a per-character ownership array."""

from __future__ import annotations

import random

import pytest

from gpt2_studio.core.provenance.spans import Span, SpanTable, share


def runs(owners: list[str | None]) -> list[Span]:
    """The canonical spans of a per-character ownership array."""
    spans: list[Span] = []
    for i, owner in enumerate(owners):
        if owner is None:
            continue
        if spans and spans[-1].record == owner and spans[-1].end == i:
            spans[-1] = Span(spans[-1].start, i + 1, owner)
        else:
            spans.append(Span(i, i + 1, owner))
    return spans


def test_typing_inside_a_span_splits_it() -> None:
    table = SpanTable([Span(5, 15, "m")])
    table.edit(10, 0, 3)
    assert table.spans() == [Span(5, 10, "m"), Span(13, 18, "m")]


def test_typing_at_either_edge_is_the_users() -> None:
    table = SpanTable([Span(5, 15, "m")])
    table.edit(15, 0, 2)  # just after: not the model's, nothing moves
    table.edit(5, 0, 1)  # just before: the span moves
    assert table.spans() == [Span(6, 16, "m")]


def test_deleting_shrinks_then_removes() -> None:
    table = SpanTable([Span(5, 15, "m"), Span(20, 22, "p")])
    table.edit(12, 5, 0)  # the tail of the first span and the user text after it
    assert table.spans() == [Span(5, 12, "m"), Span(15, 17, "p")]
    table.edit(4, 20, 0)
    assert table.spans() == []
    assert table.lengths() == {}


def test_replacing_model_text_with_the_users_drops_the_claim() -> None:
    table = SpanTable([Span(0, 10, "m")])
    table.edit(2, 3, 3)  # Find/Replace over "llo"
    assert table.spans() == [Span(0, 2, "m"), Span(5, 10, "m")]


def test_inserted_pieces_and_joins() -> None:
    table = SpanTable([Span(0, 4, "m")])
    table.edit(4, 0, 6, [(0, 6, "m")])  # the next word of the same suggestion joins the span
    assert table.spans() == [Span(0, 10, "m")]
    table.edit(3, 4, 0)  # deleting the middle: still one span
    assert table.spans() == [Span(0, 6, "m")]
    table.edit(6, 0, 5, [(1, 3, "x"), (3, 5, "m")])
    assert table.spans() == [Span(0, 6, "m"), Span(7, 9, "x"), Span(9, 11, "m")]
    assert table.lengths() == {"m": 8, "x": 2}


def test_queries_see_the_pending_shift() -> None:
    table = SpanTable([Span(0, 2, "a"), Span(10, 12, "b"), Span(20, 22, "c")])
    table.edit(5, 0, 100)
    assert table.at(110) == Span(110, 112, "b")
    assert table.at(109) is None
    assert table.overlapping(0, 200) == [Span(0, 2, "a"), Span(110, 112, "b"), Span(120, 122, "c")]


def test_share_counts_model_and_pasted_apart() -> None:
    lengths = {"m": 30, "p": 10}
    assert share(lengths, {"m": "model", "p": "pasted"}, 200) == {
        "model_chars": 30,
        "pasted_chars": 10,
        "total_chars": 200,
        "model_percent": 15.0,
        "pasted_percent": 5.0,
    }
    assert share({}, {}, 0)["model_percent"] == 0.0


def test_overlapping_spans_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        SpanTable([Span(0, 5, "a"), Span(4, 6, "b")])


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_match_a_per_character_array(seed: int) -> None:
    rng = random.Random(seed)
    owners: list[str | None] = [rng.choice([None, None, "a", "b"]) for _ in range(rng.randrange(0, 60))]
    table = SpanTable(runs(owners))
    for step in range(300):
        length = len(owners)
        position = rng.randrange(0, length + 1)
        # Mostly small edits near the last one (typing), sometimes a jump or a big cut.
        removed = rng.choice([0, 0, 0, 1, 1, 2, rng.randrange(0, 20)])
        removed = min(removed, length - position)
        added = rng.choice([0, 1, 1, 1, 3, rng.randrange(0, 15)])
        inserted: list[tuple[int, int, str]] = []
        new_owners: list[str | None] = [None] * added
        if added and rng.random() < 0.4:
            at = 0
            while at < added:
                end = rng.randrange(at + 1, added + 1)
                owner = rng.choice([None, "a", "b", "c"])
                if owner is not None:
                    inserted.append((at, end, owner))
                    new_owners[at:end] = [owner] * (end - at)
                at = end
        owners[position : position + removed] = new_owners
        table.edit(position, removed, added, inserted)
        if step % 7 == 0 or step == 299:
            expected = runs(owners)
            assert table.spans() == expected, (seed, step)
            counted: dict[str, int] = {}
            for owner in owners:
                if owner is not None:
                    counted[owner] = counted.get(owner, 0) + 1
            assert table.lengths() == counted
        probe = rng.randrange(0, len(owners) + 1)
        span = table.at(probe)
        owner = owners[probe] if probe < len(owners) else None
        assert (span.record if span else None) == owner, (seed, step, probe)


@pytest.mark.parametrize("seed", range(20))
def test_the_removed_pieces_undo_an_edit_exactly(seed: int) -> None:
    rng = random.Random(seed)
    owners: list[str | None] = [rng.choice([None, "a", "b"]) for _ in range(80)]
    table = SpanTable(runs(owners))
    history = []
    for _ in range(100):
        length = len(owners)
        position = rng.randrange(0, length + 1)
        removed = min(rng.randrange(0, 6), length - position)
        added = rng.randrange(0, 6)
        inserted = [(0, added, "c")] if added and rng.random() < 0.5 else []
        gone = table.edit(position, removed, added, inserted)
        history.append((position, removed, added, inserted, gone, list(owners)))
        owners[position : position + removed] = ["c" if inserted else None] * added
        assert table.spans() == runs(owners)
    for position, removed, added, inserted, gone, before in reversed(history):
        assert table.edit(position, added, removed, gone) == inserted  # and redo would put them back
        assert table.spans() == runs(before)

"""UTF-16 positions (Qt's) and characters (Python's) convert both ways, around astral characters."""

from __future__ import annotations

from gpt2_studio.core.provenance.offsets import Offsets
from gpt2_studio.core.provenance.spans import Span


def test_positions_after_an_emoji_differ_by_one_unit_each() -> None:
    text = "a🙂b🙂c"
    offsets = Offsets(text)
    units = [len(text[:i].encode("utf-16-le")) // 2 for i in range(len(text) + 1)]
    assert [offsets.to_units(i) for i in range(len(text) + 1)] == units
    assert [offsets.to_chars(u) for u in units] == list(range(len(text) + 1))
    assert offsets.spans_to_chars([Span(1, 3, "m")]) == [Span(1, 2, "m")]
    assert offsets.spans_to_units([Span(2, 5, "m")]) == [Span(3, 7, "m")]


def test_plain_text_is_the_identity() -> None:
    offsets = Offsets("plain é text")
    assert offsets.to_units(7) == 7
    assert offsets.to_chars(7) == 7

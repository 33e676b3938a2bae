"""Finding spans again in a text that was edited elsewhere (another editor, a sync) since they were kept.

The entry keeps each span's text and where it was. In the new text, each span's text is looked for
nearest to where it was expected (its old offset moved by what the spans before it moved), never before
the end of the span found before it. Found: the span moves there. Not found (its text changed): it is
dropped, and the caller says so. Cost: O(text) per dropped span at worst, O(distance moved) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpt2_studio.core.provenance.spans import Span


@dataclass(frozen=True)
class Reanchored:
    """The spans found in the new text, and those that were not (with their old text)."""

    spans: list[Span]
    dropped: list[tuple[Span, str]]


def reanchor(kept: list[tuple[Span, str]], text: str) -> Reanchored:
    """Place spans kept with their texts (old offsets, in order) in ``text``; see the module docstring."""
    found: list[Span] = []
    dropped: list[tuple[Span, str]] = []
    floor = 0  # a span is found only after the one before it
    moved = 0  # how far the last span found moved
    for span, piece in kept:
        if not piece:
            continue
        expected = max(floor, span.start + moved)
        after = text.find(piece, expected)
        before = text.rfind(piece, floor, expected + len(piece) - 1) if expected > floor else -1
        candidates = [at for at in (after, before) if at >= floor]
        if not candidates:
            dropped.append((span, piece))
            continue
        at = min(candidates, key=lambda position: abs(position - expected))
        found.append(Span(at, at + len(piece), span.record))
        moved = at - span.start
        floor = at + len(piece)
    return Reanchored(found, dropped)

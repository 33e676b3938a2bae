"""Qt's positions (UTF-16 code units) and Python's (characters): they differ only after a character
outside the Basic Multilingual Plane (an emoji counts two units in Qt, one character here).
"""

from __future__ import annotations

from bisect import bisect_right

from gpt2_studio.core.provenance.spans import Span


class Offsets:
    """Converts positions in one text between UTF-16 units and characters (O(log astral) each)."""

    def __init__(self, text: str) -> None:
        # Character indices of astral characters (each adds one UTF-16 unit after it).
        self._astral = [i for i, c in enumerate(text) if ord(c) > 0xFFFF] if not text.isascii() else []
        # Their UTF-16 positions.
        self._astral_units = [i + n for n, i in enumerate(self._astral)]

    def to_chars(self, units: int) -> int:
        """Character index of a UTF-16 position (a position inside a pair maps to its character's end)."""
        return units - bisect_right(self._astral_units, units - 1 - 1) if self._astral else units

    def to_units(self, chars: int) -> int:
        """UTF-16 position of a character index."""
        return chars + bisect_right(self._astral, chars - 1) if self._astral else chars

    def spans_to_chars(self, spans: list[Span]) -> list[Span]:
        """Spans in UTF-16 units as spans in characters."""
        if not self._astral:
            return list(spans)
        return [Span(self.to_chars(s), self.to_chars(e), r) for s, e, r in spans]

    def spans_to_units(self, spans: list[Span]) -> list[Span]:
        """Spans in characters as spans in UTF-16 units."""
        if not self._astral:
            return list(spans)
        return [Span(self.to_units(s), self.to_units(e), r) for s, e, r in spans]

"""Scored tokens placed on the document: spans in Qt's positions, kept in step with edits.

Qt counts positions in UTF-16 code units and Python in code points, so a token's offset in the scored
text is converted once, when the scores arrive. An edit drops the spans it touches and moves the ones
after it, so a tint is never painted on characters other than the token's own.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpt2_studio.core.generation.scoring import TokenScore

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # characters that take two UTF-16 units


def utf16_length(text: str) -> int:
    """How many UTF-16 code units (Qt's positions) text takes."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@dataclass
class TokenSpans:
    """Non-overlapping token spans in document order: starts[i]…ends[i] (Qt positions) holds tokens[i]."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    tokens: list[TokenScore] = field(default_factory=list)

    @classmethod
    def from_scores(cls, text: str, tokens: tuple[TokenScore, ...] | list[TokenScore]) -> TokenSpans:
        """Spans for tokens scored on text (offsets in code points), the text starting at position 0."""
        # A token inside a character an earlier token started has no characters, and no span.
        kept = [token for token in tokens if token.text]
        starts = [token.offset for token in kept]
        ends = [token.offset + len(token.text) for token in kept]
        astral = [] if text.isascii() else [match.start() for match in _ASTRAL.finditer(text)]
        if astral:  # each character before a position that takes two units moves it by one
            starts = [start + bisect_left(astral, start) for start in starts]
            ends = [end + bisect_left(astral, end) for end in ends]
        return cls(starts, ends, kept)

    def __len__(self) -> int:
        return len(self.tokens)

    def at(self, position: int) -> int | None:
        """The index of the span holding the character at position, or None."""
        index = bisect_right(self.starts, position) - 1
        if index >= 0 and position < self.ends[index]:
            return index
        return None

    def overlapping(self, start: int, end: int) -> range:
        """Indices of the spans that share a character with start…end."""
        return range(bisect_right(self.ends, start), bisect_left(self.starts, end))

    def edit(self, position: int, removed: int, added: int) -> None:
        """An edit replaced `removed` units at position with `added`: drop what it touched, move the rest."""
        keep = bisect_right(self.ends, position)  # spans that end at or before the edit
        after = bisect_left(self.starts, position + removed)
        if after < keep:
            after = keep
        shift = added - removed
        self.starts[keep:] = [start + shift for start in self.starts[after:]]
        self.ends[keep:] = [end + shift for end in self.ends[after:]]
        self.tokens[keep:] = self.tokens[after:]

    def first_difference(self, other: TokenSpans) -> int:
        """The first Qt position where other's spans differ from these (-1: none)."""
        for index, (a, b) in enumerate(zip(self.tokens, other.tokens, strict=False)):
            # The engine hands unchanged tokens back as the same objects: `is` settles most at once.
            if (a is not b and a != b) or (self.starts[index], self.ends[index]) != (
                other.starts[index],
                other.ends[index],
            ):
                return min(self.starts[index], other.starts[index])
        if len(self) == len(other):
            return -1
        shorter = min(len(self), len(other))
        longer = self if len(self) > len(other) else other
        return longer.starts[shorter]

    def end(self) -> int:
        """One past the last spanned position (0 when empty)."""
        return self.ends[-1] if self.ends else 0

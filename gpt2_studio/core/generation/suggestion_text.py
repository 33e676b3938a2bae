"""How a suggestion's text meets the writer's: no doubled space where the text before the cursor has one.

GPT-2 writes most words with their space in front (" Paris"). When the writer's text already ends with
a space or a tab, that space would be doubled, so the suggestion's leading spaces and tabs are dropped.
A line break the model writes is kept: it is the model's choice, not a doubled gap.
"""

from __future__ import annotations

# Characters that end a line (str.splitlines' set): never dropped, and never a "space before the cursor".
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def is_horizontal_space(character: str) -> bool:
    """True for a space, a tab, a no-break space or another Unicode space that does not end the line."""
    return character.isspace() and character not in LINE_BREAKS


def ends_with_space(text: str) -> bool:
    """True when text ends with horizontal whitespace (see is_horizontal_space)."""
    return bool(text) and is_horizontal_space(text[-1])


def strip_doubled_space(before: str, first_piece: str) -> str:
    """first_piece without its leading spaces and tabs when ``before`` ends with one; else unchanged.

    before: the writer's text before the cursor (its end is enough). first_piece: the start of a
    suggestion, whole or as streamed. While streaming, pass every piece that arrives before the
    suggestion has shown any character: a first piece of only " " becomes "", and the next, "Paris",
    is then still a first piece, so " " + " Paris" shows as "Paris", exactly as the whole text would.
    """
    if not ends_with_space(before):
        return first_piece
    start = 0
    while start < len(first_piece) and is_horizontal_space(first_piece[start]):
        start += 1
    return first_piece[start:]

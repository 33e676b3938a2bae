"""Fit a prompt into the model's window: keep the end of the text, cut on a token boundary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Token drops happen in whole chunks so that, as the user types at the end of a long text, the start of
# the window stays put and the cached prefix remains reusable; likewise the character cut moves on a grid.
DROP_CHUNK = 64
CHAR_GRID = 4096
CHARS_PER_TOKEN_GUESS = 8


@dataclass(frozen=True)
class FittedPrompt:
    """Token ids that fit, and whether the start of the text had to go."""

    ids: list[int]
    trimmed: bool


def fit_prompt(text: str, tokenize: Callable[[str], list[int]], budget: int) -> FittedPrompt:
    """Token ids of the end of `text`, at most `budget` of them.

    A huge document is not tokenized whole on every keystroke: only enough characters from its end
    (starting at a whitespace after a grid point) are, growing the slice if it proves too short.
    """
    if budget < 1:
        raise ValueError("budget must be at least one token")
    tail_chars = budget * CHARS_PER_TOKEN_GUESS
    while True:
        start = 0
        if len(text) > tail_chars:
            start = ((len(text) - tail_chars) // CHAR_GRID) * CHAR_GRID
            for offset, char in enumerate(text[start : start + 256]):
                if char.isspace():
                    start += offset
                    break
        ids = tokenize(text[start:])
        if start == 0 or len(ids) >= budget:
            break
        tail_chars *= 2
    trimmed = start > 0
    if len(ids) > budget:
        chunk = max(1, min(DROP_CHUNK, budget // 4))
        drop = -(-(len(ids) - budget) // chunk) * chunk
        ids = ids[drop:]
        trimmed = True
    return FittedPrompt(ids=ids, trimmed=trimmed)

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
    memory_tokens: int = 0
    note_tokens: int = 0


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


@dataclass(frozen=True)
class Prompt:
    """The text before the cursor with the writer's context for it (KoboldAI's and NovelAI's tools).

    memory: always at the top of the prompt (characters, setting, facts). authors_note: inserted as a
    line of its own before the authors_note_depth-th line counted back from the cursor (1: before the
    cursor's own line). Both count against the window; the text is fitted into what remains, its end kept.
    """

    text: str
    memory: str = ""
    authors_note: str = ""
    authors_note_depth: int = 3


def fit_context(prompt: str | Prompt, tokenize: Callable[[str], list[int]], budget: int) -> FittedPrompt:
    """Token ids of a plain text or a Prompt that fit in `budget` tokens (see fit_prompt)."""
    if isinstance(prompt, str):
        return fit_prompt(prompt, tokenize, budget)
    # TODO(issue 11): Memory and Author's note placement; until then only the text is used.
    return fit_prompt(prompt.text, tokenize, budget)

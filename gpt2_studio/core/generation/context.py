"""Fit a prompt into the model's window: keep the end of the text, cut on a token boundary.

A Prompt adds the writer's context (KoboldAI's and NovelAI's Memory and Author's note): the prompt is
Memory, then the text with the note inserted a few lines before the cursor. Memory and note are always
kept whole; the text gets what remains of the window, its end kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gpt2_studio.core.errors import SettingsError

# Token drops happen in whole chunks so that, as the user types at the end of a long text, the start of
# the window stays put and the cached prefix remains reusable; likewise the character cut moves on a grid.
DROP_CHUNK = 64
CHAR_GRID = 4096
CHARS_PER_TOKEN_GUESS = 8
DEFAULT_AUTHORS_NOTE_DEPTH = 3


@dataclass(frozen=True)
class FittedPrompt:
    """Token ids that fit, whether the start of the text had to go, and what Memory and note cost.

    ids: Memory's tokens, then the text's with the note's among them. memory_tokens and note_tokens
    count the Memory's and the Author's note's tokens (each with its line end); 0 when absent.
    end_tokens: how many of the last ids are the text's own end, after the Memory and the note (the
    only ids token healing may hand back); None: all of them (a plain text).
    """

    ids: list[int]
    trimmed: bool
    memory_tokens: int = 0
    note_tokens: int = 0
    end_tokens: int | None = None


def _drop_chunk(budget: int) -> int:
    return max(1, min(DROP_CHUNK, budget // 4))


def _fit_end(
    text: str, tokenize: Callable[[str], list[int]], budget: int, chunk: int
) -> tuple[list[int], bool]:
    """The ids of the end of text, at most budget of them, dropped from the start `chunk` at a time."""
    if budget < 1:
        return [], bool(text)
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
        drop = -(-(len(ids) - budget) // chunk) * chunk
        ids = ids[drop:]
        trimmed = True
    return ids, trimmed


def fit_prompt(text: str, tokenize: Callable[[str], list[int]], budget: int) -> FittedPrompt:
    """Token ids of the end of `text`, at most `budget` of them.

    A huge document is not tokenized whole on every keystroke: only enough characters from its end
    (starting at a whitespace after a grid point) are, growing the slice if it proves too short.
    Raises ValueError when budget is below 1.
    """
    if budget < 1:
        raise ValueError("budget must be at least one token")
    ids, trimmed = _fit_end(text, tokenize, budget, _drop_chunk(budget))
    return FittedPrompt(ids=ids, trimmed=trimmed)


def _check_depth(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(
            f"The Author's note depth must be a whole number of lines, at least 1, not {value!r}."
        )
    return value


@dataclass(frozen=True)
class Prompt:
    """The text before the cursor with the writer's context for it (KoboldAI's and NovelAI's tools).

    memory: always at the top of the prompt (characters, setting, facts), followed by a line end unless
    it ends with one. authors_note: inserted as a line of its own before the authors_note_depth-th line
    counted back from the cursor (1: before the cursor's own line; more than the text has: at the top of
    the text, under the Memory). Both count against the window and are kept whole; the text is fitted
    into what remains, its end kept. A Memory or note of only whitespace is left out.
    Raises SettingsError (one sentence) for a depth that is not a whole number ≥ 1 or a non-text part.
    """

    text: str
    memory: str = ""
    authors_note: str = ""
    authors_note_depth: int = DEFAULT_AUTHORS_NOTE_DEPTH

    def __post_init__(self) -> None:
        for name, label in (
            ("text", "The text"),
            ("memory", "The Memory"),
            ("authors_note", "The Author's note"),
        ):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise SettingsError(f"{label} must be text, not {type(value).__name__}.")
        object.__setattr__(self, "authors_note_depth", _check_depth(self.authors_note_depth))

    def parts(self) -> tuple[str, str, str, str]:
        """(Memory line(s), text above the note, note line, text below the note); joined, the prompt."""
        memory = _as_lines(self.memory)
        note = _as_lines(self.authors_note)
        if not note:
            return memory, "", "", self.text
        split = _note_position(self.text, self.authors_note_depth)
        return memory, self.text[:split], note, self.text[split:]

    def assembled(self) -> str:
        """The whole prompt as text (before fitting): Memory, text above the note, note, the rest."""
        return "".join(self.parts())


def _as_lines(part: str) -> str:
    """A Memory or note as whole lines: ends with a line end; nothing when it is only whitespace."""
    if not part.strip():
        return ""
    return part if part.endswith("\n") else part + "\n"


def _note_position(text: str, depth: int) -> int:
    """Where line `depth` counted back from the end of text starts (the last line is line 1); 0 if none."""
    end = len(text)
    for _ in range(depth):
        newline = text.rfind("\n", 0, end)
        if newline < 0:
            return 0
        end = newline
    return end + 1


def _too_long(memory_tokens: int, note_tokens: int, budget: int) -> SettingsError:
    if memory_tokens and note_tokens:
        what = f"The Memory and Author's note take {memory_tokens + note_tokens} tokens"
    elif memory_tokens:
        what = f"The Memory takes {memory_tokens} tokens"
    else:
        what = f"The Author's note takes {note_tokens} tokens"
    return SettingsError(
        f"{what}; the model's window leaves {budget} for the prompt beside the suggestion's max length, "
        "so no room is left for the text: shorten them (or lower the max length)."
    )


def fit_context(prompt: str | Prompt, tokenize: Callable[[str], list[int]], budget: int) -> FittedPrompt:
    """Token ids of a plain text or a Prompt that fit in `budget` tokens (see fit_prompt).

    Each part is tokenized on its own (they meet at line ends), so the Memory's and note's ids never
    change with the text. The text is cut from its start in chunks sized from what is left for it, so
    the prompt's start stays put while the user types and the engine's prefix cache keeps working.
    Raises SettingsError (one sentence with the sizes) when the Memory and note leave no room for text.
    """
    if isinstance(prompt, str):
        return fit_prompt(prompt, tokenize, budget)
    if budget < 1:
        raise ValueError("budget must be at least one token")
    memory, above, note, below = prompt.parts()
    memory_ids = tokenize(memory) if memory else []
    note_ids = tokenize(note) if note else []
    room = budget - len(memory_ids) - len(note_ids)
    if room < 1 and (memory_ids or note_ids):
        raise _too_long(len(memory_ids), len(note_ids), budget)
    chunk = _drop_chunk(room)
    below_ids, trimmed = _fit_end(below, tokenize, room, chunk)
    above_ids: list[int] = []
    if above and not trimmed:  # (when the lines under the note fill the window, all above them goes)
        above_ids, trimmed = _fit_end(above, tokenize, room - len(below_ids), chunk)
    return FittedPrompt(
        ids=memory_ids + above_ids + note_ids + below_ids,
        trimmed=trimmed,
        memory_tokens=len(memory_ids),
        note_tokens=len(note_ids),
        end_tokens=len(below_ids) if memory_ids or note_ids else None,
    )

"""Word and character counts and reading time, as a writing app's status bar shows them.

A word is a run of letters or digits, joined by an apostrophe, hyphen or underscore inside it, or a point
or comma between digits ("don't", "well-known", "l'été", "3.14" are one word each); punctuation and
symbols alone are not words. Scripts written without spaces (Chinese, Japanese kana) count one word per
character, as word processors count them. Characters are the text's Unicode characters less line breaks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Silent reading of English prose, in words per minute: the mean of 190 studies (Brysbaert 2019,
# "How many words do we read per minute?", Journal of Memory and Language 109).
READING_WORDS_PER_MINUTE = 238

_CHARACTER_WORDS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana and Han ideographs
_CHARACTER_WORD = re.compile(f"[{_CHARACTER_WORDS}]")
_WORD = re.compile(r"[^\W_]+(?:(?:['\u2019\u2010\u2011_-]|(?<=\d)[.,](?=\d))[^\W_]+)*")
_LINE_BREAKS = re.compile("\r\n|[\n\r\u2028\u2029\u0085\x0b\x0c]")


@dataclass(frozen=True)
class TextCounts:
    """Words and characters of a text (characters without line breaks)."""

    words: int
    characters: int

    @property
    def reading_minutes(self) -> int:
        """Minutes to read the words at READING_WORDS_PER_MINUTE, rounded up (0 for no words)."""
        return math.ceil(self.words / READING_WORDS_PER_MINUTE)


def count_words(text: str) -> int:
    """How many words ``text`` holds (see the module's docstring for what a word is)."""
    # Each kana or Han character is a word, and separates the words around it.
    characters = len(_CHARACTER_WORD.findall(text))
    if characters:
        text = _CHARACTER_WORD.sub(" ", text)
    return characters + len(_WORD.findall(text))


def count_text(text: str) -> TextCounts:
    """The words and characters of ``text``; line breaks (CRLF counts once) are not characters."""
    breaks = sum(len(match.group(0)) for match in _LINE_BREAKS.finditer(text))
    return TextCounts(count_words(text), len(text) - breaks)


class IncrementalCounter:
    """count_text for a text that changes a little at a time: each line is counted once, then cached.

    Words never span a line break, so the text's counts are the sum of its lines'. Lines are cached by
    their text; a count keeps only the lines the text has now, so memory stays in proportion to the
    text. After a one-character edit of a 1 MB document only one line is counted again (see
    benchmarks/bench_surface.py).
    """

    def __init__(self) -> None:
        self._lines: dict[str, tuple[int, int]] = {}

    def count(self, text: str) -> TextCounts:
        """The same TextCounts as ``count_text(text)``."""
        cached = self._lines
        fresh: dict[str, tuple[int, int]] = {}
        words = characters = 0
        for line in text.split("\n"):
            counts = fresh.get(line) or cached.get(line)
            if counts is None:
                line_counts = count_text(line)
                counts = (line_counts.words, line_counts.characters)
            fresh[line] = counts
            words += counts[0]
            characters += counts[1]
        self._lines = fresh
        return TextCounts(words, characters)


def reading_time(words: int) -> str:
    """ "under a minute", "1 min", "12 min", "1 h 05 min" to read ``words`` at the average pace."""
    minutes = math.ceil(words / READING_WORDS_PER_MINUTE)
    if words <= 0:
        return "no reading time"
    if words < READING_WORDS_PER_MINUTE // 2:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"

"""Natural endings: where a continuation ends when a writer asks for a word, sentence, line or paragraph.

The engine checks each alternative after every token and stops it as soon as its end is in the text,
so a one-word suggestion costs one or two tokens instead of the whole max length. Every end is found
before any non-space text is ignored: at the end of a line, "the rest of the line" is the next line.
Each cut falls at whitespace, just before it, or (for a word) where the word's letters end; the engine
holds back trailing whitespace (and a word's trailing apostrophe or hyphen) while an alternative runs,
so it never shows text that a later cut takes away.
"""

from __future__ import annotations

import re

from gpt2_studio.core.generation.sampling_fields import STOP_AT_TOKENS

# A sentence ends after . ! ? or … (and closing quotes or brackets), followed by whitespace.
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)|\n")
_PARAGRAPH_END = re.compile(r"\r?\n[ \t]*\r?\n")
_LINE_END = re.compile(r"\r?\n|\r")
_WHITESPACE = re.compile(r"\s")
# A word: letters and digits, joined by apostrophes or hyphens ("don't", "well-known"), or a number
# with a decimal point or thousands separator ("3.14", "1,000").
_WORD = re.compile(r"\w+(?:(?:['\u2019\-]|(?<=\d)[.,](?=\d))\w+)*")
_JOINERS = "'\u2019-"
# Words after which a full stop does not end the sentence; single capitals (initials) are also skipped.
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "e.g", "i.e", "cf"})
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")


def _is_abbreviation(text: str, end: int) -> bool:
    """Whether the full stop ending text[:end] closes an abbreviation or an initial, not a sentence."""
    match = _WORD_BEFORE.search(text[:end])
    if match is None:
        return False
    word = match.group(1)
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _word_end(text: str, content: int) -> int | None:
    """The end of the first word after content: punctuation before it is kept, after it is not."""
    word = _WORD.search(text, content)
    if word is None or _WHITESPACE.search(text, content, word.start()):
        # No word yet: a run of punctuation ends at whitespace (a lone "," is a word's worth).
        space = _WHITESPACE.search(text, content)
        return space.start() if space else None
    end = word.end()
    if end == len(text) or (end == len(text) - 1 and _may_join(text)):
        return None  # the word may go on in the next token ("don" "'" "t", "3" "." "14")
    return end


def _may_join(text: str) -> bool:
    """Whether text ends with a character that may join its word to the next token's."""
    last = text[-1:]
    return bool(last) and (last in _JOINERS or (last in ".," and text[-2:-1].isdigit()))


def find_end(text: str, stop_at: str) -> int | None:
    """Where the continuation `text` ends for stop_at ("word", "sentence", "line", "paragraph"), or None.

    Returns the index to cut at (the continuation is text[:index]); None while no end is in the text
    yet, and always for "tokens".
    """
    if stop_at == STOP_AT_TOKENS:
        return None
    content = len(text) - len(text.lstrip())
    if content == len(text):
        return None
    if stop_at == "word":
        return _word_end(text, content)
    if stop_at == "line":
        match = _LINE_END.search(text, content)
        return match.start() if match else None
    if stop_at == "paragraph":
        match = _PARAGRAPH_END.search(text, content)
        return match.start() if match else None
    if stop_at == "sentence":
        for match in _SENTENCE_END.finditer(text, content):
            if match.group() == "\n":
                return match.start() - (1 if text[: match.start()].endswith("\r") else 0)
            if match.group().startswith(".") and _is_abbreviation(text, match.start() + 1):
                continue
            return match.end()
        return None
    raise ValueError(f"unknown stop_at {stop_at!r}")


def held_back(text: str, stop_at: str) -> int:
    """How many trailing characters to keep unshown: whitespace a later end might cut off."""
    if stop_at == STOP_AT_TOKENS:
        return 0
    kept = text.rstrip()
    if stop_at == "word" and _may_join(kept):
        kept = kept[:-1]
    return len(text) - len(kept)

"""Natural endings: where a continuation ends when a writer asks for a word, sentence, line or paragraph.

The engine checks each alternative after every token and stops it as soon as its end is in the text,
so a one-word suggestion costs one or two tokens instead of the whole max length. Every end is found
before any non-space text is ignored: at the end of a line, "the rest of the line" is the next line.
Each cut falls at whitespace, just before it, or (for a word) where the word's letters end; the engine
holds back trailing whitespace (and a word's trailing apostrophe or hyphen) while an alternative runs,
so it never shows text that a later cut takes away.
"""

from __future__ import annotations

import regex

from gpt2_studio.core.generation.sampling_fields import STOP_AT_TOKENS
from gpt2_studio.core.generation.suggestion_text import LINE_BREAKS

# `regex`, not `re`: its \w takes in combining marks and joiners, so "café" written with a combining
# accent, Hindi's vowel signs and Arabic's vowel marks stay inside their word.
_BREAKS = "".join(sorted(LINE_BREAKS - {"\r"}))
# One line end: "\r\n" is one (atomic: never "\r" then "\n", which would make a blank line of it).
_LINE_END = regex.compile(rf"(?>\r\n|\r|[{_BREAKS}])")
_PARAGRAPH_END = regex.compile(rf"\u2029|{_LINE_END.pattern}[^\S\r{_BREAKS}]*{_LINE_END.pattern}")
_CLOSERS = "\"'\u201d\u2019\u00bb\u203a)\\]\u300d\u300f\u3011\u3009\u300b\uff09\uff3d"
# A sentence ends after . ! ? or … (and closing quotes or brackets) followed by whitespace; after a
# full-width 。！？ (Chinese, Japanese: no space follows) once the next character is not a closer;
# or at a line end.
_SENTENCE_END = regex.compile(
    rf"[.!?\u2026]+[{_CLOSERS}]*(?=\s)|[\u3002\uff01\uff1f\uff61]+[{_CLOSERS}]*(?=[^{_CLOSERS}])"
    rf"|{_LINE_END.pattern}"
)
_WHITESPACE = regex.compile(r"\s")
# A word: letters and digits (with their marks), joined by apostrophes or hyphens ("don't",
# "well-known"), or a number with a decimal point or thousands separator ("3.14", "1,000"), or an
# initialism's letters and dots ("U.S.", "e.g.").
# (A letter, a dot, then letters and dots: a word that only grows as tokens come, so a cut never falls
# inside text already shown.)
_INITIALISM = r"\p{L}\p{M}*\.(?:\w+\.?)++"
_WORD = regex.compile(rf"{_INITIALISM}|\w+(?:(?:['\u2019\-]|(?<=\d)[.,](?=\d))\w+)*")
# A single letter and a full stop at the end: an initialism may go on ("U." "S.").
_INITIAL_AT_END = regex.compile(r"(?<!\w)(?:\p{L}\p{M}*\.)+$")
_JOINERS = "'\u2019-"
# Words after which a full stop does not end the sentence; single capitals (initials) and dotted
# initialisms ("U.S.", "a.m.") are also skipped.
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "e.g", "i.e", "cf"})
_WORD_BEFORE = regex.compile(r"([\w.]+)\.$")


def _is_abbreviation(text: str, end: int) -> bool:
    """Whether the full stop ending text[:end] closes an abbreviation or an initial, not a sentence."""
    match = _WORD_BEFORE.search(text[:end])
    if match is None:
        return False
    word = match.group(1)
    if "." in word and all(len(part) == 1 and part.isalpha() for part in word.split(".")):
        return True  # "U.S", "e.g", "p.m"
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _word_end(text: str, content: int) -> int | None:
    """The end of the first word after content: punctuation before it is kept, after it is not."""
    word = _WORD.search(text, content)
    if word is None or _WHITESPACE.search(text, content, word.start()):
        # No word yet: a run of punctuation ends at whitespace (a lone "," is a word's worth).
        space = _WHITESPACE.search(text, content)
        return int(space.start()) if space else None
    end = int(word.end())
    if end == len(text) or (end == len(text) - 1 and _may_join(text)):
        return None  # the word may go on in the next token ("don" "'" "t", "3" "." "14")
    return end


def _may_join(text: str) -> bool:
    """Whether text ends with a character that may join its word to the next token's."""
    last = text[-1:]
    if last == ".":
        return text[-2:-1].isdigit() or _INITIAL_AT_END.search(text) is not None
    return bool(last) and (last in _JOINERS or (last == "," and text[-2:-1].isdigit()))


def find_end(text: str, stop_at: str, before: str = "") -> int | None:
    """Where the continuation `text` ends for stop_at ("word", "sentence", "line", "paragraph"), or None.

    before: the end of the text the continuation follows (the writer's), so that a full stop right
    after "Mr" or an initial the writer typed is not taken for a sentence's end.

    Returns the index to cut at (the continuation is text[:index]); None while no end is in the text
    yet, and always for "tokens". A word's letters keep their combining marks; a sentence ends after
    . ! ? … followed by whitespace (not after "Mr." or an initialism such as "U.S."), after 。！？, or
    at a line end; a line ends at any line break (\n, \r\n, \r, U+2028, U+2029, …); a paragraph at
    a blank line (or U+2029). Raises ValueError for an unknown stop_at.
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
        return int(match.start()) if match else None
    if stop_at == "paragraph":
        match = _PARAGRAPH_END.search(text, content)
        return int(match.start()) if match else None
    if stop_at == "sentence":
        for match in _SENTENCE_END.finditer(text, content):
            if _LINE_END.fullmatch(match.group()):
                return int(match.start())
            if match.group().startswith(".") and _is_abbreviation(
                before + text, len(before) + match.start() + 1
            ):
                continue
            return int(match.end())
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

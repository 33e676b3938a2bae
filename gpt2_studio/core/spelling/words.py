"""The words of a text that a spell checker should look at, with their character offsets.

Words are runs of Unicode letters (accents and combining marks included) joined by an apostrophe
(don't, l'homme, aujourd’hui) or a hyphen (well-known). A hyphenated word is checked part by part, so
"well-knwn" marks "knwn" only. Skipped: anything with a digit or an underscore (3rd, var_name), words
in ALL CAPITALS (acronyms: NASA, HTML), single letters, and every word inside a URL, an e-mail address
or a file path. Offsets are Python string indices (code points), as the document text gives them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

# A token: word characters, joined by single apostrophes or hyphens. \w is Unicode-aware in regex.
_TOKEN = regex.compile(r"\w+(?:['’\-]\w+)*", regex.UNICODE)
# Text spans whose words are not prose: URLs, e-mail addresses, paths.
_NOT_PROSE = regex.compile(
    r"(?:\b[a-z][a-z0-9+.\-]*://|\bwww\.)\S+"  # scheme://… or www.…
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"  # e-mail address
    r"|(?:~|\.{1,2})?/(?:[\w.\-]+/)+[\w.\-]*",  # /a/b, ./a/b, ~/a/b
    regex.IGNORECASE,
)
_DIGIT_OR_UNDERSCORE = regex.compile(r"[\d_]")
APOSTROPHES = "'’"


@dataclass(frozen=True)
class WordSpan:
    """One word to check: text[start:end] == word."""

    start: int
    end: int
    word: str


def normal_form(word: str) -> str:
    """The form looked up in a dictionary: lower case, typographic apostrophe as ASCII."""
    return word.replace("’", "'").lower()


def is_acronym(word: str) -> bool:
    """Whether word is written in capitals only (NASA, TV, CD-ROM): not checked."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def words_to_check(text: str, start: int = 0, end: int | None = None) -> Iterator[WordSpan]:
    """The words of text[start:end] to check, in order (see the module docstring for what is skipped).

    start/end let a caller check one block or paragraph of a long document; offsets are in text.
    """
    end = len(text) if end is None else end
    skipped = [(m.start(), m.end()) for m in _NOT_PROSE.finditer(text, start, end)]
    for match in _TOKEN.finditer(text, start, end):
        token = match.group()
        if _DIGIT_OR_UNDERSCORE.search(token) or is_acronym(token):
            continue
        if any(a < match.end() and match.start() < b for a, b in skipped):
            continue
        offset = match.start()
        for part in regex.split(r"(-)", token):
            if part != "-" and len(part) > 1:
                yield WordSpan(offset, offset + len(part), part)
            offset += len(part)

"""pyspellchecker's dictionaries per language, the user's personal dictionary and the session's ignore list.

Loading a language reads pyspellchecker's compressed word-frequency list: 0.06–0.3 s (German, the
largest, 339,000 words) on a busy 2-core machine, so the GUI loads it off its thread (`Speller.load`).
Each language is loaded once per process and shared (`dictionary`); lookups are dictionary reads, safe
from any thread. Candidates at edit distance 2 of a long word can take most of a second (pyspellchecker
builds every string two edits away): the GUI asks for them off its thread too.

The personal dictionary is one plain UTF-8 text file per language, a word a line, in the per-user data
folder (`paths.data_dir() / "spelling" / "personal-<language>.txt"`), written atomically.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gpt2_studio import paths
from gpt2_studio.core.documents.savefile import atomic_write_bytes
from gpt2_studio.core.settings import SPELLING_LANGUAGES
from gpt2_studio.core.spelling.words import APOSTROPHES, WordSpan, normal_form, words_to_check

if TYPE_CHECKING:
    from spellchecker import SpellChecker

log = logging.getLogger(__name__)

#: Elided articles and pronouns before an apostrophe (French l'homme, d'eau, qu'il; Italian-style
#: dell'): the word after them is checked on its own.
_ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu"})
#: Endings after an apostrophe that make a word's possessive or contraction (English John's, dogs').
_CLITICS = frozenset({"s", "", "d", "ll", "re", "ve", "m", "t"})
#: Longer words get only the corrections one edit away (two edits away: 2-12 s for 11-34 letters).
MAX_EDIT2_LETTERS = 15
#: The personal dictionary's largest file read, in bytes: far more words than anyone adds by hand.
MAX_PERSONAL_BYTES = 4_000_000

_loaded: dict[str, SpellChecker] = {}
_load_lock = threading.Lock()


def dictionary(language: str) -> SpellChecker:
    """pyspellchecker's checker for language (one of SPELLING_LANGUAGES), loaded once per process.

    Raises ValueError for a language that has no dictionary. Thread-safe; the first call per language
    takes 0.06–0.3 s.
    """
    if language not in SPELLING_LANGUAGES:
        raise ValueError(
            f"There is no spelling dictionary for {language!r}; choose one of {SPELLING_LANGUAGES}."
        )
    with _load_lock:
        checker = _loaded.get(language)
        if checker is None:
            from spellchecker import SpellChecker

            checker = SpellChecker(language=language, distance=2)
            _loaded[language] = checker
        return checker


def personal_path(language: str) -> Path:
    """The personal dictionary file of language (it may not exist yet)."""
    return paths.data_dir() / "spelling" / f"personal-{language}.txt"


def read_personal(language: str) -> frozenset[str]:
    """The words of language's personal dictionary; an unreadable file counts as empty (logged)."""
    path = personal_path(language)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PERSONAL_BYTES + 1)
    except FileNotFoundError:
        return frozenset()
    except OSError as exc:
        log.warning("Could not read the personal dictionary %s: %s", path, exc)
        return frozenset()
    if len(data) > MAX_PERSONAL_BYTES:
        log.warning(
            "The personal dictionary %s is over %d bytes; its end is ignored", path, MAX_PERSONAL_BYTES
        )
    text = data[:MAX_PERSONAL_BYTES].decode("utf-8", errors="replace")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


class Speller:
    """Checks words in one language: the dictionary, the personal dictionary, the session's ignore list.

    The words added or ignored are kept as they were written; a word matches them with the case the
    dictionary would ignore too (an added "Zorblax" also passes "zorblax"). Words are checked from any
    thread; add_word and ignore are for one thread (the GUI's) and swap in new sets, never mutate.
    """

    def __init__(self, language: str, ignored: Iterable[str] = ()) -> None:
        if language not in SPELLING_LANGUAGES:
            raise ValueError(
                f"There is no spelling dictionary for {language!r}; choose one of {SPELLING_LANGUAGES}."
            )
        self.language = language
        self._checker: SpellChecker | None = None
        self._personal = frozenset(normal_form(w) for w in read_personal(language))
        self._ignored = frozenset(normal_form(w) for w in ignored)

    def load(self) -> SpellChecker:
        """The language's dictionary, loaded now if it was not (call it off the GUI thread first)."""
        if self._checker is None:
            self._checker = dictionary(self.language)
        return self._checker

    @property
    def ignored(self) -> frozenset[str]:
        """The words ignored for this session (normal form)."""
        return self._ignored

    def is_correct(self, word: str) -> bool:
        """Whether word is spelt correctly: in the dictionary, the personal dictionary or ignored.

        A word with an apostrophe also passes when its parts do: an elided article before it (l'homme,
        qu'il) or a clitic after it (John's, they'll).
        """
        form = normal_form(word)
        if self._known(form):
            return True
        if not any(a in word for a in APOSTROPHES):
            return False
        parts = form.split("'")
        if len(parts) == 2:
            head, tail = parts
            if head in _ELISIONS and self._known(tail):
                return True
            if tail in _CLITICS and self._known(head):
                return True
        return False

    def _known(self, form: str) -> bool:
        if form in self._personal or form in self._ignored:
            return True
        return form in self.load().word_frequency.dictionary

    def misspelt(self, text: str, start: int = 0, end: int | None = None) -> list[WordSpan]:
        """The misspelt words of text[start:end], in order, with offsets in text."""
        return [span for span in words_to_check(text, start, end) if not self.is_correct(span.word)]

    def candidates(self, word: str, count: int = 8) -> list[str]:
        """The dictionary's corrections for word, the library's order: likeliest first by word frequency.

        Up to count, written in word's case (Teh → The). pyspellchecker's rule: the known words one edit
        away, else those two edits away. Two edits away means building every such string: 2–12 s for a
        word of 11–34 letters with none one edit away (a name, a German compound), so not on the GUI
        thread (see quick_candidates); words longer than MAX_EDIT2_LETTERS stop at one edit.
        """
        quick = self.quick_candidates(word, count)
        if quick is not None:
            return quick
        checker = self.load()
        return self._ordered(word, checker.known(checker.edit_distance_2(normal_form(word))), count)

    def quick_candidates(self, word: str, count: int = 8) -> list[str] | None:
        """candidates(word) when they are quick to find (one edit away, or a word too long for two);
        None when the answer needs the slow search two edits away. Milliseconds at most."""
        checker = self.load()
        form = normal_form(word)
        found = checker.known(checker.edit_distance_1(form))
        if found or len(form) > MAX_EDIT2_LETTERS:
            return self._ordered(word, found, count)
        return None

    def _ordered(self, word: str, found: set[str], count: int) -> list[str]:
        form = normal_form(word)
        frequency = self.load().word_usage_frequency
        ordered = sorted((w for w in found if w != form), key=lambda w: (-frequency(w), w))[:count]
        return [match_case(word, w) for w in ordered]

    def add_word(self, word: str) -> None:
        """Add word to the personal dictionary file (atomically). Raises OSError when it cannot be written."""
        words = set(read_personal(self.language))
        words.add(word.replace("’", "'"))
        path = personal_path(self.language)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, "".join(f"{w}\n" for w in sorted(words)).encode("utf-8"))
        self._personal = frozenset(normal_form(w) for w in words)

    def ignore(self, word: str) -> None:
        """Pass word for the rest of this session (not written anywhere)."""
        self._ignored = self._ignored | {normal_form(word)}


def match_case(original: str, suggestion: str) -> str:
    """suggestion in original's case: capitalised when original is (Teh → The), else as given."""
    if original[:1].isupper() and not suggestion[:1].isupper():
        return suggestion[:1].upper() + suggestion[1:]
    return suggestion

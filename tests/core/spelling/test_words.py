"""Which words are checked, and where they are: apostrophes, accents, hyphens and what is skipped."""

from __future__ import annotations

from gpt2_studio.core.spelling.words import normal_form, words_to_check


def _words(text: str) -> list[str]:
    spans = list(words_to_check(text))
    for span in spans:
        assert text[span.start : span.end] == span.word
    return [span.word for span in spans]


def test_apostrophes_keep_words_whole() -> None:
    assert _words("I don't think l'homme aujourd’hui can't") == [
        "don't",
        "think",
        "l'homme",
        "aujourd’hui",
        "can't",
    ]


def test_accented_and_other_scripts() -> None:
    assert _words("Café naïve Straße año Ελληνικά") == ["Café", "naïve", "Straße", "año", "Ελληνικά"]


def test_hyphenated_words_are_checked_part_by_part() -> None:
    text = "a well-knwn state-of-the-art"
    spans = list(words_to_check(text))
    assert [s.word for s in spans] == ["well", "knwn", "state", "of", "the", "art"]
    assert text[spans[1].start : spans[1].end] == "knwn"


def test_numbers_acronyms_urls_emails_and_paths_are_skipped() -> None:
    text = (
        "Teh 3rd NASA var_name https://exampel.com/pathh www.wrld.org mail jhon@exampel.com "
        "~/docs/fiel.txt end"
    )
    assert _words(text) == ["Teh", "mail", "end"]


def test_offsets_inside_a_range() -> None:
    text = "first line\nsecnd line"
    spans = list(words_to_check(text, 11, len(text)))
    assert [(s.start, s.word) for s in spans] == [(11, "secnd"), (17, "line")]


def test_normal_form() -> None:
    assert normal_form("Don’t") == "don't"


def test_astral_characters_keep_offsets() -> None:
    text = "🙂 teh 🚀 wrd"
    assert [(s.start, s.word) for s in words_to_check(text)] == [(2, "teh"), (8, "wrd")]

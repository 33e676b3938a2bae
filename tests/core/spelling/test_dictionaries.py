"""The checker over pyspellchecker's real dictionaries, the personal dictionary file and Ignore."""

from __future__ import annotations

import pytest

from gpt2_studio.core.spelling.dictionaries import Speller, dictionary, personal_path


def test_english_misspellings_found_with_offsets() -> None:
    speller = Speller("en")
    text = "I went to teh store, don't you know? Recieve the NASA report at 3pm."
    found = speller.misspelt(text)
    assert [(s.word, text[s.start : s.end]) for s in found] == [("teh", "teh"), ("Recieve", "Recieve")]


def test_candidates_in_the_library_order_and_the_words_case() -> None:
    speller = Speller("en")
    assert speller.candidates("teh")[0] == "the"
    assert speller.candidates("Teh")[0] == "The"
    assert "receive" in speller.candidates("recieve")


@pytest.mark.parametrize(
    ("language", "right", "wrong", "fix"),
    [
        ("fr", "L'homme a mangé une pomme à la maison", "mainson", "maison"),
        ("de", "Die Straße führt zum großen Haus", "Strase", "straße"),
        ("es", "El niño y la manzana en la montaña, la casa es grande", "manzena", "manzana"),
    ],
)
def test_french_german_spanish(language: str, right: str, wrong: str, fix: str) -> None:
    speller = Speller(language)
    assert speller.misspelt(right) == []
    assert [s.word for s in speller.misspelt(f"{right} {wrong}")] == [wrong]
    assert fix in [c.lower() for c in speller.candidates(wrong)]


def test_english_clitics_and_french_elisions() -> None:
    assert Speller("en").misspelt("John's dog and the dogs' bowls, they'll see") == []
    assert Speller("fr").misspelt("qu'il vienne, d'eau, j'aime, l'été") == []
    assert [s.word for s in Speller("fr").misspelt("l'hommme")] == ["l'hommme"]


def test_add_word_persists_to_the_file(isolated_home) -> None:
    speller = Speller("en")
    assert [s.word for s in speller.misspelt("Zorblax waved")] == ["Zorblax"]
    speller.add_word("Zorblax")
    assert speller.misspelt("Zorblax waved") == []
    path = personal_path("en")
    assert path.read_text(encoding="utf-8") == "Zorblax\n"
    assert path.is_relative_to(isolated_home)
    assert Speller("en").misspelt("zorblax waved") == []  # a new session reads the file
    assert Speller("fr").misspelt("Zorblax") != []  # per language
    speller.add_word("Aardvarkk")
    assert path.read_text(encoding="utf-8") == "Aardvarkk\nZorblax\n"


def test_ignore_is_for_the_session_only() -> None:
    speller = Speller("en")
    speller.ignore("Qwertyx")
    assert speller.misspelt("qwertyx") == []
    assert Speller("en").misspelt("qwertyx") != []
    assert not personal_path("en").exists()


def test_an_unreadable_personal_dictionary_counts_as_empty(isolated_home) -> None:
    path = personal_path("en")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe bad \x00\nGoodword\n")
    assert Speller("en").misspelt("goodword") == []


def test_unknown_language_is_one_sentence() -> None:
    with pytest.raises(ValueError, match="no spelling dictionary for 'xx'"):
        dictionary("xx")
    with pytest.raises(ValueError, match="choose one of"):
        Speller("xx")

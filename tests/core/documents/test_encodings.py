"""The legacy-encoding guess puts the code page the text was written in first."""

from __future__ import annotations

import pytest

from gpt2_studio.core.documents.encodings import guess_encodings


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Le café était très bon, déjà vu à Noël.", "cp1252"),
        ("Привет, как дела? Это тестовый текст на русском языке.", "cp1251"),
        ("Zażółć gęślą jaźń, to jest polski tekst.", "cp1250"),
        ("Καλημέρα, τι κάνεις; Αυτό είναι ένα ελληνικό κείμενο.", "cp1253"),
    ],
)
def test_the_writers_code_page_is_guessed_first(text, encoding):
    data = text.encode(encoding)
    guesses = guess_encodings(data)
    assert guesses[0] == encoding
    assert data.decode(guesses[0]) == text


def test_a_short_ambiguous_latin_text_prefers_western_european():
    assert guess_encodings(b"caf\xe9 \xff")[0] == "cp1252"


def test_every_guess_decodes_the_bytes_and_utf8_is_never_offered():
    data = "naïve façade — ½".encode("cp1252")
    guesses = guess_encodings(data)
    assert "utf-8" not in guesses
    for encoding in guesses:
        data.decode(encoding)

"""Word and character counts and reading time: what writers expect a word to be."""

from __future__ import annotations

import pytest

from gpt2_studio.core.documents.text_stats import (
    READING_WORDS_PER_MINUTE,
    TextCounts,
    count_text,
    count_words,
    reading_time,
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("one", 1),
        ("Hello, world.", 2),
        ("don't stop", 2),
        ("don\u2019t stop", 2),  # a typographic apostrophe
        ("a well-known fact", 3),
        ("l'été dernier", 2),
        ("Straße über Ärger", 3),
        ("snake_case name", 2),
        ("pi is 3.14, about 1,000,000 times", 6),
        ("end. Next", 2),
        ("— … !! ?? --", 0),  # punctuation alone is not a word
        ("x - y", 2),  # a spaced hyphen is not a joiner
        ("日本語", 3),  # Han characters count one each
        ("テキスト", 4),
        ("Привет мир", 2),
        ("word\u2029word\u2028word", 3),  # Qt's paragraph and line separators separate words
    ],
)
def test_words_are_what_writers_count(text, words):
    assert count_words(text) == words


def test_characters_leave_out_line_breaks_of_every_kind():
    assert count_text("ab\ncd") == TextCounts(2, 4)
    assert count_text("ab\r\ncd") == TextCounts(2, 4)  # CRLF is one break, not two characters
    assert count_text("ab\u2029cd\u2028e\r") == TextCounts(3, 5)
    assert count_text("a b") == TextCounts(2, 3)  # spaces are characters
    assert count_text("😀 ok").characters == 4  # a character outside the BMP counts once


def test_reading_time_rounds_up_and_reads_naturally():
    assert reading_time(0) == "no reading time"
    assert reading_time(50) == "under a minute"
    assert reading_time(READING_WORDS_PER_MINUTE) == "1 min"
    assert reading_time(READING_WORDS_PER_MINUTE + 1) == "2 min"
    assert reading_time(READING_WORDS_PER_MINUTE * 75) == "1 h 15 min"
    assert TextCounts(READING_WORDS_PER_MINUTE * 3, 0).reading_minutes == 3


def test_the_incremental_count_equals_the_whole_count_through_edits():
    from gpt2_studio.core.documents.text_stats import IncrementalCounter

    counter = IncrementalCounter()
    text = "One two.\r\nThree\n\nfour five six\u2029seven"
    edits = [
        text,
        text.replace("two", "two, and more"),
        text + "\neight",
        "",
        "\n\n\n",
        "repeated line\nrepeated line\nrepeated line",  # the same line thrice counts thrice
        "repeated line\nrepeated",
        "日本語\nwell-known",
    ]
    for version in edits:
        assert counter.count(version) == count_text(version), version

"""The ghost spacing rule: a suggestion never doubles the space the writer's text ends with."""

from __future__ import annotations

import pytest

from gpt2_studio.core.generation.suggestion_text import (
    ends_with_space,
    is_horizontal_space,
    strip_doubled_space,
)

# Spaces that do not end a line: the space, tab, no-break space, em space, ideographic space, narrow NBSP.
SPACES = [" ", "\t", "\u00a0", "\u2003", "\u3000", "\u202f"]
LINE_BREAKS = ["\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"]


@pytest.mark.parametrize("space", SPACES)
def test_after_a_space_the_suggestions_leading_spaces_go(space):
    assert strip_doubled_space(f"The capital of{space}", " Paris") == "Paris"
    assert strip_doubled_space(f"The capital of{space}", "\t \u00a0Paris is") == "Paris is"


@pytest.mark.parametrize("space", SPACES)
def test_a_suggestion_that_does_not_start_with_a_space_is_unchanged(space):
    assert strip_doubled_space(f"of{space}", "Paris") == "Paris"


@pytest.mark.parametrize("before", ["The capital of", "of.", "", "emoji 😀", "of\n", "of\r\n", "of\u2029"])
def test_without_a_space_before_the_cursor_nothing_changes(before):
    assert strip_doubled_space(before, " Paris") == " Paris"
    assert strip_doubled_space(before, "  \tParis") == "  \tParis"


@pytest.mark.parametrize("newline", LINE_BREAKS)
def test_a_line_break_the_model_writes_stays(newline):
    assert strip_doubled_space("of ", f"{newline}Paris") == f"{newline}Paris"
    # Spaces before the break go (they would double the writer's); the break and what follows stay.
    assert strip_doubled_space("of ", f"  {newline} Paris") == f"{newline} Paris"


def test_empty_pieces():
    assert strip_doubled_space("of ", "") == ""
    assert strip_doubled_space("", "") == ""
    assert strip_doubled_space("of ", "   ") == ""


def test_streamed_pieces_give_the_same_text_as_the_whole():
    """Every piece that arrives while the suggestion shows nothing yet is a first piece."""
    streams = ([" ", "Paris", " is"], ["  ", "\t", " Paris is"], [" Paris", " is"], ["", " ", "", "Paris is"])
    for pieces in streams:
        shown = ""
        for piece in pieces:
            shown += strip_doubled_space("of ", piece) if not shown else piece
        assert shown == strip_doubled_space("of ", "".join(pieces)) == "Paris is"


def test_only_the_last_character_before_the_cursor_counts():
    assert strip_doubled_space("a b", " c") == " c"
    assert strip_doubled_space("a\n ", " c") == "c"


@pytest.mark.parametrize("character", SPACES)
def test_horizontal_spaces(character):
    assert is_horizontal_space(character)
    assert ends_with_space(f"x{character}")


@pytest.mark.parametrize("character", [*LINE_BREAKS, "a", "\u200b"])  # U+200B is zero-width, not a space
def test_not_horizontal_spaces(character):
    assert not is_horizontal_space(character)
    assert not ends_with_space(f"x{character}")
    assert not ends_with_space("")

"""How the dialog says what training achieved and how long it takes."""

from __future__ import annotations

import math

import pytest

from gpt2_studio.gui.training.wording import (
    clock_text,
    duration_text,
    improvement,
    improvement_sentence,
    improvement_tooltip,
    perplexity_text,
)


def test_improvement_is_one_minus_after_over_before():
    assert improvement(50.0, 31.0) == pytest.approx(0.38)
    assert improvement(50.0, 60.0) == pytest.approx(-0.2)
    assert math.isnan(improvement(math.nan, 3.0))
    assert math.isnan(improvement(0.0, 3.0))


@pytest.mark.parametrize(
    ("before", "after", "sentence"),
    [
        (50.0, 31.0, "Predicts your writing 38% better than the base model"),
        (50.0, 60.0, "Predicts your writing 20% worse than the base model"),
        (50.0, 49.9, "Predicts your writing about as well as the base model"),
        (math.inf, 10.0, "Could not measure how well it predicts your writing"),
    ],
)
def test_the_sentence_a_writer_reads(before, after, sentence):
    assert improvement_sentence(before, after) == sentence


def test_the_tooltip_defines_the_percentage_with_both_perplexities():
    tip = improvement_tooltip(50.0, 31.0)
    assert "1 − (perplexity after ÷ perplexity before)" in tip
    assert "38%" in tip
    assert "50 → 31" in tip
    assert "held-out" in tip


def test_numbers_as_shown():
    assert perplexity_text(66.686) == "66.7"
    assert perplexity_text(52_447.2) == "52,447"
    assert perplexity_text(math.nan) == "—"
    assert duration_text(20) == "under a minute"
    assert duration_text(250) == "about 4 minutes"
    assert duration_text(7800) == "about 2 hours 10 minutes"
    assert duration_text(3600) == "about 1 hour"
    assert clock_text(65) == "1:05"
    assert clock_text(3725) == "1:02:05"
    assert clock_text(-1) == "—"

"""Fitting text into the window: keep the end, stay stable while the user types, never tokenize it all."""

from __future__ import annotations

import pytest

from gpt2_studio.core.generation.context import fit_prompt


def words_tokenizer(text: str) -> list[int]:
    """One token per whitespace-separated word: easy to reason about."""
    return [hash(word) % 1000 for word in text.split()]


def test_short_text_is_kept_whole():
    fitted = fit_prompt("a b c", words_tokenizer, budget=10)
    assert len(fitted.ids) == 3
    assert not fitted.trimmed


def test_long_text_keeps_its_end_within_budget(tiny_model):
    tokenize = tiny_model.tokenizer.encode
    text = " ".join(f"w{i}" for i in range(3000))
    fitted = fit_prompt(text, tokenize, budget=100)
    assert fitted.trimmed
    assert 75 <= len(fitted.ids) <= 100
    assert tiny_model.tokenizer.decode(fitted.ids).endswith("w2998 w2999")


def test_typing_at_the_end_keeps_the_window_start_stable(tiny_model):
    tokenize = tiny_model.tokenizer.encode
    text = " ".join(f"w{i}" for i in range(3000))
    first = fit_prompt(text, tokenize, budget=400).ids
    typed = fit_prompt(text + " more", tokenize, budget=400).ids
    assert typed[: len(first) - 2] == first[: len(first) - 2]


def test_a_huge_text_is_not_tokenized_whole():
    seen: list[int] = []

    def tokenizer(text: str) -> list[int]:
        seen.append(len(text))
        return words_tokenizer(text)

    text = "word " * 2_000_000  # 10 MB
    fitted = fit_prompt(text, tokenizer, budget=1000)
    assert len(fitted.ids) == 1000 or 750 <= len(fitted.ids) <= 1000
    assert max(seen) < 100_000


def test_text_with_few_tokens_per_character_grows_the_slice():
    # One "word" every 100 characters: the first slice guess holds too few tokens.
    text = ("x" * 99 + " ") * 5000
    fitted = fit_prompt(text, words_tokenizer, budget=200)
    assert len(fitted.ids) > 150


def test_budget_must_be_positive():
    with pytest.raises(ValueError, match="at least one"):
        fit_prompt("a", words_tokenizer, budget=0)

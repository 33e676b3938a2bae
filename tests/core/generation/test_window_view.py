"""Where the model's view begins: the kept characters of a fitted prompt, with and without notes."""

from __future__ import annotations

import pytest

from gpt2_studio.core.generation.context import Prompt, fit_context
from gpt2_studio.core.generation.window_view import chars_in_view

TEXT = "".join(f"Sentence number {i} tells a little more, ünd so weiter 🙂.\n" for i in range(40))


@pytest.mark.parametrize(
    "prompt",
    [
        TEXT,
        Prompt(TEXT, memory="Alice is a detective."),
        Prompt(TEXT, memory="Alice is a detective.", authors_note="Tone: dry.", authors_note_depth=2),
        Prompt(TEXT, authors_note="Tone: dry.", authors_note_depth=30),
    ],
)
def test_the_view_is_the_text_whose_tokens_the_fitted_prompt_keeps(engine, prompt):
    fitted = fit_context(prompt, engine.tokenize, 100)
    assert fitted.trimmed
    view = chars_in_view(fitted, prompt, engine.detokenize)
    assert view is not None
    assert 0 < view < len(TEXT)
    kept = TEXT[len(TEXT) - view :]
    ids = fitted.ids[fitted.memory_tokens :]
    text_ids = len(ids) - fitted.note_tokens
    # The kept text re-tokenized is (at most a token's merge away from) what the model was given.
    assert abs(len(engine.tokenize(kept)) - text_ids) <= 2
    assert view == len(engine.detokenize(ids)) - (len(prompt.parts()[2]) if isinstance(prompt, Prompt) else 0)


def test_a_text_that_fits_is_all_in_view(engine):
    fitted = fit_context("A short text.", engine.tokenize, 100)
    assert chars_in_view(fitted, "A short text.", engine.detokenize) is None

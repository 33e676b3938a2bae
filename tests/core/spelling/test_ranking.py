"""GPT-2's order of spelling suggestions: exact numbers, and a trained tiny model that beats frequency."""

from __future__ import annotations

import math

import pytest
import torch

from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.spelling.dictionaries import Speller
from gpt2_studio.core.spelling.ranking import rank_suggestions
from tests.core.spelling.trained import CASES, LIBRARY_MISSES, train_tiny_model


def _reference_logprob(reference_model, engine: Engine, context: str, continuation: str) -> float:
    eos = engine.model.eos_token_id
    prompt = [eos, *engine.tokenize(context)]
    tokens = engine.tokenize(continuation)
    ids = torch.tensor([prompt + tokens])
    with torch.no_grad():
        logits = reference_model(ids).logits[0].float()
    logprobs = logits.log_softmax(-1)
    return sum(float(logprobs[len(prompt) - 1 + i, t]) for i, t in enumerate(tokens))


def test_continuation_logprobs_match_transformers(engine: Engine, reference_model) -> None:
    context = "The quick brown fox jumps over the"
    continuations = [" lazy dog", " dog", " lazy", " a", "", " quick brown fox"]
    got = engine.continuation_logprobs(context, continuations)
    assert got is not None
    assert got[4] == 0.0
    for text, value in zip(continuations, got, strict=True):
        if text:
            assert value == pytest.approx(
                _reference_logprob(reference_model, engine, context, text), abs=1e-3
            )


def test_a_row_does_not_depend_on_its_neighbours(engine: Engine) -> None:
    context = "A writer sits at the desk"
    alone = engine.continuation_logprobs(context, [" and drafts"])
    among = engine.continuation_logprobs(
        context, [" x", " and drafts", " the next line of a long tale", " q", " z"]
    )
    assert alone is not None
    assert among is not None
    assert among[1] == pytest.approx(alone[0], abs=1e-5)


def test_cancelled_scoring_says_so(engine: Engine) -> None:
    import threading

    cancel = threading.Event()
    cancel.set()
    assert engine.continuation_logprobs("Some new text", [" a", " b"], cancel=cancel) is None
    ranked = rank_suggestions(engine, "Some new text ", "teh", " end", ["the", "ten"], cancel=cancel)
    assert ranked.cancelled
    assert ranked.suggestions == ("the", "ten")


def test_without_a_model_the_library_order_stays() -> None:
    ranked = rank_suggestions(None, "I read a ", "bok", ".", ["boy", "book", "box"])
    assert ranked.suggestions == ("boy", "book", "box")
    assert ranked.logprobs is None


def test_long_text_keeps_its_end(engine: Engine) -> None:
    before = "In the beginning the story was short. " * 60  # far past the 128-token window
    got = engine.continuation_logprobs(before, [" later", " ships"])
    assert got is not None
    assert all(math.isfinite(v) and v < 0 for v in got)


@pytest.fixture(scope="module")
def trained_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from gpt2_studio.core.models.loading import load_model

    folder = train_tiny_model(tmp_path_factory.mktemp("trained") / "model")
    return Engine(load_model(folder, device="cpu", precision="fp32"))


def test_trained_model_puts_the_sentences_word_first(trained_engine: Engine) -> None:
    """Where pyspellchecker's frequency order is wrong, the model's order is right (it read the text)."""
    speller = Speller("en")
    library_first = model_first = 0
    for case in CASES:
        before, word, after = case.split()
        candidates = speller.candidates(word)
        assert case.intended in candidates, (case, candidates)
        ranked = rank_suggestions(trained_engine, before, word, after, candidates)
        assert sorted(ranked.suggestions) == sorted(candidates)
        library_first += candidates[0] == case.intended
        model_first += ranked.suggestions[0] == case.intended
        assert ranked.suggestions[0] == case.intended, (case, ranked)
    assert library_first == len(CASES) - LIBRARY_MISSES
    assert model_first == len(CASES)


def test_their_and_there_are_told_apart_by_the_text_after(trained_engine: Engine) -> None:
    """ "Ther" before "is a small garden": the model picks There although "The" is more frequent."""
    case = CASES[8]
    before, word, after = case.split()
    candidates = Speller("en").candidates(word)
    assert candidates[0] == "The"
    assert rank_suggestions(trained_engine, before, word, after, candidates).suggestions[0] == "There"

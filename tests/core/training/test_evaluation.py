"""Held-out loss: the transformers perplexity guide's sliding window, and greedy samples."""

from __future__ import annotations

import math

import pytest
import torch

from gpt2_studio.core.training.evaluation import (
    greedy_samples,
    heldout_loss,
    improvement,
    sample_prompts,
    windows,
)


def _guide_loss(model, ids: list[int], max_length: int, stride: int) -> float:
    """The loop of the transformers perplexity guide, each window weighted by the tokens it scores.

    (The guide subtracts one token per window for the shift; only the first window loses one.)
    """
    encodings = torch.tensor([ids])
    seq_len = encodings.size(1)
    nll_sum, n_tokens, prev_end_loc = 0.0, 0, 0
    for begin_loc in range(0, seq_len, stride):
        end_loc = min(begin_loc + max_length, seq_len)
        trg_len = end_loc - prev_end_loc
        input_ids = encodings[:, begin_loc:end_loc]
        target_ids = input_ids.clone()
        target_ids[:, :-trg_len] = -100
        with torch.no_grad():
            loss = model(input_ids, labels=target_ids).loss
        valid = (target_ids[:, 1:] != -100).sum().item()
        if valid > 0:
            nll_sum += loss.item() * valid
            n_tokens += valid
        prev_end_loc = end_loc
        if end_loc == seq_len:
            break
    return nll_sum / n_tokens


@pytest.mark.parametrize(("length", "window", "stride"), [(60, 128, 64), (300, 128, 64), (301, 100, 37)])
def test_heldout_loss_is_the_guides_sliding_window(reference_model, length, window, stride):
    ids = [(7 * i + 3) % 300 for i in range(length)]
    ours = heldout_loss(reference_model, ids, window, stride=stride)
    assert ours == pytest.approx(_guide_loss(reference_model, ids, window, stride), rel=1e-5)


def test_every_token_after_the_first_is_scored_once():
    for length, window, stride in [(10, 4, 2), (100, 32, 16), (5, 8, 4), (64, 16, 16)]:
        spans = windows(length, window, stride)
        scored = [i for begin, end, n in spans for i in range(end - n, end)]
        assert sorted(scored) == list(range(length))  # position 0 has no context: not predicted
        assert all(end - begin <= window for begin, end, _ in spans)


def test_samples_are_greedy_continuations_of_the_first_words(reference_model, tiny_model_dir):
    from gpt2_studio.core.models.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(tiny_model_dir)
    prompts = sample_prompts(["  The quick brown fox jumps over the lazy dog again", "", "Q: what?"], 5)
    assert prompts == ["The quick brown fox jumps over the lazy", "Q: what?"]
    eos = tokenizer.eos_token_id
    first = greedy_samples(reference_model, tokenizer.encode_plain, tokenizer.decode, prompts, 8, eos)
    again = greedy_samples(reference_model, tokenizer.encode_plain, tokenizer.decode, prompts, 8, eos)
    assert first == again
    assert all(first)


def test_improvement_reads_as_a_share():
    assert improvement(100.0, 62.0) == pytest.approx(0.38)
    assert improvement(50.0, 60.0) < 0
    assert math.isfinite(improvement(0.0, 1.0))

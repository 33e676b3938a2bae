"""Our logits filters do what transformers' processors do."""

from __future__ import annotations

import pytest
import torch
from transformers.generation.logits_process import (
    RepetitionPenaltyLogitsProcessor,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from gpt2_studio.core.generation.logits import (
    apply_repetition_penalty,
    filter_top_k,
    filter_top_p,
    pick_next_tokens,
)
from gpt2_studio.core.generation.sampling import SamplingSettings


@pytest.fixture
def logits() -> torch.Tensor:
    return torch.randn(3, 500, generator=torch.Generator().manual_seed(0)) * 3


@pytest.mark.parametrize("k", [1, 5, 40, 499])
def test_top_k_matches_transformers(logits, k):
    torch.testing.assert_close(filter_top_k(logits, k), TopKLogitsWarper(k)(None, logits.clone()))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9, 0.999])
def test_top_p_matches_transformers(logits, p):
    torch.testing.assert_close(filter_top_p(logits, p), TopPLogitsWarper(p)(None, logits.clone()))


def test_repetition_penalty_matches_transformers(logits):
    history = torch.tensor([[1, 2, 3], [4, 4, 5], [0, 9, 499]])
    seen = torch.zeros_like(logits, dtype=torch.bool).scatter(1, history, True)
    expected = RepetitionPenaltyLogitsProcessor(1.5)(history, logits.clone())
    torch.testing.assert_close(apply_repetition_penalty(logits, seen, 1.5), expected)


def test_top_k_one_always_picks_the_argmax(logits):
    settings = SamplingSettings(top_k=1, temperature=2.0)
    for seed in range(5):
        picked = pick_next_tokens(logits, settings, torch.Generator().manual_seed(seed))
        assert picked.tolist() == logits.argmax(-1).tolist()


def test_samples_stay_inside_the_top_k(logits):
    settings = SamplingSettings(top_k=3, temperature=5.0)
    allowed = logits.topk(3).indices
    for seed in range(20):
        picked = pick_next_tokens(logits, settings, torch.Generator().manual_seed(seed))
        assert all(picked[row] in allowed[row] for row in range(3))


def test_top_k_sampling_follows_the_filtered_distribution():
    # Three tokens hold all the mass after top-k 3; draws must follow softmax of those three logits.
    logits = torch.tensor([[2.0, 1.0, 0.0, -5.0, -6.0]])
    settings = SamplingSettings(top_k=3, temperature=1.0)
    generator = torch.Generator().manual_seed(0)
    draws = torch.stack([pick_next_tokens(logits, settings, generator) for _ in range(4000)]).flatten()
    counts = torch.bincount(draws, minlength=5).float() / len(draws)
    expected = torch.tensor([2.0, 1.0, 0.0]).softmax(-1)
    torch.testing.assert_close(counts[:3], expected, atol=0.03, rtol=0)
    assert counts[3:].sum() == 0


def test_top_p_inside_top_k_keeps_only_the_nucleus():
    logits = torch.tensor([[5.0, 4.9, 0.0, -1.0]])
    settings = SamplingSettings(top_k=3, top_p=0.5, temperature=1.0)
    generator = torch.Generator().manual_seed(0)
    draws = {pick_next_tokens(logits, settings, generator).item() for _ in range(200)}
    assert draws <= {0, 1}

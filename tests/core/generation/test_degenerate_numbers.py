"""Extreme numbers in sampling settings: computed safely or refused in one sentence, never a crash."""

from __future__ import annotations

import math

import pytest

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.sampling import SamplingSettings

PROMPT = "The quick brown fox jumps over the lazy dog."
EXTREMES = [
    1e-45,
    5e-324,
    1e-38,
    -1e-45,
    1e38,
    1.7e308,
    math.inf,
    -math.inf,
    math.nan,
    -0.0,
    0.0,
    10**400,
    -(10**400),
]
FIELDS = ["temperature", "top_p", "repetition_penalty", "top_k", "max_new_tokens", "num_alternatives", "seed"]
BASE = {"temperature": 0.8, "top_k": 0, "max_new_tokens": 4, "seed": 7}


def _one_sentence(message: str, field: str) -> None:
    assert field in message
    assert "\n" not in message
    assert message.endswith(".")
    assert len(message) < 160


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", EXTREMES, ids=repr)
def test_every_extreme_is_computed_or_refused_in_one_sentence(engine, field, value):
    try:
        settings = SamplingSettings(**{**BASE, field: value})
    except SettingsError as exc:
        _one_sentence(str(exc), field)
        return
    try:
        result = engine.complete(PROMPT, settings)
    except SettingsError as exc:  # e.g. more new tokens than the window holds
        _one_sentence(str(exc), field)
        return
    assert len(result.alternatives) == settings.num_alternatives
    assert all(isinstance(text, str) for text in result.alternatives)


@pytest.mark.parametrize("value", [1e-45, 1e-38, 1e-20])
def test_a_tiny_temperature_is_greedy(engine, value):
    greedy = engine.complete(PROMPT, SamplingSettings(temperature=0, max_new_tokens=12)).text
    for seed in range(3):
        for top_k in (0, 40):
            settings = SamplingSettings(temperature=value, top_k=top_k, max_new_tokens=12, seed=seed)
            assert engine.complete(PROMPT, settings).text == greedy


@pytest.mark.parametrize("penalty", [1e-45, 1e-40, 1e-20, 10.0])
@pytest.mark.parametrize("temperature", [0.0, 1e-38, 0.7, 5.0])
def test_extreme_penalties_and_temperatures_together(engine, penalty, temperature):
    settings = SamplingSettings(
        temperature=temperature,
        top_k=0,
        top_p=1e-45,
        repetition_penalty=penalty,
        max_new_tokens=6,
        num_alternatives=3,
        seed=1,
    )
    result = engine.complete(PROMPT * 2, settings)
    assert result.new_tokens >= 1
    assert len(result.alternatives) == 3


def test_negative_zero_is_plain_zero():
    settings = SamplingSettings(temperature=-0.0)
    assert settings.greedy
    assert math.copysign(1.0, settings.temperature) == 1.0
    assert settings.to_dict()["temperature"] == 0.0


@pytest.mark.parametrize("temperature", [0.0, 1e-45, 1.0001e-4, 0.7, 5.0])
@pytest.mark.parametrize("penalty", [1e-45, 1.0, 10.0])
def test_huge_logits_never_give_nan_probabilities(temperature, penalty):
    import torch

    from gpt2_studio.core.generation.logits import pick_next_tokens

    logits = torch.tensor([[3e38, -3e38, 1.0, float("-inf"), 2e38], [-1.0, -2.0, -3e38, 0.0, -1e-45]])
    seen = torch.tensor([[True, True, False, False, True], [True, False, True, False, True]])
    for top_k in (0, 2):
        for top_p in (1e-45, 0.5, 1.0):
            settings = SamplingSettings(
                temperature=temperature, top_k=top_k, top_p=top_p, repetition_penalty=penalty
            )
            tokens = pick_next_tokens(logits, settings, torch.Generator().manual_seed(0), seen)
            assert tokens.shape == (2,)
            assert tokens[0] != 3  # a filtered-out (-inf) token is never drawn

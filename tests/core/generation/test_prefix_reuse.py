"""A cached prefix gives bit-for-bit what a fresh start gives, in every precision.

The model has peaked logits (its final layer norm scaled up), as trained models do, so that a small
numeric difference between two ways of computing the same prompt would show as another greedy token.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
import torch

from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.prefix_cache import BLOCK_SIZES, PrefixCache, plan_blocks
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint
from gpt2_studio.core.runner import int8_supported

# Words whose tokens mix ASCII, accents, CJK and emoji (split across tokens by the byte-level BPE).
_TEXT = (
    "the quick brown fox jumps over lazy dog writer desk draft line capital France Paris Hamlet story "
    "ships storms café naïve 日本語 🙂 water house 1234567890 TL;DR model"
)
WORDS = tuple(_TEXT.split())
PRECISIONS = [
    "fp32",
    "bf16",
    pytest.param("int8", marks=pytest.mark.skipif(not int8_supported(), reason="no int8")),
]
GREEDY = SamplingSettings(temperature=0, max_new_tokens=16)


@pytest.fixture(scope="module")
def peaked_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-layer GPT-2, window 256, whose logits span hundreds (a 25× final layer norm)."""
    from safetensors.torch import load_file, save_file

    folder = build_tiny_checkpoint(
        tmp_path_factory.mktemp("peaked") / "peaked",
        n_positions=256,
        n_embd=64,
        n_layer=3,
        n_head=4,
        init_std=0.3,
    )
    weights = load_file(folder / "model.safetensors")
    for name in ("transformer.ln_f.weight", "transformer.ln_f.bias"):
        weights[name] = weights[name] * 25
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.fixture(scope="module", params=PRECISIONS)
def peaked(request, peaked_dir):
    from gpt2_studio.core.models.loading import load_model

    return load_model(peaked_dir, device="cpu", precision=request.param)


def _prompt(rnd: random.Random, low: int, high: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(low, high)))


def _recording(model, monkeypatch) -> list[torch.Tensor]:
    """Every logits tensor the runner returns, in order."""
    seen: list[torch.Tensor] = []
    forward = model.runner.forward

    def record(*args, **kwargs):
        out = forward(*args, **kwargs)
        if out is not None:
            seen.append(out.clone())
        return out

    monkeypatch.setattr(model.runner, "forward", record)
    return seen


def test_the_model_is_peaked(peaked):
    cache = PrefixCache(peaked.runner, peaked.eos_token_id)
    ids = Engine(peaked).tokenize(_prompt(random.Random(0), 20, 40))
    logits, _ = cache.fill(ids, threading.Event())
    top = logits[0].topk(2).values
    assert top[0] - top[1] > 1.0
    assert logits[0].max() - logits[0].median() > 50


@pytest.mark.parametrize("scenario", ["same", "three_words", "trimmed_end", "edited_inside"])
def test_cached_prefix_continues_exactly_as_from_scratch(peaked, scenario, monkeypatch):
    """25 random prompts: greedy text and every logit equal with the prefix cached or not."""
    seen = _recording(peaked, monkeypatch)
    reused_any = 0
    for index in range(25):
        rnd = random.Random(index)
        first = _prompt(rnd, 15, 70)
        if scenario == "same":
            second = first
        elif scenario == "three_words":
            second = first + " " + " ".join(rnd.choice(WORDS) for _ in range(3))
        elif scenario == "trimmed_end":
            second = first[: rnd.randint(len(first) // 2, len(first) - 1)]
        else:
            cut = rnd.randint(len(first) // 2, len(first) - 1)
            second = first[:cut] + rnd.choice(WORDS) + first[cut:]
        warm = Engine(peaked)
        warm.complete(first, GREEDY)
        seen.clear()
        cached = warm.complete(second, GREEDY)
        cached_logits = list(seen)
        seen.clear()
        fresh = Engine(peaked).complete(second, GREEDY)
        assert fresh.reused_tokens == 0
        reused_any += cached.reused_tokens
        assert cached.text == fresh.text, (index, second)
        # The same prompt again reads nothing, so its first logits come from the cache, not the runner.
        fresh_logits = seen[len(seen) - len(cached_logits) :]
        assert all(torch.equal(a, b) for a, b in zip(cached_logits, fresh_logits, strict=True)), index
    assert reused_any > 25 * 8


def test_the_prompt_trimmed_at_the_window_continues_as_from_scratch(peaked):
    rnd = random.Random(7)
    text = _prompt(rnd, 150, 150)
    for _ in range(6):
        text += " " + _prompt(rnd, 3, 12)  # typing at the end of a text longer than the window
        warm = Engine(peaked)
        warm.complete(text[:-5], GREEDY)
        cached = warm.complete(text, GREEDY)
        fresh = Engine(peaked).complete(text, GREEDY)
        assert cached.trimmed
        assert fresh.trimmed
        assert cached.text == fresh.text


def test_prefix_cache_keys_and_values_equal_a_fresh_fill_bitwise(peaked):
    engine = Engine(peaked)
    rnd = random.Random(3)
    text = _prompt(rnd, 40, 40)
    warm = PrefixCache(peaked.runner, peaked.eos_token_id)
    never = threading.Event()
    for grown in (text[:40], text[:90], text, text + " and then", text + " and then some"):
        ids = engine.tokenize(grown)
        warm_logits, reused = warm.fill(ids, never)
        fresh = PrefixCache(peaked.runner, peaked.eos_token_id)
        fresh_logits, none = fresh.fill(ids, never)
        assert none == 0
        assert torch.equal(warm_logits, fresh_logits)
        for a, b in zip(
            warm.cache.keys + warm.cache.values, fresh.cache.keys + fresh.cache.values, strict=True
        ):
            assert torch.equal(a[:, :, : len(ids)], b[:, :, : len(ids)])
    assert reused > 0


def test_plan_is_aligned_padded_and_typing_recomputes_little():
    big, middle, small = BLOCK_SIZES
    assert plan_blocks(0, 1024) == []
    assert plan_blocks(3, 1024) == [(0, small)]
    assert plan_blocks(3, 2) == [(0, 2)]  # never past the cache
    assert plan_blocks(big + middle + small + 1, 1024) == [
        (0, big),
        (big, big + middle),
        (big + middle, big + middle + small),
        (big + middle + small, big + middle + 2 * small),
    ]
    recomputed = []
    for length in range(1, 1000):
        spans = plan_blocks(length, 1024)
        assert spans[0][0] == 0
        assert all(a[1] == b[0] and a[0] % (b[1] - b[0]) == 0 for a, b in zip(spans, spans[1:], strict=False))
        assert 0 <= spans[-1][1] - length < small
        # Typing one more token: blocks before the first changed one (or the one holding the new token)
        # are reused; the rest is read again.
        following = plan_blocks(length + 1, 1024)
        keep = 0
        while keep < len(spans) and spans[keep] == following[keep] and following[keep][1] <= length:
            keep += 1
        recomputed.append(following[-1][1] - following[keep][0])
    assert max(recomputed) == big
    assert sum(recomputed) / len(recomputed) < 2 * small


def test_cancel_before_the_prompt_is_read_leaves_a_usable_cache(peaked):
    engine = Engine(peaked)
    text = _prompt(random.Random(5), 60, 60)
    cancelled = threading.Event()
    cancelled.set()
    assert engine.complete(text, GREEDY, cancel=cancelled).cancelled
    assert engine.complete(text, GREEDY).text == Engine(peaked).complete(text, GREEDY).text


def test_alternatives_hold_the_prompt_once_not_once_per_row(engine):
    # The batch buffer holds only each row's own positions; the prompt is read in place.
    text = "The quiet river bends past the old mill and the bridge. " * 4
    engine.complete(text, SamplingSettings(max_new_tokens=6, num_alternatives=3, seed=1))
    assert engine._work is not None
    assert engine._work.batch == 3
    assert engine._work.capacity < len(engine.tokenize(text))

"""int8 through fbgemm (runner.qgemm): as accurate as the arithmetic allows, row by row, and no less
accurate than weight-only int8 with bf16 activations, which it replaces on the CPU."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
import torch

from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint
from gpt2_studio.core.runner import GPT2Runner, int8_supported, layers, qgemm
from gpt2_studio.core.runner.layers import Linear, TokenEmbedding, quantize_rows

pytestmark = pytest.mark.skipif(not (int8_supported() and qgemm.available()), reason="no fbgemm int8")

_TEXT = "the quick brown fox jumps over lazy dog writer desk draft café naïve 日本語 🙂 ships storms"
WORDS = tuple(_TEXT.split())


def _weights(out: int, inner: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return quantize_rows(torch.randn(out, inner, generator=g))


def _inputs(rows: int, inner: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, inner, generator=g)
    x[0, 3] = 40.0  # an outlier channel, as GPT-2's residual stream has
    x[-1] *= 1e-6  # a row far smaller than the others
    return x


@pytest.mark.parametrize(("out", "inner"), [(37, 53), (64, 768), (300, 129)])
def test_product_error_stays_within_the_split_bound(out, inner):
    q, scale = _weights(out, inner)
    x = _inputs(9, inner)
    got = qgemm.PackedInt8(q, scale)(x).double()
    w = q.double() * scale.double()[:, None]
    exact = x.double() @ w.t()
    # Each input is off by at most half a step of 1/(63·126) of its row's largest value.
    peak = x.double().abs().amax(dim=1, keepdim=True)
    bound = peak / (2 * 63 * 126) * w.abs().sum(dim=1)[None, :]
    rounding = 1e-6 * (x.double().abs() @ w.abs().t()) + 1e-30
    assert ((got - exact).abs() <= bound * 1.001 + rounding).all()


def test_more_accurate_than_bf16_activations_on_typical_rows():
    q, scale = _weights(512, 768)
    x = torch.randn(16, 768, generator=torch.Generator().manual_seed(2))
    w = q.double() * scale.to(torch.bfloat16).double()[:, None]
    exact = x.double() @ w.t()
    packed = qgemm.PackedInt8(q, scale.to(torch.bfloat16))(x).double()
    bf16 = torch._weight_int8pack_mm(x.to(torch.bfloat16), q, scale.to(torch.bfloat16)).double()
    assert (packed - exact).abs().mean() < (bf16 - exact).abs().mean() / 4


def test_each_row_is_computed_on_its_own():
    q, scale = _weights(300, 256)
    bias = torch.randn(300)
    packed = qgemm.PackedInt8(q, scale)
    x = _inputs(20, 256)
    x[5] = 0.0
    together = packed(x, bias)
    for row in range(x.shape[0]):
        assert torch.equal(together[row], packed(x[row : row + 1], bias)[0])
    assert torch.equal(together[5], bias)  # an all-zero row gives the bias exactly


def test_non_finite_input_gives_non_finite_output():
    q, scale = _weights(8, 64)
    x = torch.randn(2, 64)
    x[1, 0] = float("inf")
    y = qgemm.PackedInt8(q, scale)(x)
    assert torch.isfinite(y[0]).all()
    assert not torch.isfinite(y[1]).any()


def test_a_packed_layer_gives_back_its_tensors(monkeypatch):
    monkeypatch.setattr(layers, "PACK_MIN_WEIGHTS", 0)
    weight = torch.randn(96, 160)  # a Conv1D weight [in, out]
    bias = torch.randn(160)
    linear = Linear.quantize(weight, bias, "int8")
    assert linear.packed is not None
    saved = linear.tensors()
    expected, scale = quantize_rows(weight.t())
    assert saved["weight"].dtype == torch.int8
    assert torch.equal(saved["weight"], expected)
    assert torch.equal(saved["scale"], scale.to(torch.bfloat16))
    again = Linear.from_tensors(saved, "int8")
    x = torch.randn(3, 96)
    assert torch.equal(again(x), linear(x))


def test_the_output_layer_packs_and_keeps_embedding_rows(monkeypatch):
    monkeypatch.setattr(layers, "PACK_MIN_WEIGHTS", 0)
    monkeypatch.setattr(layers, "PACK_EMBEDDING", True)  # off by default (memory); its numbers still hold
    wte = torch.randn(500, 64)
    embedding = TokenEmbedding.quantize(wte, "int8", torch.float32)
    assert embedding.packed is not None
    q, scale = quantize_rows(wte)
    ids = torch.tensor([[0, 7, 499]])
    assert torch.equal(embedding.embed(ids), q[ids].float() * scale[ids].unsqueeze(-1))
    h = torch.randn(1, 2, 64)
    exact = h.double() @ (q.double() * scale.double()[:, None]).t()
    assert (embedding.logits(h).double() - exact).abs().max() < 5e-4 * exact.abs().max()


def _all_logits(runner, ids):
    return runner.forward(ids, runner.new_cache(1, 128), start=0, all_rows=True)[0]


def _dequantized(reference_model, packed):
    """An fp32 runner over packed's int8 weights: the int8 weights with exact activations."""
    floor = GPT2Runner.from_model(reference_model, "fp32")
    floor.weights = copy.copy(floor.weights)
    for index, layer in enumerate(packed.layers):
        exact = copy.copy(floor.layers[index])
        for name in ("attn", "proj", "fc", "fc_out"):
            saved = getattr(layer, name).tensors()
            weight = (saved["weight"].float() * saved["scale"].float()[:, None]).t().contiguous()
            setattr(exact, name, Linear("fp32", weight, saved["bias"], None))
        floor.layers[index] = exact
    wte = packed.weights.wte
    dequantized = {"weight": wte.weight.float() * wte.scale[:, None]}
    floor.weights.wte = TokenEmbedding("fp32", torch.float32, dequantized)
    return floor


def test_int8_logits_are_those_of_the_int8_weights_with_exact_activations(
    reference_model, tiny_model, monkeypatch
):
    # Weight rounding dominates int8's error (the largest |Δlogit| and top-1 agreement move with it);
    # the activations' part of it, which is what fbgemm changes, shrinks to almost nothing.
    ids = torch.tensor([tiny_model.tokenizer.encode(" ".join(WORDS * 3))[:120]])
    with torch.inference_mode():
        expected = reference_model(ids).logits[0]
    monkeypatch.setattr(qgemm, "_available", False)
    before = GPT2Runner.from_model(reference_model, "int8")
    assert before.layers[0].attn.packed is None
    monkeypatch.setattr(qgemm, "_available", True)
    monkeypatch.setattr(layers, "PACK_MIN_WEIGHTS", 0)
    monkeypatch.setattr(layers, "PACK_EMBEDDING", True)
    after = GPT2Runner.from_model(reference_model, "int8")
    assert after.layers[0].attn.packed is not None
    assert after.weights.wte.packed is not None
    floor = _all_logits(_dequantized(reference_model, after), ids)
    logits_before, logits_after = _all_logits(before, ids), _all_logits(after, ids)
    assert (logits_after - floor).abs().max() < (logits_before - floor).abs().max() / 4
    assert (logits_after - expected).pow(2).mean() <= (logits_before - expected).pow(2).mean()


@pytest.mark.parametrize("pack_embedding", [False, True])
def test_one_token_at_a_time_equals_the_rows_of_one_block(
    reference_model, tiny_model, monkeypatch, pack_embedding
):
    # Not bit for bit: attention over a block and over one row add in different orders (fp32, ~1e-6),
    # which can move an activation across one rounding step of the int8 split (1/15876 of its row's
    # largest value), so rows agree to a few such steps. The default output layer (weight-only kernel)
    # also rounds each logit to bf16 (8 significant bits), and its block and one-row kernels differ by
    # CPU (AMX tiles against AVX-512): there a row may differ by a bf16 step or two. A cache bug (a wrong
    # position, a stale row) moves logits by whole units; the last assertion checks that it would show.
    monkeypatch.setattr(layers, "PACK_MIN_WEIGHTS", 0)
    monkeypatch.setattr(layers, "PACK_EMBEDDING", pack_embedding)
    runner = GPT2Runner.from_model(reference_model, "int8")
    ids = torch.tensor([tiny_model.tokenizer.encode(" ".join(WORDS))[:40]])
    block = runner.forward(ids, runner.new_cache(1, 128), start=0, all_rows=True)[0]
    atol = 2e-3 * block.abs().max().item()
    rtol = 0.0 if pack_embedding else 2.0**-7
    cache = runner.new_cache(1, 128)
    for position in range(ids.shape[1]):
        step = runner.forward(ids[:, position : position + 1], cache, start=position)[0]
        torch.testing.assert_close(step, block[position], rtol=rtol, atol=atol)
    shifted = runner.forward(ids[:, -1:], runner.new_cache(1, 128), start=0)[0]
    assert (shifted - block[-1]).abs().max() > 50 * (atol + rtol * block[-1].abs().max())


@pytest.fixture(scope="module")
def packed_peaked(tmp_path_factory: pytest.TempPathFactory):
    """A 3-layer model with peaked logits (a 25× final layer norm), int8 with every matrix packed."""
    from safetensors.torch import load_file, save_file

    from gpt2_studio.core.models.loading import load_model

    folder: Path = build_tiny_checkpoint(
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
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layers, "PACK_MIN_WEIGHTS", 0)
        model = load_model(folder, device="cpu", precision="int8")
    assert model.runner.layers[0].fc.packed is not None
    return model


def test_a_cached_prefix_continues_exactly_as_from_scratch(packed_peaked):
    greedy = SamplingSettings(temperature=0, max_new_tokens=16)
    reused = 0
    for index in range(12):
        rnd = random.Random(index)
        first = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(15, 60)))
        second = first + " " + " ".join(rnd.choice(WORDS) for _ in range(3))
        warm = Engine(packed_peaked)
        warm.complete(first, greedy)
        cached = warm.complete(second, greedy)
        fresh = Engine(packed_peaked).complete(second, greedy)
        assert fresh.reused_tokens == 0
        reused += cached.reused_tokens
        assert cached.text == fresh.text, (index, second)
    assert reused > 12 * 8

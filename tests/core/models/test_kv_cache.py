"""The key/value cache: fp16 on the int8/bf16 paths, grown in chunks, equal to what fp32 and preallocated
caches give."""

from __future__ import annotations

import copy

import pytest
import torch

from gpt2_studio.core.runner import GPT2Runner, KVCache, int8_supported, layers, qgemm
from gpt2_studio.core.runner.cache import CHUNK

REDUCED = [
    "bf16",
    pytest.param("int8", marks=pytest.mark.skipif(not int8_supported(), reason="no int8")),
]


@pytest.fixture(scope="module")
def ids(tiny_model):
    text = "The lighthouse keeper wrote a letter every evening, although the boat came twice a month. " * 3
    return torch.tensor([tiny_model.tokenizer.encode(text)[:100]])


def _steps(runner: GPT2Runner, cache: KVCache, ids: torch.Tensor, prefill: int) -> torch.Tensor:
    """Logits of a prefill of `prefill` tokens, then of one token at a time: [rows, vocab]."""
    out = [runner.forward(ids[:, :prefill], cache, start=0, all_rows=True)[0]]
    out += [runner.forward(ids[:, p : p + 1], cache, start=p) for p in range(prefill, ids.shape[1])]
    return torch.cat(out)


@pytest.mark.parametrize("precision", REDUCED)
def test_the_reduced_cache_is_fp16_and_half_the_bytes(reference_model, precision):
    runner = GPT2Runner.from_model(reference_model, precision)
    exact = GPT2Runner.from_model(reference_model, "fp32")
    assert runner.cache_dtype == torch.float16
    assert exact.cache_dtype == torch.float32  # the transformers-equal reference keeps fp32
    assert runner.new_cache(1, 64).nbytes() * 2 == exact.new_cache(1, 64).nbytes()


@pytest.fixture(scope="module")
def sharp_model(tmp_path_factory: pytest.TempPathFactory):
    """A 2-layer GPT-2 with weights 15× the tiny one's and random biases: peaked attention, and keys that
    the int8 products (bf16 results plus an fp32 bias) do not round to bf16 by themselves."""
    from transformers import GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers
    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    folder = build_tiny_checkpoint(tmp_path_factory.mktemp("sharp") / "sharp", init_std=0.3)
    with quiet_transformers():
        model = GPT2LMHeadModel.from_pretrained(str(folder)).eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("bias") and "ln" not in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    return model


class _HiddenStates:
    """An output layer that returns the final hidden states (fp32) instead of bf16-rounded logits."""

    def __init__(self, wte) -> None:
        self.embed = wte.embed

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return x.float()


def _runner(model, precision: str, cache_dtype: torch.dtype | None = None) -> GPT2Runner:
    runner = GPT2Runner.from_model(model, precision)
    runner.weights = copy.copy(runner.weights)
    runner.weights.wte = _HiddenStates(runner.weights.wte)
    if cache_dtype is not None:
        runner.cache_dtype = cache_dtype
        runner._clamp_cache = False
    return runner


@pytest.mark.skipif(not int8_supported() or not qgemm.available(), reason="no fbgemm int8 products")
def test_int8_attention_over_the_fp16_cache_equals_the_fp32_cache_within_its_rounding(
    sharp_model, ids, monkeypatch
):
    # With fbgemm's products (fp32 results; packing is off by default) the only difference is each key
    # and value rounded to fp16, a relative step of 2⁻¹¹: through two layers the final hidden states
    # move by under 2⁻⁹ of their largest value (measured: 2⁻¹⁰). Keys kept with bf16's 8 bits move them
    # 15× more here, so the bound can fail.
    monkeypatch.setattr(layers, "PACK_MIN_WEIGHTS", 0)
    expected = _steps(*_with_cache(_runner(sharp_model, "int8", torch.float32)), ids, 60)
    got = _steps(*_with_cache(_runner(sharp_model, "int8")), ids, 60)
    error = (got - expected).abs().max().item()
    assert 0 < error < 2.0**-9 * expected.abs().max().item()
    coarse = _steps(*_with_cache(_runner(sharp_model, "int8", torch.bfloat16)), ids, 60)
    assert (coarse - expected).abs().max().item() > 4 * error


@pytest.mark.skipif(not int8_supported(), reason="no int8")
def test_int8_weight_only_path_over_the_fp16_cache_stays_within_a_few_bf16_steps(sharp_model, ids):
    # The default int8 kernel rounds every activation to bf16 before each product, so the cache's
    # rounding can tip an activation to the next bf16 number (2⁻⁸ of it): the hidden states then move by
    # a few bf16 steps (measured: 1/140 of their largest value), not by whole units as a wrong position.
    expected = _steps(*_with_cache(_runner(sharp_model, "int8", torch.float32)), ids, 60)
    got = _steps(*_with_cache(_runner(sharp_model, "int8")), ids, 60)
    assert (got - expected).abs().max().item() < 2.0**-6 * expected.abs().max().item()


def test_the_fp16_cache_loses_nothing_on_the_bf16_path(sharp_model, ids):
    # bf16 products give bf16 keys and values, and fp16 holds every bf16 number of their size exactly.
    expected = _steps(*_with_cache(_runner(sharp_model, "bf16", torch.float32)), ids, 60)
    got = _steps(*_with_cache(_runner(sharp_model, "bf16")), ids, 60)
    assert torch.equal(got, expected)


def _with_cache(runner: GPT2Runner) -> tuple[GPT2Runner, KVCache]:
    return runner, runner.new_cache(1, 128)


def test_keys_beyond_fp16_range_are_clamped_not_infinite(reference_model, ids):
    runner = GPT2Runner.from_model(reference_model, "bf16")
    for layer in runner.layers:
        layer.attn.bias = layer.attn.bias + 1e6  # queries, keys and values far beyond 65504
    cache = runner.new_cache(1, 128)
    logits = runner.forward(ids[:, :20], cache, start=0)
    assert torch.isfinite(logits).all()
    assert torch.isfinite(cache.keys[0][:, :, :20].float()).all()


@pytest.mark.parametrize("precision", ["fp32", *REDUCED])
def test_growing_across_chunk_boundaries_equals_a_preallocated_cache(reference_model, ids, precision):
    runner = GPT2Runner.from_model(reference_model, precision)
    devices = [layer.device for layer in runner.layers]
    shape = (runner.n_head, 128, runner.head_dim, runner.cache_dtype)
    grown = KVCache(devices, 1, shape[0], shape[1], shape[2], shape[3], chunk=8)
    whole = KVCache(devices, 1, shape[0], shape[1], shape[2], shape[3], chunk=128)
    assert grown.allocated == 8
    assert whole.allocated == 128
    expected = _steps(runner, whole, ids, 13)  # the prefill crosses one boundary, the steps many more
    got = _steps(runner, grown, ids, 13)
    assert grown.allocated == 104  # ids.shape[1] = 100, rounded up to the chunk
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    for a, b in zip(grown.keys + grown.values, whole.keys + whole.values, strict=True):
        assert torch.equal(a[:, :, :100], b[:, :, :100])


def test_a_cache_grows_to_the_models_window_and_no_further(tiny_model):
    runner = tiny_model.runner
    window = runner.n_positions
    cache = runner.new_cache(1, 10 * window)  # clamped to the window
    assert cache.capacity == window
    assert cache.allocated == min(CHUNK, window)
    ids = torch.arange(window).remainder(runner.vocab_size).view(1, -1)
    runner.forward(ids[:, : window - 1], cache, start=0, logits=False)
    assert runner.forward(ids[:, window - 1 :], cache, start=window - 1) is not None
    assert cache.allocated == window
    with pytest.raises(ValueError, match="do not fit"):
        runner.forward(ids[:, :1], cache, start=window)
    with pytest.raises(ValueError, match="do not fit"):
        cache.reserve(window + 1)


def test_a_short_prompt_holds_one_chunk_not_the_window():
    cache = KVCache(["cpu"] * 12, 1, 12, 1024, 64, torch.float16)
    assert cache.nbytes() == 2 * 12 * 12 * CHUNK * 64 * 2  # 4.5 MiB, not 36 MiB
    cache.reserve(CHUNK + 1)
    assert cache.allocated == 2 * CHUNK
    cache.reserve(1000)
    assert cache.allocated == 1024  # the last chunk is cut at the capacity


@pytest.mark.parametrize("precision", REDUCED)
def test_rows_branching_off_an_fp16_prompt_see_what_copied_rows_see(reference_model, ids, precision):
    runner = GPT2Runner.from_model(reference_model, precision)
    length = 70
    prompt = runner.new_cache(1, 128)
    runner.forward(ids[:, :length], prompt, start=0)
    copied = runner.new_cache(3, 128)
    runner.copy_prefix(prompt, copied, length, rows=3)
    assert copied.allocated >= length
    branch = runner.branch_cache(prompt, length, rows=3, capacity=8)
    steps = torch.tensor([[5, 9, 4], [6, 2, 4], [5, 7, 1]])
    for step in range(3):
        expected = runner.forward(steps[:, step : step + 1], copied, start=length + step)
        got = runner.forward(steps[:, step : step + 1], branch, start=length + step)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)

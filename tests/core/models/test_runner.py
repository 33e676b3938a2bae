"""The lean runner computes what transformers computes."""

from __future__ import annotations

import pytest
import torch

from gpt2_studio.core.runner import GPT2Runner, int8_supported


@pytest.fixture(scope="module")
def ids(tiny_model):
    text = "The quick brown fox jumps over the lazy dog. Q: What is the capital of France? A:"
    return torch.tensor([tiny_model.tokenizer.encode(text)])


def _reference_logits(reference_model, ids):
    with torch.inference_mode():
        return reference_model(ids).logits[0]


def test_fp32_prefill_matches_transformers(tiny_model, reference_model, ids):
    runner = tiny_model.runner
    cache = runner.new_cache(1, 128)
    logits = runner.forward(ids, cache, start=0)
    torch.testing.assert_close(logits[0], _reference_logits(reference_model, ids)[-1], rtol=1e-4, atol=1e-4)


def test_fp32_in_pieces_matches_one_pass(tiny_model, reference_model, ids):
    # A prefill resumed after a cached prefix, then one token at a time, sees the same positions.
    runner = tiny_model.runner
    cache = runner.new_cache(1, 128)
    expected = _reference_logits(reference_model, ids)
    runner.forward(ids[:, :7], cache, start=0)
    torch.testing.assert_close(
        runner.forward(ids[:, 7:15], cache, start=7)[0], expected[14], rtol=1e-4, atol=1e-4
    )
    for position in range(15, ids.shape[1]):
        logits = runner.forward(ids[:, position : position + 1], cache, start=position)
        torch.testing.assert_close(logits[0], expected[position], rtol=1e-4, atol=1e-4)


def test_batched_rows_are_independent(tiny_model, ids):
    runner = tiny_model.runner
    single = runner.new_cache(1, 128)
    runner.forward(ids, single, start=0)
    batch = runner.new_cache(3, 128)
    runner.copy_prefix(single, batch, ids.shape[1], rows=3)
    step = torch.tensor([[5], [6], [5]])
    logits = runner.forward(step, batch, start=ids.shape[1])
    torch.testing.assert_close(logits[0], logits[2])
    assert not torch.allclose(logits[0], logits[1])


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_reduced_precision_stays_close(tiny_model_dir, reference_model, ids, precision):
    if precision == "int8" and not int8_supported():
        pytest.skip("no int8 kernels in this torch build")
    runner = GPT2Runner.from_model(reference_model, precision)
    logits = runner.forward(ids, runner.new_cache(1, 128), start=0)[0]
    expected = _reference_logits(reference_model, ids)[-1]
    cosine = torch.nn.functional.cosine_similarity(logits, expected, dim=0)
    assert cosine > 0.999
    assert logits.argmax() == expected.argmax()


def test_positions_past_the_cache_are_refused(tiny_model):
    runner = tiny_model.runner
    with pytest.raises(ValueError, match="do not fit"):
        runner.forward(torch.zeros(1, 5, dtype=torch.long), runner.new_cache(1, 4), start=0)


def test_a_padded_chunk_gives_the_logits_of_the_row_asked_for(tiny_model, reference_model, ids):
    runner = tiny_model.runner
    expected = _reference_logits(reference_model, ids)
    padded = torch.cat([ids[:, :10], torch.zeros(1, 3, dtype=torch.long)], dim=1)
    logits = runner.forward(padded, runner.new_cache(1, 128), start=0, row=9)
    torch.testing.assert_close(logits[0], expected[9], rtol=1e-4, atol=1e-4)


def test_rows_branching_off_a_shared_prompt_see_what_copied_rows_see(tiny_model, ids):
    # Alternatives read the prompt in place (BranchCache) instead of a copy per row: same logits.
    from gpt2_studio.core.runner import BranchCache

    runner = tiny_model.runner
    length = ids.shape[1]
    prompt = runner.new_cache(1, 128)
    runner.forward(ids, prompt, start=0)
    copied = runner.new_cache(3, 128)
    runner.copy_prefix(prompt, copied, length, rows=3)
    branch = runner.branch_cache(prompt, length, rows=3, capacity=8)
    assert isinstance(branch, BranchCache)
    assert branch.rows.capacity == 8
    steps = torch.tensor([[5, 9], [6, 2], [5, 7]])
    for step in range(2):
        expected = runner.forward(steps[:, step : step + 1], copied, start=length + step)
        got = runner.forward(steps[:, step : step + 1], branch, start=length + step)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    # A block of several positions at once sees its own earlier positions only.
    block_copied = runner.forward(steps, copied, start=length, all_rows=True)
    block_branch = runner.forward(steps, branch, start=length, all_rows=True)
    torch.testing.assert_close(block_branch, block_copied, rtol=1e-5, atol=1e-5)


def test_a_branch_refuses_positions_inside_its_prefix_or_past_its_room(tiny_model, ids):
    runner = tiny_model.runner
    prompt = runner.new_cache(1, 128)
    runner.forward(ids, prompt, start=0)
    branch = runner.branch_cache(prompt, ids.shape[1], rows=2, capacity=4)
    with pytest.raises(ValueError, match="inside the shared prefix"):
        runner.forward(torch.zeros(2, 1, dtype=torch.long), branch, start=ids.shape[1] - 1)
    with pytest.raises(ValueError, match="do not fit"):
        runner.forward(torch.zeros(2, 5, dtype=torch.long), branch, start=ids.shape[1])

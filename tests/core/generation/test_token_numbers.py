"""Each generated token's numbers: the model's own log-probabilities, runners-up, pieces and times."""

from __future__ import annotations

import pytest
import torch

from gpt2_studio.core import SamplingSettings
from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.token_numbers import RUNNERS_UP, mean_probability

PROMPT = "The quick brown fox jumps over the lazy dog. Q: What is the capital of France? A:"
NEW = 16


def _reference(reference_model, tiny_model, prompt: str, new: int) -> tuple[list[int], torch.Tensor]:
    """transformers' greedy ids and the log_softmax of its logits at each generated step."""
    ids = torch.tensor([tiny_model.tokenizer.encode(prompt)])
    eos = tiny_model.eos_token_id
    with torch.inference_mode():
        out = reference_model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            do_sample=False,
            max_new_tokens=new,
            pad_token_id=eos,
            eos_token_id=eos,
        )
        logits = reference_model(out).logits[0]
    new_ids = out[0, ids.shape[1] :].tolist()
    if eos in new_ids:
        new_ids = new_ids[: new_ids.index(eos)]
    steps = logits[ids.shape[1] - 1 : ids.shape[1] - 1 + len(new_ids)].float().log_softmax(dim=-1)
    return new_ids, steps


def test_greedy_logprobs_equal_log_softmax_of_transformers_logits(engine, tiny_model, reference_model):
    new_ids, steps = _reference(reference_model, tiny_model, PROMPT, NEW)
    result = engine.complete(PROMPT, SamplingSettings(temperature=0, max_new_tokens=NEW))
    choices = result.token_logprobs[0]
    assert len(choices) == len(new_ids) > 0
    for step, choice in enumerate(choices):
        assert choice.logprob == pytest.approx(float(steps[step, new_ids[step]]), abs=1e-4)
        expected = steps[step].topk(RUNNERS_UP)
        assert [t.logprob for t in choice.top] == pytest.approx(expected.values.tolist(), abs=1e-4)
        names = [tiny_model.tokenizer.decode([i]) for i in expected.indices.tolist()]
        assert [t.text for t in choice.top][:1] == names[:1] or "\ufffd" in names[0]
    assert "".join(choice.text for choice in choices) == result.text
    assert 0 < result.alternative_seconds[0] <= result.total_seconds


def test_sampled_numbers_are_the_models_own_not_the_samplers(engine, tiny_model, reference_model):
    """With a temperature and top-k the recorded numbers are still the model's unfiltered ones."""
    settings = SamplingSettings(seed=3, temperature=1.7, top_k=5, max_new_tokens=12)
    result = engine.complete(PROMPT, settings)
    choices = result.token_logprobs[0]
    ids = tiny_model.tokenizer.encode(PROMPT)
    generated = tiny_model.tokenizer.encode(result.text)
    with torch.inference_mode():
        logits = reference_model(torch.tensor([ids])).logits[0, -1].float().log_softmax(-1)
    # The first step's distribution depends on the prompt alone.
    assert [t.logprob for t in choices[0].top] == pytest.approx(
        logits.topk(RUNNERS_UP).values.tolist(), abs=1e-4
    )
    assert choices[0].logprob == pytest.approx(float(logits[generated[0]]), abs=1e-4) or (
        tiny_model.tokenizer.decode(generated[:1]) != choices[0].text
    )


@pytest.mark.parametrize("num", [1, 3])
def test_streamed_and_final_numbers_agree(tiny_model, num):
    settings = SamplingSettings(seed=11, temperature=1.2, top_k=0, max_new_tokens=20, num_alternatives=num)
    pieces: dict[int, list[str]] = {i: [] for i in range(num)}
    stream = Engine(tiny_model).stream(PROMPT, settings)
    while True:
        try:
            delta = next(stream)
        except StopIteration as done:
            streamed = done.value
            break
        pieces[delta.index].append(delta.text)
    final = Engine(tiny_model).complete(PROMPT, settings)
    assert streamed.alternatives == final.alternatives
    assert len(final.token_logprobs) == len(final.alternative_seconds) == num
    for index in range(num):
        ours = [(c.text, c.logprob, c.top) for c in streamed.token_logprobs[index]]
        assert ours == [(c.text, c.logprob, c.top) for c in final.token_logprobs[index]]
        assert "".join(pieces[index]) == final.alternatives[index]
        assert "".join(c.text for c in final.token_logprobs[index]) == final.alternatives[index]
        confidence = mean_probability(final.token_logprobs[index])
        assert confidence is not None
        assert 0 < confidence <= 1


def test_healed_first_token_piece_is_only_the_new_text(tmp_path_factory):
    """Token healing rewrites the prompt's last token: its piece holds only what follows the writer's text."""
    from gpt2_studio.core.models.loading import load_model
    from tests.core.real_vocab import build_real_vocab_model

    folder = build_real_vocab_model(tmp_path_factory.mktemp("heal") / "paris", always=6342)  # " Paris"
    healing = Engine(load_model(folder, device="cpu", precision="fp32"))
    settings = SamplingSettings(temperature=0, max_new_tokens=3, token_healing=True)
    result = healing.complete("The capital of France is Par", settings)
    assert result.healed_tokens == 1
    assert [choice.text for choice in result.token_logprobs[0]] == ["is", " Paris", " Paris", " Paris"]
    assert result.token_logprobs[0][0].top[0].text == " Paris"


def test_mean_probability_of_nothing_is_none():
    assert mean_probability(()) is None

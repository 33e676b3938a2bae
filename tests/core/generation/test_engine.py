"""Generation invariants on a tiny real GPT-2: no magic strings, only properties that must hold."""

from __future__ import annotations

import codecs
import threading

import pytest
import torch

from gpt2_studio.core import SamplingSettings, SettingsError
from gpt2_studio.core.generation.engine import FINISH_CANCELLED, FINISH_LENGTH, FINISH_STOP, Engine
from gpt2_studio.core.generation.text_stream import token_byte_table

PROMPT = "The quick brown fox jumps over the lazy dog. Q: What is the capital of France? A:"
GREEDY = SamplingSettings(temperature=0, max_new_tokens=24)


def _transformers_greedy(reference_model, model, prompt: str, max_new_tokens: int, **kwargs) -> str:
    ids = torch.tensor([model.tokenizer.encode(prompt)])
    with torch.inference_mode():
        out = reference_model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            do_sample=False,
            max_new_tokens=max_new_tokens,
            pad_token_id=model.eos_token_id,
            eos_token_id=model.eos_token_id,
            **kwargs,
        )
    new = [t for t in out[0, ids.shape[1] :].tolist() if t != model.eos_token_id]
    text = model.tokenizer.decode(new)
    # A character the last token left unfinished is left out (decode shows it as U+FFFD).
    data = b"".join(token_byte_table(model.tokenizer)[t] for t in new)
    complete = codecs.getincrementaldecoder("utf-8")("replace").decode(data)
    assert text.startswith(complete)
    return complete


def test_top_k_one_equals_transformers_greedy(engine, tiny_model, reference_model):
    expected = _transformers_greedy(reference_model, tiny_model, PROMPT, 24)
    assert engine.complete(PROMPT, SamplingSettings(top_k=1, max_new_tokens=24)).text == expected
    assert engine.complete(PROMPT, GREEDY).text == expected


def test_repetition_penalty_equals_transformers(engine, tiny_model, reference_model):
    expected = _transformers_greedy(reference_model, tiny_model, PROMPT, 24, repetition_penalty=1.3)
    assert engine.complete(PROMPT, GREEDY.replace(repetition_penalty=1.3)).text == expected


def test_same_seed_same_text_and_other_seed_other_text(engine, tiny_model):
    settings = SamplingSettings(seed=1234, max_new_tokens=20, temperature=1.0, top_k=0)
    first = engine.complete(PROMPT, settings)
    again = Engine(tiny_model).complete(PROMPT, settings)
    assert first.alternatives == again.alternatives
    assert first.seed == 1234
    other = engine.complete(PROMPT, settings.replace(seed=4321))
    assert other.text != first.text


def test_a_random_seed_is_reported_so_the_result_can_be_repeated(engine):
    result = engine.complete(PROMPT, SamplingSettings(max_new_tokens=12))
    repeat = engine.complete(PROMPT, SamplingSettings(max_new_tokens=12, seed=result.seed))
    assert repeat.text == result.text


@pytest.mark.parametrize("num", [1, 3])
def test_streamed_text_joined_equals_the_final_text(engine, num):
    pieces: dict[int, list[str]] = {i: [] for i in range(num)}
    result = engine.complete(
        PROMPT,
        SamplingSettings(seed=7, max_new_tokens=40, num_alternatives=num, temperature=1.5, top_k=0),
        on_text=lambda delta: pieces[delta.index].append(delta.text),
    )
    assert len(result.alternatives) == num
    for index, text in enumerate(result.alternatives):
        assert "".join(pieces[index]) == text
        assert text


def test_the_generator_interface_returns_the_completion(engine):
    stream = engine.stream(PROMPT, SamplingSettings(seed=3, max_new_tokens=10))
    pieces = []
    while True:
        try:
            pieces.append(next(stream).text)
        except StopIteration as done:
            completion = done.value
            break
    assert "".join(pieces) == completion.text


def test_no_streamed_piece_ends_in_half_a_character(engine):
    # The tiny vocabulary is mostly single bytes, so sampled text splits multi-byte characters often.
    pieces: list[str] = []
    result = engine.complete(
        "Café 日本語 🙂",
        SamplingSettings(seed=11, max_new_tokens=80, temperature=2.0, top_k=0),
        on_text=lambda delta: pieces.append(delta.text),
    )
    assert any(ord(ch) > 127 for ch in result.text), "the test needs non-ASCII output"
    for piece in pieces[:-1]:
        # A piece cut inside a character would decode the missing bytes as U+FFFD in the next piece.
        assert piece.encode("utf-8").decode("utf-8") == piece
    assert "".join(pieces) == result.text


def test_alternatives_come_from_one_batched_pass(engine, tiny_model, monkeypatch):
    calls: list[tuple[int, int]] = []
    forward = tiny_model.runner.forward

    def counting(ids, cache, start, **kwargs):
        calls.append(tuple(ids.shape))
        return forward(ids, cache, start, **kwargs)

    monkeypatch.setattr(tiny_model.runner, "forward", counting)
    result = engine.complete(PROMPT, SamplingSettings(seed=5, num_alternatives=4, max_new_tokens=10, top_k=0))
    assert len(set(result.alternatives)) > 1
    prefill = [shape for shape in calls if shape[0] == 1]
    decode = calls[len(prefill) :]
    assert prefill == calls[: len(prefill)]  # the shared prompt is read once, for one row
    assert sum(length for _, length in prefill) < len(engine.tokenize(PROMPT)) + 4
    assert set(decode) == {(4, 1)}  # then every step advances all four rows together
    assert len(decode) <= 9


def test_greedy_alternatives_all_equal_the_single_greedy_text(engine):
    single = engine.complete(PROMPT, GREEDY).text
    assert engine.complete(PROMPT, GREEDY.replace(num_alternatives=3)).alternatives == (single,) * 3


def test_prefix_reuse_equals_computing_from_scratch(engine, tiny_model):
    settings = SamplingSettings(seed=99, max_new_tokens=20)
    engine.complete(PROMPT, settings)
    typed = PROMPT + " Paris is"
    reused = engine.complete(typed, settings)
    fresh = Engine(tiny_model).complete(typed, settings)
    assert reused.reused_tokens > len(engine.tokenize(PROMPT)) - 3
    assert fresh.reused_tokens == 0
    assert reused.alternatives == fresh.alternatives


def test_the_same_prompt_again_recomputes_nothing(engine, tiny_model, monkeypatch):
    first = engine.complete(PROMPT, GREEDY)
    calls: list[int] = []
    forward = tiny_model.runner.forward

    def counting(ids, cache, start, **kwargs):
        calls.append(ids.shape[1])
        return forward(ids, cache, start, **kwargs)

    monkeypatch.setattr(tiny_model.runner, "forward", counting)
    again = engine.complete(PROMPT, GREEDY)
    assert again.reused_tokens == again.prompt_tokens
    assert again.text == first.text
    assert set(calls) == {1}  # decode steps only


def test_editing_earlier_text_reuses_only_up_to_the_edit(engine, tiny_model):
    text = PROMPT + " " + PROMPT
    engine.complete(text, GREEDY)
    cut = text.rindex("lazy")
    edited = text[:cut] + "sleepy" + text[cut + 4 :]
    result = engine.complete(edited, GREEDY)
    assert 0 < result.reused_tokens < len(engine.tokenize(text[:cut])) + 1
    assert result.text == Engine(tiny_model).complete(edited, GREEDY).text


def test_cancel_from_another_thread_stops_within_one_step(engine):
    cancel = threading.Event()
    seen: list[str] = []

    def on_text(delta):
        seen.append(delta.text)
        if len(seen) == 3:
            cancel.set()  # as if the GUI thread pressed a key now

    result = engine.complete(
        PROMPT,
        SamplingSettings(seed=1, max_new_tokens=100, top_k=0, temperature=1.0),
        on_text=on_text,
        cancel=cancel,
    )
    assert result.cancelled
    assert result.finish_reasons == (FINISH_CANCELLED,)
    assert result.new_tokens <= 4  # the tokens behind the 3 pieces, plus at most one step in flight
    assert "".join(seen) == result.text


def test_engine_cancel_from_a_thread_while_generating(engine):
    started = threading.Event()
    results = []

    def work():
        settings = SamplingSettings(seed=1, max_new_tokens=120, top_k=0)
        results.append(engine.complete(PROMPT, settings, on_text=lambda _delta: started.set()))

    worker = threading.Thread(target=work)
    worker.start()
    assert started.wait(10)
    engine.cancel()
    worker.join(10)
    assert not worker.is_alive()
    assert results[0].cancelled
    assert results[0].new_tokens < 120


def test_a_prompt_longer_than_the_window_keeps_its_end(engine, tiny_model):
    long_text = " ".join(f"word{i}" for i in range(2000)) + " THE END"
    settings = GREEDY.replace(max_new_tokens=16)
    result = engine.complete(long_text, settings)
    budget = tiny_model.n_positions - 16
    assert result.trimmed
    assert budget - 64 < result.prompt_tokens <= budget
    kept = engine.tokenize(long_text)[-result.prompt_tokens :]
    assert tiny_model.tokenizer.decode(kept).endswith("word1999 THE END")
    assert result.new_tokens == 16


def test_max_new_tokens_must_fit_the_window(engine):
    with pytest.raises(SettingsError, match="smaller than the model's window of 128 tokens"):
        engine.complete(PROMPT, SamplingSettings(max_new_tokens=128))


def test_empty_prompt_generates_from_end_of_text(engine):
    result = engine.complete("", SamplingSettings(seed=2, max_new_tokens=8, top_k=0))
    assert result.prompt_tokens == 1
    assert result.text


def test_stop_strings_end_the_text_before_them_and_never_stream_them(engine):
    full = engine.complete(PROMPT, GREEDY.replace(max_new_tokens=40)).text
    # A two-character stop string that first occurs well inside the greedy text.
    stop = next(full[i : i + 2] for i in range(6, len(full) - 2) if full.index(full[i : i + 2]) == i)
    pieces: list[str] = []
    result = engine.complete(
        PROMPT,
        GREEDY.replace(max_new_tokens=40, stop_strings=(stop,)),
        on_text=lambda d: pieces.append(d.text),
    )
    assert result.text == full[: full.index(stop)]
    assert result.finish_reasons == (FINISH_STOP,)
    assert "".join(pieces) == result.text


def test_finish_reason_length(engine):
    result = engine.complete(PROMPT, GREEDY.replace(max_new_tokens=3))
    assert result.finish_reasons == (FINISH_LENGTH,)
    assert result.new_tokens == 3


def test_stats_are_reported(engine):
    result = engine.complete(PROMPT, SamplingSettings(seed=1, max_new_tokens=10, top_k=0))
    assert result.prompt_tokens == len(engine.tokenize(PROMPT))
    assert result.first_token_seconds > 0
    assert result.total_seconds >= result.first_token_seconds
    assert result.tokens_per_second > 0

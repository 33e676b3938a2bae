"""A suggestion cut inside a multi-byte character never ends in U+FFFD (GPT-2's real tokenizer)."""

from __future__ import annotations

import threading

import pytest

from gpt2_studio.core.generation.engine import FINISH_CANCELLED, FINISH_LENGTH, Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from tests.core.real_vocab import build_real_vocab_model

EMOJI_START = 8582  # "ðŁ": the bytes F0 9F, the first half of 🙂 (8582, 25081)
REPLACEMENT = 4210  # "ï¿½": EF BF BD, a U+FFFD written whole
WHOLE_EMOJI = 32485  # " 🙂"


def _model(tmp_path_factory, token: int):
    from gpt2_studio.core.models.loading import load_model

    folder = build_real_vocab_model(tmp_path_factory.mktemp("always") / f"always-{token}", always=token)
    return load_model(folder, device="cpu", precision="fp32")


@pytest.fixture(scope="module")
def cutting(tmp_path_factory):
    """A model that always predicts the first half of an emoji."""
    return _model(tmp_path_factory, EMOJI_START)


def _drain(stream) -> tuple[list[str], object]:
    pieces = []
    while True:
        try:
            pieces.append(next(stream).text)
        except StopIteration as done:
            return pieces, done.value


SETTINGS = [
    SamplingSettings(temperature=0, max_new_tokens=1),
    SamplingSettings(temperature=0.7, top_k=40, max_new_tokens=1, seed=3),
    SamplingSettings(temperature=0, max_new_tokens=1, num_alternatives=3),
    SamplingSettings(temperature=1.0, top_k=0, max_new_tokens=1, num_alternatives=4, seed=5),
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_a_cut_emoji_is_left_out_of_complete_and_stream(cutting, settings):
    engine = Engine(cutting)
    pieces: list[str] = []
    result = engine.complete("Smile:", settings, on_text=lambda d: pieces.append(d.text))
    assert result.new_tokens == 1
    assert result.finish_reasons == (FINISH_LENGTH,) * settings.num_alternatives
    assert result.alternatives == ("",) * settings.num_alternatives
    assert pieces == []

    streamed, completion = _drain(engine.stream("Smile:", settings))
    assert completion.alternatives == ("",) * settings.num_alternatives
    assert streamed == []


def test_text_before_the_cut_stays(cutting):
    # Two halves in a row: F0 9F F0 9F. The first pair can never complete (a real invalid sequence, so
    # U+FFFD); the second is cut by the limit and is dropped.
    engine = Engine(cutting)
    result = engine.complete("Smile:", SamplingSettings(temperature=0, max_new_tokens=2))
    assert result.text == "\ufffd"
    three = engine.complete("Smile:", SamplingSettings(temperature=0, max_new_tokens=3))
    assert three.text == "\ufffd\ufffd"


def test_a_cancel_after_half_an_emoji_leaves_it_out(cutting):
    cancel = threading.Event()
    stream = Engine(cutting).stream(
        "Smile:", SamplingSettings(temperature=0, max_new_tokens=9), cancel=cancel
    )
    first = next(stream).text  # after two tokens: the first pair can never complete; the second waits
    cancel.set()
    rest, result = _drain(stream)
    assert result.finish_reasons == (FINISH_CANCELLED,)
    assert result.new_tokens == 2
    assert first + "".join(rest) == result.text == "\ufffd"


def test_a_replacement_character_the_model_writes_whole_stays(tmp_path_factory):
    engine = Engine(_model(tmp_path_factory, REPLACEMENT))
    result = engine.complete("x", SamplingSettings(temperature=0, max_new_tokens=2))
    assert result.text == "\ufffd\ufffd"


def test_whole_emoji_come_through(tmp_path_factory):
    engine = Engine(_model(tmp_path_factory, WHOLE_EMOJI))
    pieces: list[str] = []
    result = engine.complete(
        "x", SamplingSettings(temperature=0, max_new_tokens=2), on_text=lambda d: pieces.append(d.text)
    )
    assert result.text == " 🙂 🙂"
    assert "".join(pieces) == result.text

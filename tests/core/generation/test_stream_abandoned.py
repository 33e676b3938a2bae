"""A stream its reader stops reading never blocks later requests or cancel()."""

from __future__ import annotations

import gc
import threading

import pytest

from gpt2_studio.core.generation.engine import FINISH_CANCELLED, Engine
from gpt2_studio.core.generation.sampling import SamplingSettings

PROMPT = "The quick brown fox jumps over the lazy dog. Q: What is the capital of France? A:"
LONG = SamplingSettings(temperature=1.0, top_k=0, max_new_tokens=60, seed=4)
GREEDY = SamplingSettings(temperature=0, max_new_tokens=12)


def _in_thread(fn, timeout: float = 60.0):
    """fn() on another thread; fails (instead of hanging the suite) if it does not finish in time."""
    out: list = []
    errors: list[BaseException] = []

    def run():
        try:
            out.append(fn())
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the request is blocked"
    if errors:
        raise errors[0]
    return out[0]


def _drain(stream):
    pieces = []
    while True:
        try:
            pieces.append(next(stream).text)
        except StopIteration as done:
            return pieces, done.value


@pytest.fixture
def expected(tiny_model):
    return Engine(tiny_model).complete(PROMPT, GREEDY)


def test_breaking_out_of_a_stream_blocks_nothing(engine, expected):
    stream = engine.stream(PROMPT, LONG)
    first = []
    for delta in stream:
        first.append(delta.text)
        break  # the reader leaves; `stream` stays alive
    result = _in_thread(lambda: engine.complete(PROMPT, GREEDY))
    assert result.text == expected.text
    assert not result.cancelled
    # Read again later, the old stream ends as cancelled with the text it had, and the model is untouched.
    rest, old = _drain(stream)
    assert old.finish_reasons == (FINISH_CANCELLED,)
    assert "".join(first + rest) == old.text
    assert _in_thread(lambda: engine.complete(PROMPT, GREEDY)).text == expected.text


def test_a_stream_kept_but_never_read_blocks_nothing(engine, expected):
    never_started = engine.stream(PROMPT, LONG)
    started = engine.stream(PROMPT, LONG)
    next(started)
    assert _in_thread(lambda: engine.complete(PROMPT, GREEDY)).text == expected.text
    assert _drain(never_started)[1].text  # it can still run: it is the newest request now
    assert _drain(started)[1].finish_reasons == (FINISH_CANCELLED,)


def test_a_dropped_stream_blocks_nothing(engine, expected):
    stream = engine.stream(PROMPT, LONG)
    next(stream)
    del stream
    gc.collect()
    assert _in_thread(lambda: engine.complete(PROMPT, GREEDY)).text == expected.text


def test_cancel_with_an_abandoned_stream_stops_that_one_only(engine, expected):
    mine = threading.Event()
    stream = engine.stream(PROMPT, LONG, cancel=mine)
    next(stream)
    engine.cancel()  # does not wait for the stream's reader
    assert mine.is_set()
    result = _in_thread(lambda: engine.complete(PROMPT, GREEDY))
    assert not result.cancelled
    assert result.text == expected.text
    assert _drain(stream)[1].cancelled


def test_taking_over_does_not_set_the_callers_cancel_event(engine, expected):
    shared = threading.Event()
    stream = engine.stream(PROMPT, LONG, cancel=shared)
    next(stream)
    # The caller reuses its event for the next request: it must not arrive already set.
    result = _in_thread(lambda: engine.complete(PROMPT, GREEDY, cancel=shared))
    assert not shared.is_set()
    assert result.text == expected.text


def test_a_stream_read_on_another_thread_while_complete_runs(engine, expected):
    stream = engine.stream(PROMPT, LONG)
    next(stream)
    results = []
    # Another thread keeps reading the stream while this one asks for a completion.
    reader = threading.Thread(target=lambda: results.append(_drain(stream)[1]))
    reader.start()
    done = _in_thread(lambda: engine.complete(PROMPT, GREEDY))
    reader.join(60)
    assert not reader.is_alive()
    assert done.text == expected.text
    assert len(results) == 1
    assert _in_thread(lambda: engine.complete(PROMPT, GREEDY)).text == expected.text


def test_alternatives_stream_abandoned_then_a_new_request(engine, tiny_model):
    settings = LONG.replace(num_alternatives=3)
    stream = engine.stream(PROMPT, settings)
    next(stream)
    again = _in_thread(lambda: engine.complete(PROMPT, settings))
    assert again.alternatives == Engine(tiny_model).complete(PROMPT, settings).alternatives

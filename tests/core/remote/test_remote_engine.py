"""RemoteEngine against a real llama.cpp server: suggestions, streaming, alternatives, stops, cancel,
a server that dies mid-stream, keys and addresses, and prompts fitted to the server's window."""

from __future__ import annotations

import math
import socket
import threading
import time
from pathlib import Path

import pytest

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.engine import FINISH_CANCELLED, FINISH_LENGTH, FINISH_STOP
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.models.tokenizer import load_tokenizer
from gpt2_studio.core.remote import errors, kinds
from gpt2_studio.core.remote.engine import RemoteEngine
from gpt2_studio.core.remote.errors import RemoteError, UnavailableError
from tests.llama_server import LlamaServer, free_port

pytestmark = pytest.mark.server

PROMPT = "The lighthouse keeper wrote a letter every evening, although the boat came only twice a month."
GREEDY = SamplingSettings(temperature=0.0, max_new_tokens=24, seed=1)


@pytest.fixture
def remote(llama_server: LlamaServer, server_model_dir: Path):
    engine = RemoteEngine.connect(llama_server.url, tokenizer=load_tokenizer(server_model_dir))
    yield engine
    engine.close()


@pytest.fixture
def own_remote(start_llama_server, server_model_dir: Path):
    """An engine on a server of the test's own, for tests that close a stream mid-generation:
    llama-cpp-python 0.3.36 now and then stays locked after that, and the session's server must not."""
    engine = RemoteEngine.connect(start_llama_server().url, tokenizer=load_tokenizer(server_model_dir))
    yield engine
    engine.close()


def test_a_suggestion_comes_from_the_server_with_its_model_and_kind(
    remote: RemoteEngine, llama_server
) -> None:
    result = remote.complete(PROMPT, GREEDY)
    assert remote.model.name == llama_server.model_name
    assert remote.model.kind is kinds.LLAMA_CPP_PYTHON
    assert remote.model.n_positions == 1024  # llama-cpp-python does not report it: GPT-2's default
    assert result.text  # a random model writes something, never the end token (its embedding is zero)
    assert result.finish_reasons == (FINISH_LENGTH,)
    assert 20 <= result.new_tokens <= 24  # the server's pieces (a character split over tokens counts once)
    assert result.prompt_tokens == len(remote.tokenize(PROMPT))
    # Greedy with the same settings is repeatable: the server really ran the model on this prompt.
    assert remote.complete(PROMPT, GREEDY).text == result.text
    assert remote.complete(PROMPT + " And", GREEDY).text != result.text


def test_the_streamed_pieces_add_up_to_the_final_text(remote: RemoteEngine) -> None:
    settings = SamplingSettings(temperature=1.0, max_new_tokens=30, seed=7)
    pieces: list[str] = []
    result = remote.complete(PROMPT, settings, on_text=lambda delta: pieces.append(delta.text))
    assert len(pieces) > 5  # it streamed, it did not arrive in one lump
    assert "".join(pieces) == result.text
    assert result.first_token_seconds <= result.total_seconds


def test_n_alternatives_differ_and_each_streams_under_its_index(remote: RemoteEngine) -> None:
    settings = SamplingSettings(temperature=1.0, top_k=0, max_new_tokens=12, num_alternatives=3, seed=3)
    by_index: dict[int, str] = {0: "", 1: "", 2: ""}

    def collect(delta) -> None:
        by_index[delta.index] += delta.text

    result = remote.complete(PROMPT, settings, on_text=collect)
    assert len(result.alternatives) == 3
    assert len(set(result.alternatives)) == 3
    assert tuple(by_index[i] for i in range(3)) == result.alternatives
    # llama.cpp ignores `n`: one request per alternative, with seeds seed, seed + 1, … (repeatable).
    assert remote.complete(PROMPT, settings).alternatives == result.alternatives


def test_stop_strings_cut_the_text_before_them(remote: RemoteEngine) -> None:
    full = remote.complete(PROMPT, GREEDY.replace(max_new_tokens=40)).text
    stop = full[12:15]
    assert stop.strip()
    assert stop in full
    pieces: list[str] = []
    result = remote.complete(
        PROMPT,
        GREEDY.replace(max_new_tokens=40, stop_strings=(stop,)),
        on_text=lambda d: pieces.append(d.text),
    )
    assert result.text == full[: full.index(stop)]
    assert result.finish_reasons == (FINISH_STOP,)
    assert stop not in "".join(pieces)


def test_cancel_closes_the_stream_at_once_and_the_server_serves_the_next_request(
    own_remote: RemoteEngine,
) -> None:
    remote = own_remote
    settings = SamplingSettings(temperature=1.0, max_new_tokens=900, seed=5)
    stream = remote.stream(PROMPT, settings)
    first = next(stream)
    remote.cancel()
    started = time.perf_counter()
    rest = []
    try:
        while True:
            rest.append(next(stream).text)
    except StopIteration as done:
        result = done.value
    assert time.perf_counter() - started < 5  # not the 900 tokens' time; generous for a busy machine
    assert result.cancelled
    assert result.text.startswith(first.text)
    assert len(remote.tokenize(result.text)) < 900
    assert remote.complete(PROMPT, GREEDY).text  # the server is free again


def test_cancel_from_another_thread_ends_complete(own_remote: RemoteEngine) -> None:
    remote = own_remote
    settings = SamplingSettings(temperature=1.0, max_new_tokens=900, seed=5)
    arrived = threading.Event()

    def on_text(_delta) -> None:
        arrived.set()

    canceller = threading.Thread(target=lambda: (arrived.wait(10), remote.cancel()))
    canceller.start()
    result = remote.complete(PROMPT, settings, on_text=on_text)
    canceller.join()
    assert result.finish_reasons == (FINISH_CANCELLED,)
    assert 0 < len(remote.tokenize(result.text)) < 900


def test_a_late_cancel_for_a_finished_request_does_not_stop_the_next_one(
    start_llama_server, server_model_dir: Path
) -> None:
    """Cancel is tied to its request: the GUI's cancel for an old suggestion, arriving after a new one
    has started, leaves the new one running; the new one's own cancel stops it at once."""
    # A server of its own: llama-cpp-python 0.3.36 now and then stays locked after a stream closed
    # mid-generation, and the session's server must not be the one left so.
    server = start_llama_server()
    remote = RemoteEngine.connect(server.url, tokenizer=load_tokenizer(server_model_dir))
    try:
        old = threading.Event()
        remote.complete(PROMPT, GREEDY, cancel=old)  # ended before its cancel arrives
        settings = SamplingSettings(temperature=0.0, max_new_tokens=40, seed=1)
        new = threading.Event()
        stream = remote.stream(PROMPT, settings, cancel=new)
        text = next(stream).text
        remote.cancel(old)  # the late cancel
        *pieces, result = _drain(stream)
        text += "".join(piece.text for piece in pieces)
        assert not new.is_set()
        assert result.finish_reasons == (FINISH_LENGTH,)
        assert result.text == text == remote.complete(PROMPT, settings).text  # the whole suggestion

        newer = threading.Event()
        stream = remote.stream(PROMPT, settings.replace(max_new_tokens=900, temperature=1.0), cancel=newer)
        next(stream)
        started = time.perf_counter()
        remote.cancel(newer)
        *_pieces, result = _drain(stream)
        assert time.perf_counter() - started < 5  # not the 900 tokens' time; generous for a busy machine
        assert result.cancelled
        assert len(remote.tokenize(result.text)) < 900
    finally:
        remote.close()


def _drain(stream):
    """The pieces left in a stream, then its Completion."""
    try:
        while True:
            yield next(stream)
    except StopIteration as done:
        yield done.value


def test_a_server_killed_mid_stream_keeps_what_arrived(start_llama_server, server_model_dir: Path) -> None:
    server = start_llama_server()
    notices: list[str] = []
    engine = RemoteEngine.connect(
        server.url, tokenizer=load_tokenizer(server_model_dir), on_notice=notices.append
    )
    try:
        stream = engine.stream(PROMPT, SamplingSettings(temperature=1.0, max_new_tokens=900, seed=2))
        shown = next(stream).text
        server.kill()
        try:
            while True:
                shown += next(stream).text
        except StopIteration as done:
            result = done.value
        assert result.cancelled
        assert result.text == shown
        assert shown
        assert len(notices) == 1
        assert "the text that arrived is kept" in notices[0]
        with pytest.raises(RemoteError) as down:
            engine.complete(PROMPT, GREEDY)
        assert down.value.kind == errors.DOWN
        assert "is it running" in str(down.value)
    finally:
        engine.close()


def test_a_wrong_api_key_is_refused_in_one_sentence_and_the_right_one_works(
    start_llama_server, server_model_dir: Path
) -> None:
    server = start_llama_server(api_key="right-key")
    for key in (None, "wrong-key"):
        with pytest.raises(RemoteError) as refused:
            RemoteEngine.connect(server.url, api_key=key)
        assert refused.value.kind == errors.UNAUTHORIZED
        assert refused.value.status == 401
        assert "API key is missing or wrong" in str(refused.value)
    engine = RemoteEngine.connect(server.url, api_key="right-key", tokenizer=load_tokenizer(server_model_dir))
    try:
        assert engine.complete(PROMPT, GREEDY).text
    finally:
        engine.close()


def test_a_wrong_address_or_a_server_that_is_down_says_so(llama_server: LlamaServer) -> None:
    with pytest.raises(RemoteError) as wrong:
        RemoteEngine.connect(f"http://127.0.0.1:{llama_server.port}/not-the-api")
    assert wrong.value.kind == errors.WRONG_URL
    assert "check the address" in str(wrong.value)
    with pytest.raises(RemoteError) as down:
        RemoteEngine.connect(f"http://127.0.0.1:{free_port()}/v1")
    assert down.value.kind == errors.DOWN
    with pytest.raises(RemoteError) as unknown:
        RemoteEngine.connect(llama_server.url, "gpt-4")
    assert "has no model named 'gpt-4'" in str(unknown.value)
    assert llama_server.model_name in str(unknown.value)


def test_prompts_are_fitted_to_the_servers_window(start_llama_server, server_model_dir: Path) -> None:
    server = start_llama_server(n_ctx=256)  # llama.cpp's smallest context (it rounds 128 up to 256)
    long_prompt = " ".join([PROMPT] * 40)  # ~800 tokens
    tokenizer = load_tokenizer(server_model_dir)
    settings = GREEDY.replace(max_new_tokens=16)
    fitted = RemoteEngine.connect(server.url, window=256, tokenizer=tokenizer)
    unfitted = RemoteEngine.connect(server.url, window=1024, tokenizer=tokenizer)
    try:
        result = fitted.complete(long_prompt, settings)
        assert result.trimmed
        assert 220 <= result.prompt_tokens <= 256 - 16  # cut at a word, as the local engine does
        assert result.text
        # The same prompt fitted to a window the server does not have is refused: fitting is what works.
        with pytest.raises(RemoteError) as refused:
            unfitted.complete(long_prompt, settings)
        # llama-cpp-python answers 200 and then ends the stream: nothing arrived, so it is an error,
        # and its likely cause is named.
        assert refused.value.kind == errors.CUT
        assert "ended the stream before any text arrived" in str(refused.value)
        assert "the prompt may be longer than the server's window" in str(refused.value)
        with pytest.raises(SettingsError, match="window of 256 tokens"):
            fitted.complete(PROMPT, settings.replace(max_new_tokens=256))
    finally:
        fitted.close()
        unfitted.close()


LENS_TEXT = "The lighthouse keeper wrote a letter, a café naïve 😀 smile, every evening."


@pytest.fixture(scope="module")
def local_lens(server_model_dir: Path):
    """The same model on this computer: the lens's numbers the server's must agree with."""
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.models.loading import load_model

    return Engine(load_model(server_model_dir, device="cpu", precision="fp32"))


def test_the_lens_reads_the_servers_prompt_log_probabilities(remote: RemoteEngine, local_lens) -> None:
    scores = remote.score(LENS_TEXT, top=5)
    expected = local_lens.score(LENS_TEXT, top=5).tokens[1:]  # the server leaves the first token empty
    assert [(t.text, t.offset) for t in scores.tokens] == [(t.text, t.offset) for t in expected]
    assert scores.tokens[0].offset == len("The")  # from the second token on
    assert "".join(t.text for t in scores.tokens) == LENS_TEXT[len("The") :]
    for got, want in zip(scores.tokens, expected, strict=True):
        assert got.logprob == pytest.approx(want.logprob, abs=2e-3)
        assert len(got.top) == 5
        assert got.top[0].logprob == pytest.approx(want.top[0].logprob, abs=2e-3)
        if want.rank <= 3:  # clear of the near-ties a random model's flat distribution has further down
            assert got.rank <= 5
        else:
            assert got.rank > 1
    assert scores.windows == 1
    assert not scores.cancelled
    assert scores.perplexity == pytest.approx(
        math.exp(-sum(t.logprob for t in expected) / len(expected)), rel=1e-3
    )


def test_a_text_longer_than_the_servers_window_is_read_in_windows(
    llama_server: LlamaServer, server_model_dir: Path, local_lens
) -> None:
    # A window of 64 (a setting: llama-cpp-python does not report its own) keeps the server's work small.
    engine = RemoteEngine.connect(llama_server.url, window=64, tokenizer=load_tokenizer(server_model_dir))
    try:
        text = " ".join([LENS_TEXT] * 6)  # ~100 tokens: windows of 57 (64, less room to spare) at 28
        progress: list[tuple[int, int]] = []
        scores = engine.score(text, top=3, on_progress=lambda done, total: progress.append((done, total)))
        ids = engine.tokenize(text)
        assert scores.windows == 3
        assert len(scores.tokens) == len(ids) - 1
        expected = local_lens.score(text, top=3).tokens[1:]
        assert [(t.text, t.offset) for t in scores.tokens] == [(t.text, t.offset) for t in expected]
        # The first window's tokens saw the same context as on this computer: the same numbers; later
        # ones see less (at least half a window) than the local model's 1024 tokens, so they differ.
        for got, want in zip(scores.tokens[:55], expected[:55], strict=True):
            assert got.logprob == pytest.approx(want.logprob, abs=2e-3)
        later = zip(scores.tokens[60:], expected[60:], strict=True)
        assert any(abs(got.logprob - want.logprob) > 1e-3 for got, want in later)
        assert progress[-1] == (len(ids) - 1, len(ids) - 1)
        assert len(progress) == 3
        cancel = threading.Event()
        cancel.set()
        assert engine.score(text, cancel=cancel).cancelled
    finally:
        engine.close()


def test_the_lens_is_unavailable_where_the_servers_tokens_are_not_gpt2s(
    llama_server: LlamaServer, tiny_model_dir: Path
) -> None:
    # A local tokenizer with another vocabulary stands for a server running another model.
    other = RemoteEngine.connect(llama_server.url, tokenizer=load_tokenizer(tiny_model_dir))
    bare = RemoteEngine.connect(llama_server.url)
    try:
        with pytest.raises(UnavailableError, match="other tokens than GPT-2"):
            other.score(LENS_TEXT)
        with pytest.raises(UnavailableError, match="needs a GPT-2 on this computer"):
            bare.score(LENS_TEXT)
    finally:
        other.close()
        bare.close()


def test_word_alternatives_say_they_are_unavailable_for_this_server(remote: RemoteEngine) -> None:
    with pytest.raises(UnavailableError):
        remote.next_token_logprobs([1, 2, 3])
    assert remote.ignored_settings() == ()  # llama.cpp honours them all (healing through logit_bias)


def test_without_a_local_tokenizer_a_prompt_is_fitted_by_its_bytes(start_llama_server) -> None:
    server = start_llama_server(n_ctx=256)
    engine = RemoteEngine.connect(server.url, window=256)
    try:
        result = engine.complete("é" * 500, GREEDY.replace(max_new_tokens=16))
        assert result.trimmed
        assert result.prompt_tokens <= 240  # bytes: never fewer than the tokens, so the server accepts it
    finally:
        engine.close()


def test_nothing_listening_is_refused_fast() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: the connection is refused
        started = time.perf_counter()
        with pytest.raises(RemoteError) as down:
            RemoteEngine.connect(f"http://127.0.0.1:{port}")
    assert down.value.kind == errors.DOWN
    assert time.perf_counter() - started < 5


def test_a_scoring_stopped_and_run_again_asks_the_server_only_for_the_windows_it_lacks(
    llama_server: LlamaServer, server_model_dir: Path
) -> None:
    """A suggestion stops the lens (the worker then runs it again): windows answered are not asked again."""
    engine = RemoteEngine.connect(llama_server.url, window=64, tokenizer=load_tokenizer(server_model_dir))
    asked: list[str] = []
    send = engine.client.complete

    def counting(payload, **options):  # the real request, counted
        asked.append(payload["prompt"])
        return send(payload, **options)

    engine.client.complete = counting
    try:
        text = " ".join([LENS_TEXT] * 6)  # 3 windows
        cancel = threading.Event()
        first = engine.score(text, top=3, cancel=cancel, on_progress=lambda done, total: cancel.set())
        assert first.cancelled
        assert len(asked) == 1
        again = engine.score(text, top=3)
        assert not again.cancelled
        assert again.windows == 3
        assert len(asked) == 3  # the first window's answer was kept
        fresh = RemoteEngine.connect(llama_server.url, window=64, tokenizer=load_tokenizer(server_model_dir))
        try:
            assert again.tokens == fresh.score(text, top=3).tokens
        finally:
            fresh.close()
        engine.score(text, top=5)
        assert len(asked) == 6  # other numbers asked for: other answers
    finally:
        engine.close()

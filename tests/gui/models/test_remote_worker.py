"""The model worker switches to a saved server as it switches models, streams, cancels and scores on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpt2_studio import paths
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.remote.servers import SavedServer, add_server, server_ref
from gpt2_studio.gui.models.worker import GenerationRequest, ScoreRequest, WorkerThread, next_request_id
from tests.llama_server import LlamaServer

pytestmark = pytest.mark.server


@pytest.fixture
def worker_thread():
    thread = WorkerThread()
    yield thread
    thread.stop()
    assert thread.thread.isFinished()


def _collect(signal) -> list[tuple]:
    """What a worker signal carried; polled with waitUntil (waitSignal's timer is not for other threads)."""
    got: list[tuple] = []
    signal.connect(lambda *args: got.append(args))
    return got


def test_a_saved_server_is_loaded_like_a_model_and_streams_suggestions(
    qtbot, worker_thread, llama_server: LlamaServer
) -> None:
    add_server(SavedServer("box", llama_server.url, window=1024))
    worker = worker_thread.worker
    loaded = _collect(worker.model_loaded)
    worker.load(server_ref("box"))
    qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
    info = loaded[0][0]
    assert info.ref == "server:box"
    assert info.device == "remote"
    assert info.folder == llama_server.url
    assert info.n_positions == 1024
    assert info.warnings == ("The server (llama.cpp (llama-cpp-python)) ignores: token_healing.",)
    pieces: list[str] = []
    worker.chunk.connect(lambda _rid, index, text: pieces.append(text) if index == 0 else None)
    request = GenerationRequest(
        next_request_id(), "The lighthouse", SamplingSettings(max_new_tokens=16, seed=4)
    )
    done = _collect(worker.finished)
    worker.submit(request)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    completion = done[0][1]
    assert completion.text
    assert "".join(pieces) == completion.text


def test_cancel_closes_the_servers_stream(qtbot, worker_thread, start_llama_server) -> None:
    # A server of its own: llama-cpp-python may stay locked after a stream closed mid-generation.
    add_server(SavedServer("box", start_llama_server().url))
    worker = worker_thread.worker
    loaded = _collect(worker.model_loaded)
    worker.load(server_ref("box"))
    qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
    worker.chunk.connect(lambda *_args: worker.cancel())  # cancel as soon as the first piece arrives
    request = GenerationRequest(
        next_request_id(), "The lighthouse", SamplingSettings(max_new_tokens=900, seed=4)
    )
    done = _collect(worker.finished)
    worker.submit(request)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    completion = done[0][1]
    assert completion.cancelled
    assert len(completion.text) < 900


def test_an_unknown_server_fails_in_one_sentence(qtbot, worker_thread) -> None:
    failed = _collect(worker_thread.worker.model_failed)
    worker_thread.worker.load(server_ref("nowhere"))
    qtbot.waitUntil(lambda: bool(failed), timeout=10_000)
    assert failed[0][0] == "No server is named 'nowhere'; add it in the model manager (Add a server…)."


def test_the_lens_scores_on_a_server_through_the_worker(
    qtbot, worker_thread, llama_server: LlamaServer, server_model_dir: Path
) -> None:
    # A GPT-2 on this computer lends its tokenizer (the same vocabulary as the server's model).
    shutil.copytree(server_model_dir, paths.models_dir() / "gpt2")
    add_server(SavedServer("box", llama_server.url))
    worker = worker_thread.worker
    loaded = _collect(worker.model_loaded)
    worker.load(server_ref("box"))
    qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
    scored, failed = _collect(worker.scored), _collect(worker.score_failed)
    text = "The lighthouse keeper wrote a letter every evening."
    request = ScoreRequest(next_request_id(), text, top=3)
    worker.score(request)
    qtbot.waitUntil(lambda: bool(scored or failed), timeout=30_000)
    assert failed == []
    rid, scores = scored[0]
    assert rid == request.request_id
    assert "".join(token.text for token in scores.tokens) == text[len("The") :]
    assert all(token.logprob < 0 and len(token.top) == 3 for token in scores.tokens)


def test_the_lens_says_why_it_is_unavailable_without_a_local_gpt2(
    qtbot, worker_thread, llama_server: LlamaServer
) -> None:
    add_server(SavedServer("box", llama_server.url))
    worker = worker_thread.worker
    loaded = _collect(worker.model_loaded)
    worker.load(server_ref("box"))
    qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
    failed = _collect(worker.score_failed)
    worker.score(ScoreRequest(next_request_id(), "The lighthouse keeper"))
    qtbot.waitUntil(lambda: bool(failed), timeout=30_000)
    assert "needs a GPT-2 on this computer" in failed[0][1]


def test_a_suggestion_does_not_wait_for_the_lens_window_the_server_is_working_on(
    qtbot, worker_thread, start_llama_server, server_model_dir: Path
) -> None:
    """The scoring's request is dropped when a suggestion comes; the suggestion's request goes out at
    once. (llama-cpp-python itself still finishes the window before it starts the suggestion.)"""
    import time

    shutil.copytree(server_model_dir, paths.models_dir() / "gpt2")
    # A server of its own: this one is left busy with the dropped window.
    add_server(SavedServer("box", start_llama_server(n_ctx=256).url, window=256))
    worker = worker_thread.worker
    loaded = _collect(worker.model_loaded)
    worker.load(server_ref("box"))
    qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
    client = worker._engine.client
    text = " ".join(f"Line {i} of the keeper's log." for i in range(25))  # ~200 tokens: one window
    worker.score(ScoreRequest(next_request_id(), text, top=3))
    # The window's request has reached the server, which takes seconds to answer it (llama-cpp-python
    # sorts the vocabulary's log-probabilities for each token in Python); a moment for it to begin.
    qtbot.waitUntil(
        lambda: any(c.stage.endswith("receive_response_headers.started") for c in client._waiting),
        timeout=30_000,
    )
    qtbot.wait(500)
    done = _collect(worker.finished)
    asked = time.perf_counter()
    worker.submit(GenerationRequest(next_request_id(), "The lighthouse", SamplingSettings(max_new_tokens=4)))
    qtbot.waitUntil(lambda: bool(client._open), timeout=3_000)  # the suggestion's stream is open
    opened = time.perf_counter() - asked
    qtbot.waitUntil(lambda: bool(done), timeout=60_000)
    answered = time.perf_counter() - asked
    assert opened < 2.0
    assert answered > opened + 1.0  # the window the server was still working on (the test has teeth)
    assert done[0][1].text

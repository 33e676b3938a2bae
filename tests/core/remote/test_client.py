"""The completions client's failures, each one sentence: 429 retried and reported, a chat-only server,
an address that is not the API, and TLS spoken to a plain-HTTP server.

A scripted stand-in answers here (a real llama.cpp server never sends 429 or lacks /v1/completions);
the rest of the client is tested against the real server in test_remote_engine.py.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest

from gpt2_studio.core.remote import errors
from gpt2_studio.core.remote.client import CompletionsClient
from gpt2_studio.core.remote.errors import RemoteError

MODELS = {"object": "list", "data": [{"id": "gpt2", "object": "model", "owned_by": "vllm"}]}


class Script:
    """What the stand-in answers: a list of (status, headers, body) per path, used up in order."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.seen: list[str] = []
        self.bodies: list[dict] = []
        self.hold: threading.Event | None = None  # while set to an unset event, answers wait for it
        self.arrived = threading.Event()  # a request has arrived (and waits, if held)


def _sse(*texts: str) -> bytes:
    events = [
        "data: " + json.dumps({"choices": [{"index": 0, "text": text, "finish_reason": None}]}) + "\n\n"
        for text in texts
    ]
    return ("".join(events) + "data: [DONE]\n\n").encode()


@pytest.fixture
def stand_in() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                script.bodies.append(json.loads(self.rfile.read(length)))
            script.seen.append(f"{self.command} {self.path}")
            script.arrived.set()
            if script.hold is not None:
                script.hold.wait(10)  # a server still working on the answer
            queue = script.answers.get(self.path) or [(404, {}, b'{"detail": "Not Found"}')]
            status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_429_is_retried_with_backoff_and_each_retry_is_reported(stand_in) -> None:
    url, script = stand_in
    busy = (429, {"retry-after": "3"}, b'{"error": {"message": "rate limited"}}')
    script.answers["/v1/completions"] = [
        busy,
        busy,
        (200, {"content-type": "text/event-stream"}, _sse("Hi", "!")),
    ]
    notices: list[str] = []
    waits: list[float] = []
    client = CompletionsClient(url, on_notice=notices.append, sleep=waits.append)
    try:
        chunks = list(client.stream({"model": "gpt2", "prompt": "x"}))
    finally:
        client.close()
    assert [chunk["choices"][0]["text"] for chunk in chunks] == ["Hi", "!"]
    assert waits == [3.0, 3.0]  # the server's Retry-After
    assert len(notices) == 2
    assert "busy (429 Too Many Requests); retrying in 3 s (retry 1 of 3)" in notices[0]
    assert script.bodies[-1]["stream"] is True


def test_429_that_lasts_gives_up_in_one_sentence(stand_in) -> None:
    url, script = stand_in
    script.answers["/v1/completions"] = [(429, {}, b"{}")]
    waits: list[float] = []
    client = CompletionsClient(url, sleep=waits.append, retries=2)
    with pytest.raises(RemoteError) as busy:
        client.complete({"model": "gpt2", "prompt": "x"})
    client.close()
    assert busy.value.kind == errors.RATE_LIMITED
    assert waits == [1.0, 2.0]  # doubling backoff without Retry-After
    assert str(busy.value).endswith("after 2 retries; try again later.")


def test_a_chat_only_server_is_named_as_such(stand_in) -> None:
    url, script = stand_in
    script.answers["/v1/models"] = [(200, {}, json.dumps(MODELS).encode())]
    client = CompletionsClient(url)
    assert client.models()[0]["id"] == "gpt2"
    with pytest.raises(RemoteError) as chat:
        list(client.stream({"model": "gpt2", "prompt": "x"}))
    client.close()
    assert chat.value.kind == errors.CHAT_ONLY
    assert "may speak only chat" in str(chat.value)


def test_a_web_page_where_the_api_should_be_is_a_wrong_address(stand_in) -> None:
    url, script = stand_in
    script.answers["/v1/models"] = [(200, {"content-type": "text/html"}, b"<html>router login</html>")]
    client = CompletionsClient(url)
    with pytest.raises(RemoteError) as wrong:
        client.models()
    client.close()
    assert wrong.value.kind == errors.WRONG_URL
    assert "check the address" in str(wrong.value)


def test_https_to_a_plain_http_server_is_a_tls_error(stand_in) -> None:
    url, _script = stand_in
    client = CompletionsClient(url.replace("http://", "https://"))
    with pytest.raises(RemoteError) as tls:
        client.models()
    client.close()
    assert tls.value.kind == errors.TLS
    assert "secure connection" in str(tls.value)


def test_a_stream_that_stops_without_done_is_cut(stand_in) -> None:
    url, script = stand_in
    body = _sse("Once", " upon").replace(b"data: [DONE]\n\n", b"")
    script.answers["/v1/completions"] = [(200, {"content-type": "text/event-stream"}, body)]
    client = CompletionsClient(url)
    got: list[str] = []

    def read() -> None:
        got.extend(chunk["choices"][0]["text"] for chunk in client.stream({"model": "gpt2", "prompt": "x"}))

    with pytest.raises(RemoteError) as cut:
        read()
    client.close()
    assert got == ["Once", " upon"]
    assert cut.value.kind == errors.CUT


def test_a_stream_that_ends_before_any_text_names_the_window_as_the_likely_cause(stand_in) -> None:
    url, script = stand_in
    empty = b'data: {"choices": [{"index": 0, "text": "", "finish_reason": null}]}\n\n'
    script.answers["/v1/completions"] = [(200, {"content-type": "text/event-stream"}, empty)]
    client = CompletionsClient(url)
    with pytest.raises(RemoteError) as cut:
        list(client.stream({"model": "gpt2", "prompt": "x"}))
    client.close()
    assert cut.value.kind == errors.CUT
    assert str(cut.value) == (
        f"The server at {url}/v1 ended the stream before any text arrived: the prompt may be longer than "
        "the server's window; set it with --window N (or on the server's entry)."
    )


@pytest.mark.parametrize(
    ("status", "words"),
    [
        # llama-cpp-python's, vLLM's and TGI's own words for a prompt over the window
        (400, "This model's maximum context length is 256 tokens, however you requested 406 tokens"),
        (422, "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 1024. Given: 1500"),
    ],
)
def test_a_refusal_for_a_prompt_over_the_window_says_to_set_the_window(stand_in, status, words) -> None:
    url, script = stand_in
    body = json.dumps({"error": {"message": words, "code": "context_length_exceeded"}}).encode()
    script.answers["/v1/completions"] = [(status, {}, body)]
    client = CompletionsClient(url)
    with pytest.raises(RemoteError) as refused:
        list(client.stream({"model": "gpt2", "prompt": "x"}))
    client.close()
    assert refused.value.kind == errors.BAD_REQUEST
    assert str(refused.value).endswith(
        "; the prompt may be longer than the server's window; set it with --window N (or on the server's "
        "entry)."
    )
    assert words.rstrip(".") in str(refused.value)


def test_an_error_event_about_the_context_says_to_set_the_window(stand_in) -> None:
    url, script = stand_in
    event = {"error": {"message": "Requested tokens (702) exceed context window of 256"}}
    body = f"data: {json.dumps(event)}\n\n".encode()
    script.answers["/v1/completions"] = [(200, {"content-type": "text/event-stream"}, body)]
    client = CompletionsClient(url)
    with pytest.raises(RemoteError, match=r"exceed context window of 256; the prompt may be longer than"):
        list(client.stream({"model": "gpt2", "prompt": "x"}))
    client.close()


def test_close_stream_wakes_a_read_waiting_on_a_silent_server() -> None:
    """Cancel is at once even when the server sends nothing more (a read blocked in the socket)."""
    release = threading.Event()

    class Silent(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            event = _sse("Hi").split(b"data: [DONE]")[0]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
            release.wait(30)  # then silence: no more events, no end

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    client = CompletionsClient(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        chunks = client.stream({"model": "gpt2", "prompt": "x"})
        assert next(chunks)["choices"][0]["text"] == "Hi"
        timer = threading.Timer(0.2, client.close_stream)
        timer.start()
        started = time.perf_counter()
        assert list(chunks) == []  # ends quietly: a cancel is not a failure
        assert time.perf_counter() - started < 2
        timer.join()
    finally:
        client.close()
        release.set()
        server.shutdown()
        thread.join()
        server.server_close()


class _Paused(http.server.BaseHTTPRequestHandler):
    """Streams "Hi", waits for the server's `release` event, then " there" and [DONE]."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        first, rest = _sse("Hi").split(b"data: [DONE]")
        self._chunk(first)
        self.server.release.wait(30)  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):  # the stream closed by its client: the rest goes nowhere
            self._chunk(_sse(" there"))
            self._chunk(b"")


@pytest.fixture
def paused_server() -> Iterator[tuple[str, threading.Event]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Paused)
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.release  # type: ignore[attr-defined]
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
    thread.join()


def _texts(chunks) -> list[str]:
    return [chunk["choices"][0]["text"] for chunk in chunks]


def test_closing_one_requests_stream_leaves_another_requests_stream_open(paused_server) -> None:
    """A cancel is tied to its request: one meant for a request that has ended cannot stop a newer one."""
    url, release = paused_server
    client = CompletionsClient(url)
    old, new = threading.Event(), threading.Event()
    try:
        old_chunks = client.stream({"model": "gpt2", "prompt": "x"}, cancel=old)
        new_chunks = client.stream({"model": "gpt2", "prompt": "y"}, cancel=new)
        assert _texts([next(old_chunks)]) == ["Hi"]
        assert _texts([next(new_chunks)]) == ["Hi"]
        old.set()
        client.close_stream(old)
        assert list(old_chunks) == []  # closed at once, quietly
        release.set()
        assert _texts(new_chunks) == [" there"]  # untouched: it runs to its [DONE]
        assert not new.is_set()
    finally:
        client.close()


def test_a_stream_whose_request_was_cancelled_before_it_opened_ends_at_once(paused_server) -> None:
    url, _release = paused_server
    client = CompletionsClient(url)
    cancel = threading.Event()
    cancel.set()  # cancelled between the engine's last check and the request going out
    try:
        started = time.perf_counter()
        assert list(client.stream({"model": "gpt2", "prompt": "x"}, cancel=cancel)) == []
        assert time.perf_counter() - started < 2  # did not wait for the paused server
    finally:
        client.close()


@pytest.mark.parametrize("window", [0, -1, 15, 1_048_577, True, 1024.0])
def test_a_window_that_is_no_window_is_refused_before_any_request(stand_in, window) -> None:
    from gpt2_studio.core.errors import SettingsError
    from gpt2_studio.core.remote.engine import RemoteEngine

    url, script = stand_in
    with pytest.raises(SettingsError, match="window must be a whole number of tokens from 16 to 1,048,576"):
        RemoteEngine.connect(url, window=window)
    assert script.seen == []  # refused before asking the server


def test_no_window_means_the_servers_else_gpt2s_and_a_window_is_used_as_given(stand_in) -> None:
    from gpt2_studio.core.remote.engine import DEFAULT_WINDOW, RemoteEngine

    url, script = stand_in
    script.answers["/v1/models"] = [(200, {}, json.dumps(MODELS).encode())]
    for window, expected in ((None, DEFAULT_WINDOW), (16, 16), (4096, 4096)):
        engine = RemoteEngine.connect(url, window=window)
        engine.close()
        assert (engine.model.n_positions, engine.model.window_reported) == (expected, False)
    reported = {"data": [{**MODELS["data"][0], "max_model_len": 2048}]}
    script.answers["/v1/models"] = [(200, {}, json.dumps(reported).encode())]
    engine = RemoteEngine.connect(url, window=512)  # what the server says wins over a setting
    engine.close()
    assert (engine.model.n_positions, engine.model.window_reported) == (2048, True)


def test_a_plain_request_is_dropped_at_once_when_its_cancel_comes_while_the_server_works(stand_in) -> None:
    """The lens's window requests: a suggestion must not wait until the server has answered one."""
    url, script = stand_in
    answer = {"choices": [{"text": "!"}]}
    script.answers["/v1/completions"] = [(200, {}, json.dumps(answer).encode())]
    script.hold = threading.Event()
    client = CompletionsClient(url)
    mine, other = threading.Event(), threading.Event()
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(client.complete({"prompt": "x"}, cancel=mine)))
    try:
        waiter.start()
        assert script.arrived.wait(10)
        client.close_stream(other)  # another request's cancel leaves this one waiting
        waiter.join(0.3)
        assert waiter.is_alive()
        started = time.perf_counter()
        mine.set()
        client.close_stream(mine)
        waiter.join(5)
        assert time.perf_counter() - started < 1  # not the 10 s the server would still take
        assert not waiter.is_alive()
        assert got == [None]
    finally:
        script.hold.set()
        waiter.join(5)
    script.hold = None
    assert client.complete({"prompt": "x"}, cancel=other) == answer  # the client serves the next one
    already = threading.Event()
    already.set()
    seen = len(script.seen)
    assert client.complete({"prompt": "x"}, cancel=already) is None
    assert len(script.seen) == seen  # a request cancelled before it began is never sent
    client.close()

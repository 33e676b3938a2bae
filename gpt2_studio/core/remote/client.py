"""The HTTP side of a completions server: /v1/models and /v1/completions, plain or streamed.

httpx2 (which huggingface_hub brings) does the HTTP with timeouts and parses server-sent events with
its EventSource (derived from httpx-sse), so no event parser is written here. Every failure becomes a
RemoteError whose message is one sentence; a 429 is retried with backoff, and each retry is reported
through `on_notice` so the user knows why the suggestion is late.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx2

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.remote import errors
from gpt2_studio.core.remote.errors import RemoteError

log = logging.getLogger(__name__)

CONNECT_SECONDS = 10.0
# Between two pieces of a stream (or for a whole plain answer): a busy GPU server may queue a request.
READ_SECONDS = 120.0
RETRIES = 3  # 429 answers retried before giving up
MAX_BACKOFF_SECONDS = 30.0


def normalise_url(url: str) -> str:
    """The API's base address, ending in /v1 ("http://gpu-box:8000" → "http://gpu-box:8000/v1").

    Raises SettingsError (one sentence) for text that is not an http(s) address, and for an address that
    carries a user name and password or a query (a key there would be saved and printed with it): the
    sentence never repeats them.
    """
    text = url.strip()
    parts = urlsplit(text)
    if "@" in parts.netloc:
        raise SettingsError(
            "A server address cannot hold a user name or password (user:password@); give the server an "
            "API key instead, with --api-key-env VAR."
        )
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"A server address starts with http:// or https:// and names a host, like "
            f"http://gpu-box:8000/v1, not {_without_credentials(text)!r}."
        )
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise SettingsError(
            "A server address cannot carry a query or fragment (?… or #…); give the server an API key "
            "with --api-key-env VAR instead."
        )
    path = parts.path.rstrip("/")
    for tail in ("/completions", "/chat/completions", "/models"):
        if path.endswith("/v1" + tail):
            path = path[: -len(tail)]
    if not path.endswith("/v1"):
        path += "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _without_credentials(text: str) -> str:
    """text with anything before an @ and any query left out, for quoting it back to the user."""
    text = text.split("?", 1)[0]
    return text.rsplit("@", 1)[-1] if "@" in text else text


# What servers say when a prompt and max_tokens overflow the model's window: llama.cpp ("exceed context
# window", "context_length_exceeded"), vLLM ("maximum context length"), TGI ("must be <= N").
_OVER_WINDOW = re.compile(r"context|maximum .{0,20}length|must be <=|too long|exceed", re.IGNORECASE)
WINDOW_HINT = (
    "the prompt may be longer than the server's window; set it with --window N (or on the server's entry)"
)


def _server_words(response: httpx2.Response) -> str:
    """The server's own explanation from an error body (OpenAI's, FastAPI's or TGI's shape), or ""."""
    try:
        body = json.loads(response.read() or b"null")
    except (ValueError, httpx2.HTTPError):
        return ""
    detail: Any = body
    if isinstance(body, dict):
        detail = body.get("error", body.get("detail", body.get("message", "")))
        if isinstance(detail, dict):
            detail = detail.get("message", "")
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail
        )
    text = " ".join(str(detail or "").split())
    return text[:300]


class CompletionsClient:
    """One server's completions API. Thread-safe; `close_stream()` may be called from any thread."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        connect_seconds: float = CONNECT_SECONDS,
        read_seconds: float = READ_SECONDS,
        retries: int = RETRIES,
        on_notice: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = normalise_url(url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        timeout = httpx2.Timeout(read_seconds, connect=connect_seconds)
        self._http = httpx2.Client(base_url=self.url + "/", headers=headers, timeout=timeout)
        # Plain requests that may be cancelled go on connections of their own (none kept alive), so that
        # each one's socket is known from the moment it connects and can be shut down mid-wait.
        self._own = httpx2.Client(
            base_url=self.url + "/", headers=headers, timeout=timeout,
            limits=httpx2.Limits(max_keepalive_connections=0),
        )  # fmt: skip
        self._retries = retries
        self._sleep = sleep
        self.on_notice = on_notice
        self._lock = threading.Lock()
        # The streams open now, each with the cancel event of the request it serves (None: untagged).
        self._open: dict[httpx2.Response, threading.Event | None] = {}
        # The cancellable plain requests waiting now, each with its request's cancel event.
        self._waiting: dict[_Connection, threading.Event] = {}

    def close(self) -> None:
        """Close every connection (and any stream still open)."""
        self.close_stream()
        self._http.close()
        self._own.close()

    # -- requests -------------------------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        """The server's /v1/models entries (each a dict with at least "id")."""
        body = self._send("GET", "models", None)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) and "id" in item for item in data):
            raise RemoteError(
                f"The server at {self.url} answered /v1/models with something other than a model list; "
                "check the address.",
                kind=errors.WRONG_URL,
            )
        return data

    def complete(
        self, payload: dict[str, Any], *, cancel: threading.Event | None = None
    ) -> dict[str, Any] | None:
        """POST /v1/completions without streaming; the answer's JSON.

        cancel: the request's cancel event; close_stream(cancel) (or close_stream()) then drops the
        connection at once, even while the server is still working on the answer, and this returns
        None, as it does when the event is already set.
        """
        body = self._send("POST", "completions", payload, cancel)
        if body is None and cancel is not None and cancel.is_set():
            return None
        if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
            raise RemoteError(
                f"The server at {self.url} answered /v1/completions without choices.", kind=errors.SERVER
            )
        return body

    def stream(
        self, payload: dict[str, Any], *, cancel: threading.Event | None = None
    ) -> Generator[dict[str, Any], None, None]:
        """POST /v1/completions with stream: true; yields each event's JSON until [DONE].

        cancel: the request's cancel event; close_stream(cancel) closes this stream and no other, and a
        stream whose event is already set when it opens ends at once. Raises RemoteError(kind=CUT) when
        the stream ends or breaks before [DONE]: the caller keeps what arrived. A stream closed by
        close_stream() just ends.
        """
        payload = {**payload, "stream": True}
        for attempt in range(self._retries + 1):
            with self._guard(), self._http.sse("completions", method="POST", json=payload) as events:
                response = events.response
                if response.status_code == 429 and attempt < self._retries:
                    self._back_off(response, attempt)
                    continue
                if response.status_code >= 400:
                    raise self._status_error(response, "completions")
                with self._lock:
                    self._open[response] = cancel
                try:
                    # After registering: a cancel either sees this stream (and closes it) or set the
                    # event before this check, so none is missed between the two.
                    if cancel is not None and cancel.is_set():
                        return
                    yield from self._events(events, response)
                    return
                finally:
                    with self._lock:
                        self._open.pop(response, None)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def close_stream(self, cancel: threading.Event | None = None) -> None:
        """Close streams in flight at once (cancel): their readers end with what they have; plain
        requests made with a cancel event (complete(cancel=…)) are dropped and return None.

        cancel: close only the requests made with this cancel event (one request's); None closes all.
        """
        with self._lock:
            responses = [r for r, tag in self._open.items() if cancel is None or tag is cancel]
            for response in responses:
                del self._open[response]
            waiting = [c for c, tag in self._waiting.items() if cancel is None or tag is cancel]
        for response in responses:
            _shut_down(response)
        for connection in waiting:
            connection.shut_down()

    # -- internals ------------------------------------------------------------------------------
    def _events(self, events: httpx2.EventSource, response: httpx2.Response) -> Iterator[dict[str, Any]]:
        # llama.cpp's server answers a prompt over its window with 200, then ends the stream with no
        # token (its log says "exceed context window"): a stream that ends before any text did is told
        # apart from one cut mid-suggestion, with the likely cause.
        texts = False
        try:
            for event in events:
                if event.data.strip() == "[DONE]":
                    return
                if not event.data.strip():
                    continue  # keep-alive pings
                try:
                    chunk = json.loads(event.data)
                except ValueError:
                    raise RemoteError(
                        f"The server at {self.url} sent a stream event that is not JSON.", kind=errors.SERVER
                    ) from None
                if isinstance(chunk, dict) and "error" in chunk and "choices" not in chunk:
                    detail = chunk["error"]
                    words = str(detail.get("message", detail) if isinstance(detail, dict) else detail)
                    hint = f"; {WINDOW_HINT}" if _OVER_WINDOW.search(words) else ""
                    raise RemoteError(
                        f"The server at {self.url} stopped the suggestion with an error: {words}{hint}",
                        kind=errors.SERVER,
                    )
                if isinstance(chunk, dict):
                    texts = texts or _has_text(chunk)
                    yield chunk
        except (httpx2.StreamClosed, httpx2.ResponseNotRead):
            return  # close_stream(): a cancel, not a failure
        except httpx2.SSEError:
            raise RemoteError(
                f"The server at {self.url} did not answer with a stream of events; it may not support "
                "streaming completions.",
                kind=errors.SERVER,
            ) from None
        except (httpx2.TransportError, httpx2.StreamError) as error:
            if response.is_closed and not self._is_open(response):
                return  # closed by close_stream() while a read waited
            if not texts:
                raise self._ended_without_text(f" ({type(error).__name__})") from error
            raise RemoteError(
                f"The connection to {self.url} broke mid-suggestion ({type(error).__name__}); "
                "the text that arrived is kept.",
                kind=errors.CUT,
            ) from error
        if not self._is_open(response):
            return
        if not texts:
            raise self._ended_without_text("")
        raise RemoteError(
            f"The server at {self.url} ended the stream before it finished; the text that arrived is kept.",
            kind=errors.CUT,
        )

    def _ended_without_text(self, why: str) -> RemoteError:
        return RemoteError(
            f"The server at {self.url} ended the stream before any text arrived{why}: {WINDOW_HINT}.",
            kind=errors.CUT,
        )

    def _is_open(self, response: httpx2.Response) -> bool:
        with self._lock:
            return response in self._open

    def _send(
        self, method: str, path: str, payload: dict[str, Any] | None, cancel: threading.Event | None = None
    ) -> Any:
        """The answer's JSON; None when cancel is set (before or while the request waits)."""
        for attempt in range(self._retries + 1):
            if cancel is None:
                with self._guard():
                    response = self._http.request(method, path, json=payload)
            else:
                answer = self._cancellable(method, path, payload, cancel)
                if answer is None:
                    return None
                response = answer
            if response.status_code == 429 and attempt < self._retries:
                self._back_off(response, attempt)
                continue
            if response.status_code >= 400:
                raise self._status_error(response, path)
            try:
                return response.json()
            except ValueError:
                raise RemoteError(
                    f"The server at {self.url} answered /v1/{path} with something other than JSON; "
                    "check the address (it usually ends in /v1).",
                    kind=errors.WRONG_URL,
                ) from None
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _cancellable(
        self, method: str, path: str, payload: dict[str, Any] | None, cancel: threading.Event
    ) -> httpx2.Response | None:
        """One request on a connection of its own that close_stream(cancel) shuts down; None if it did."""
        connection = _Connection()
        with self._lock:
            self._waiting[connection] = cancel
        try:
            # After registering: a cancel either finds this connection or set the event before this.
            if cancel.is_set():
                return None
            with self._guard():
                return self._own.request(method, path, json=payload, extensions={"trace": connection.trace})
        except RemoteError:
            if cancel.is_set():
                return None  # the connection shut down by the cancel, not a failure
            raise
        finally:
            with self._lock:
                self._waiting.pop(connection, None)

    def _back_off(self, response: httpx2.Response, attempt: int) -> None:
        wait = min(MAX_BACKOFF_SECONDS, 2.0**attempt)
        retry_after = response.headers.get("retry-after", "")
        if retry_after.strip().isdigit():
            wait = min(MAX_BACKOFF_SECONDS, float(retry_after))
        response.close()
        notice = (
            f"The server at {self.url} is busy (429 Too Many Requests); retrying in {wait:g} s "
            f"(retry {attempt + 1} of {self._retries})."
        )
        log.info(notice)
        if self.on_notice is not None:
            self.on_notice(notice)
        self._sleep(wait)

    def _status_error(self, response: httpx2.Response, path: str) -> RemoteError:
        status = response.status_code
        words = _server_words(response)
        said = f": {words}" if words else "."
        where = f"The server at {self.url}"
        if status in (401, 403):
            return RemoteError(
                f"{where} refused the request ({status}): the API key is missing or wrong{said}",
                kind=errors.UNAUTHORIZED,
                status=status,
            )
        if status == 429:
            return RemoteError(
                f"{where} is still busy (429 Too Many Requests) after {self._retries} retries; try again "
                "later.",
                kind=errors.RATE_LIMITED,
                status=status,
            )
        if path == "completions" and status in (404, 405, 501):
            return RemoteError(
                f"{where} has no completions endpoint ({status}); it may speak only chat "
                "(/v1/chat/completions), and GPT-2 Studio needs /v1/completions, as llama.cpp's server, "
                f"vLLM and TGI serve{said}",
                kind=errors.CHAT_ONLY,
                status=status,
            )
        if status in (404, 405):
            return RemoteError(
                f"{where} has no OpenAI-compatible API there ({status} for /v1/{path}); check the "
                "address (it usually ends in /v1).",
                kind=errors.WRONG_URL,
                status=status,
            )
        if status in (400, 413, 422):
            if _OVER_WINDOW.search(words):
                said = f"{said.rstrip('.')}; {WINDOW_HINT}."
            return RemoteError(
                f"{where} refused the request ({status}){said}", kind=errors.BAD_REQUEST, status=status
            )
        return RemoteError(f"{where} failed ({status}){said}", kind=errors.SERVER, status=status)

    def _guard(self) -> _TransportErrors:
        return _TransportErrors(self.url)


class _TransportErrors:
    """Turns httpx2's connection failures into RemoteErrors (one sentence each)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: object
    ) -> Literal[False]:
        if error is None or isinstance(error, RemoteError) or not isinstance(error, httpx2.TransportError):
            return False
        raise self.translate(error) from error

    def translate(self, error: httpx2.TransportError) -> RemoteError:
        """The sentence for one transport failure."""
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ssl.SSLError):
            cause = cause.__cause__ or cause.__context__
        text = str(error)
        if cause is not None or "CERTIFICATE" in text.upper() or "SSL" in text.upper():
            reason = getattr(cause, "reason", None) or text or type(error).__name__
            return RemoteError(
                f"The secure connection to {self.url} failed ({reason}): check that the address should "
                "be https, and that the server's certificate is trusted by this computer.",
                kind=errors.TLS,
            )
        if isinstance(error, httpx2.ConnectTimeout):
            return RemoteError(
                f"The server at {self.url} did not answer within {CONNECT_SECONDS:g} s; check the address "
                "and that the server is running.",
                kind=errors.TIMEOUT,
            )
        if isinstance(error, httpx2.TimeoutException):
            return RemoteError(
                f"The server at {self.url} stopped answering (no data for {READ_SECONDS:g} s).",
                kind=errors.TIMEOUT,
            )
        if isinstance(error, httpx2.ConnectError):
            return RemoteError(
                f"Cannot reach the server at {self.url} ({text or 'connection refused'}): is it running, "
                "and is the address right?",
                kind=errors.DOWN,
            )
        return RemoteError(
            f"The connection to {self.url} failed ({type(error).__name__}: {text}).", kind=errors.CUT
        )


class _Connection:
    """The socket of one cancellable request, learnt from httpcore's connection trace as it connects.

    shut_down() may come before the socket exists (the request is still connecting): it is then shut
    down as soon as it does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._closed = False
        self.stage = ""  # httpcore's last event ("http11.receive_response_headers.started": sent, waiting)

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback: keeps the socket of a new TCP (or TLS) connection."""
        self.stage = event
        if not event.endswith(("connect_tcp.complete", "start_tls.complete")):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._socket = sock
            closed = self._closed
        if closed:
            self._shut(sock)

    def shut_down(self) -> None:
        """End the request: its blocked read (or the connect under way) wakes with an error."""
        with self._lock:
            self._closed = True
            sock = self._socket
        if sock is not None:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed: nothing to wake
            sock.shutdown(socket.SHUT_RDWR)


def _has_text(chunk: dict[str, Any]) -> bool:
    """Whether a stream event carries any generated text."""
    choices = chunk.get("choices")
    return isinstance(choices, list) and any(
        isinstance(choice, dict) and choice.get("text") for choice in choices
    )


def _shut_down(response: httpx2.Response) -> None:
    """End a response another thread may be reading: shut its socket down, which wakes a blocked read.

    Closing the response from here would not: a read waiting on a silent server stays blocked (and
    httpx2 is not meant to be closed from a second thread). The reader then sees the connection end,
    and the stream's own `with` closes the response on the reader's thread.
    """
    network = response.extensions.get("network_stream")
    sock = network.get_extra_info("socket") if network is not None else None
    if sock is None:
        response.close()  # no socket to reach (another transport): the best that can be done
        return
    with contextlib.suppress(OSError):  # already closed: nothing to wake
        sock.shutdown(socket.SHUT_RDWR)

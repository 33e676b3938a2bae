"""What goes wrong talking to a server, each as one sentence a user can act on."""

from __future__ import annotations

from gpt2_studio.core.errors import GenerationError

# Why a request failed; tests and the GUI tell the cases apart by these, users by the sentence.
DOWN = "down"  # nothing listens at the address (connection refused, unknown host)
TIMEOUT = "timeout"  # the server did not answer in time
TLS = "tls"  # the HTTPS handshake failed (certificate, protocol)
WRONG_URL = "wrong_url"  # something answers, but no OpenAI-compatible API is there
UNAUTHORIZED = "unauthorized"  # 401/403: a key is missing or refused
RATE_LIMITED = "rate_limited"  # 429, after the retries ran out
CHAT_ONLY = "chat_only"  # the server has /chat/completions but no /completions for this model
BAD_REQUEST = "bad_request"  # 400/422: the server refused the request's values
SERVER = "server"  # 5xx or an answer that is not what the API promises
CUT = "cut"  # the stream ended before the server said it was done


class RemoteError(GenerationError):
    """A request to a server failed; the message is one sentence, `kind` one of the constants above."""

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
        super().__init__(message, device="remote")
        self.kind = kind
        self.status = status


class UnavailableError(RemoteError):
    """The server cannot do this (log-probabilities it does not return, for example)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="unavailable")

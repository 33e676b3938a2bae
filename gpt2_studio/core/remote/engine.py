"""RemoteEngine: the GenerationEngine that generates on a completions server instead of this computer.

It has the local Engine's public surface (core/generation/engine_protocol.py), so the GUI, presets and
the command line use either without knowing which. Prompts are fitted to the server model's window
with the local GPT-2 tokenizer when one is given (exact when the server runs a GPT-2 model); without
one, each UTF-8 byte counts as a token, an upper bound for GPT-2's byte-level BPE, so a prompt always
fits (with room to spare).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.alternatives import (
    FINISH_CANCELLED,
    FINISH_EOS,
    FINISH_LENGTH,
    FINISH_STOP,
)
from gpt2_studio.core.generation.context import Prompt, fit_context
from gpt2_studio.core.generation.engine import Completion, TextDelta, run_to_completion
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.remote import errors, kinds
from gpt2_studio.core.remote.client import CompletionsClient
from gpt2_studio.core.remote.errors import RemoteError, UnavailableError
from gpt2_studio.core.remote.kinds import ServerKind
from gpt2_studio.core.remote.text import RemoteText

if TYPE_CHECKING:
    import torch

    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.generation.engine_protocol import GenerationEngine
    from gpt2_studio.core.generation.scoring import Scores
    from gpt2_studio.core.models.tokenizer import GPT2BPETokenizer
    from gpt2_studio.core.remote.healing import ServerHealer
    from gpt2_studio.core.remote.scoring import WindowAnswers

log = logging.getLogger(__name__)

GPT2_EOS = 50256
DEFAULT_WINDOW = 1024  # GPT-2's, for a server that does not report its window and has no setting
EOS_TEXT = "<|endoftext|>"
_CONTEXT_CHARS = 64  # as the local engine: how much of the writer's text an end may look back at


@dataclass(frozen=True)
class RemoteModel:
    """The model a server runs, as the engine's users see it (the local LoadedModel's counterpart)."""

    name: str  # the id the server reports in /v1/models
    url: str  # the API's base address (…/v1)
    n_positions: int  # the window in tokens
    kind: ServerKind
    window_reported: bool = False  # whether the window came from the server (else a setting)
    eos_token_id: int = GPT2_EOS
    device: str = "remote"
    precision: str = "server"


class _ByteTokens:
    """The fallback without a local tokenizer: one "token" per UTF-8 byte (≥ GPT-2's token count)."""

    @staticmethod
    def tokenize(text: str) -> list[int]:
        return list(text.encode("utf-8", "surrogatepass"))

    @staticmethod
    def detokenize(ids: list[int]) -> str:
        return bytes(ids).decode("utf-8", "ignore")


class RemoteEngine:
    """Completes prompts on an OpenAI-compatible completions server; one request at a time.

    `cancel()` may be called from any thread: it closes the stream in flight at once; `cancel(event)`
    closes only the stream of the request given that cancel event, so a cancel meant for a request that
    has ended meanwhile cannot stop the next one. Notices (a 429
    being retried, a stream cut short) go to `on_notice` and are kept in `notices` for the last request.
    """

    def __init__(
        self,
        client: CompletionsClient,
        model: RemoteModel,
        *,
        tokenizer: GPT2BPETokenizer | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.on_notice = on_notice
        self.notices: list[str] = []
        client.on_notice = self._notice
        self._tokenizer = tokenizer
        if tokenizer is not None:
            from gpt2_studio.core.generation.plain_text import PlainTokenizer
            from gpt2_studio.core.generation.text_stream import token_byte_table

            self._plain: Callable[[str], list[int]] = PlainTokenizer(tokenizer)
            self._token_bytes = token_byte_table(tokenizer)
        self._healer: ServerHealer | None = None
        self._answers: WindowAnswers | None = None  # the lens's windows the server answered lately
        self._no_healing: str | None = None  # why healing stopped on this server (its tokens are not GPT-2's)
        self._lock = threading.RLock()
        self._cancel_lock = threading.Lock()
        self._current: threading.Event | None = None

    @classmethod
    def connect(
        cls,
        url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        window: int | None = None,
        tokenizer: GPT2BPETokenizer | None = None,
        on_notice: Callable[[str], None] | None = None,
        read_seconds: float | None = None,
    ) -> RemoteEngine:
        """Ask the server at url for its models and make an engine for `model` (or its only one).

        window: the model's window in tokens where the server does not report it; None (the only way
        to ask for the default) means the server's where it reports it, else 1024, GPT-2's. A window
        the server reports wins over this setting. Raises SettingsError (before any request) for a
        window outside 16…1,048,576 tokens (0 included: it is no window) or an address that is not
        http(s), and RemoteError (one sentence) when the server cannot be reached or has no such model.
        """
        from gpt2_studio.core.remote.servers import WINDOW_RANGE

        low, high = WINDOW_RANGE
        if window is not None and (type(window) is not int or not low <= window <= high):
            raise SettingsError(
                f"A server model's window must be a whole number of tokens from {low} to {high:,}, or "
                f"None to use the one the server reports (else {DEFAULT_WINDOW}, GPT-2's); not {window!r}."
            )
        options: dict[str, Any] = {} if read_seconds is None else {"read_seconds": read_seconds}
        client = CompletionsClient(url, api_key=api_key, on_notice=on_notice, **options)
        try:
            entries = client.models()
            entry = choose_model(entries, model, client.url)
        except BaseException:
            client.close()
            raise
        reported = kinds.reported_window(entry)
        remote = RemoteModel(
            name=str(entry["id"]),
            url=client.url,
            n_positions=reported or (DEFAULT_WINDOW if window is None else window),
            kind=kinds.detect_kind(entry),
            window_reported=reported is not None,
        )
        return cls(client, remote, tokenizer=tokenizer, on_notice=on_notice)

    def close(self) -> None:
        """Close the connections; the engine cannot be used afterwards."""
        self.client.close()

    def _notice(self, text: str) -> None:
        self.notices.append(text)
        if self.on_notice is not None:
            self.on_notice(text)

    # -- text <-> tokens ------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        """Token ids of user text with the local GPT-2 tokenizer (UTF-8 bytes without one)."""
        if self._tokenizer is None:
            return _ByteTokens.tokenize(text)
        return self._plain(text)

    def detokenize(self, ids: list[int]) -> str:
        """Text of token ids cut from user text; a character cut in half at either end is left out."""
        if self._tokenizer is None:
            return _ByteTokens.detokenize(ids)
        from gpt2_studio.core.generation.text_stream import decode_whole

        return decode_whole(self._token_bytes, ids)

    def token_budget(self, settings: SamplingSettings) -> int:
        """How many prompt tokens fit beside settings.max_new_tokens in the server model's window.

        Raises SettingsError (one sentence) when max_new_tokens leaves no room (≥ the window).
        """
        window = self.model.n_positions
        if settings.max_new_tokens >= window:
            raise SettingsError(
                f"max_new_tokens must be smaller than the server model's window of {window} tokens, "
                f"not {settings.max_new_tokens}."
            )
        return window - settings.max_new_tokens

    def ignored_settings(self) -> tuple[str, ...]:
        """The sampling settings this server ignores, for the sampling panel and the command line.

        num_alternatives never is (a server without `n` gets one request per alternative); token
        healing is unless the server takes `logit_bias` and a local GPT-2 tokenizer gives the token ids.
        """
        panel = tuple(name for name in kinds.PANEL_SETTINGS if name != kinds.ALTERNATIVES)
        return (*self.model.kind.ignored(panel), *(() if self.heals else ("token_healing",)))

    # -- what a completions server cannot do ----------------------------------------------------
    def score(
        self,
        text: str,
        *,
        top: int = 10,
        stride: int | None = None,
        cancel: threading.Event | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Scores:
        """Each token of text with its log-probability, rank and the server model's top choices.

        Through the server's prompt log-probabilities (`echo` + `logprobs`; see remote/scoring.py): the
        text's first token is not scored (servers leave its log-probability empty) and a rank past `top`
        is given as top + 1. stride: tokens between window starts (default half the window). Raises
        UnavailableError (one sentence) for a server that does not return prompt log-probabilities,
        without a local GPT-2 tokenizer, or whose tokens are not GPT-2's; ValueError for top/stride out
        of range; RemoteError when a request fails.
        """
        if kinds.ECHO not in self.model.kind.honours or self._tokenizer is None:
            why = (
                "its completions API does not return the prompt's log-probabilities"
                if kinds.ECHO not in self.model.kind.honours
                else "it needs a GPT-2 on this computer to check the server's tokens against"
            )
            raise UnavailableError(
                f"The likelihood lens is unavailable for the server at {self.model.url}: it needs each "
                f"token's log-probability under the model, and {why}."
            )
        from gpt2_studio.core.remote.scoring import WindowAnswers, score_on_server

        with self._lock:  # one request at a time, as for generation
            if self._answers is None:
                self._answers = WindowAnswers()
            return score_on_server(
                self.client, self.model.name, self.model.n_positions, text, self.tokenize(text),
                self._token_bytes, top=top, stride=stride, cancel=cancel, on_progress=on_progress,
                answers=self._answers,
            )  # fmt: skip

    def next_token_logprobs(
        self, ids: list[int], *, cancel: threading.Event | None = None
    ) -> torch.Tensor | None:
        """The whole next-token distribution: unavailable for this server (raises UnavailableError)."""
        raise UnavailableError(
            f"Word alternatives are unavailable for the server at {self.model.url}: they need the "
            "model's whole next-token distribution."
        )

    def continuation_logprobs(
        self, context: str, continuations: list[str], *, cancel: threading.Event | None = None
    ) -> list[float] | None:
        """Log-probabilities of continuations: unavailable for this server (raises UnavailableError)."""
        raise UnavailableError(
            f"Spelling suggestions ranked by the model are unavailable for the server at {self.model.url}."
        )

    # -- cancellation ---------------------------------------------------------------------------
    def cancel(self, request: threading.Event | None = None) -> None:
        """Stop a request at once: its event is set and its stream closed. Thread-safe.

        request: the cancel event passed to complete()/stream() of the request to stop; a request that
        has already ended is left as it was, and so is any other request. None: the one in flight now.
        """
        with self._cancel_lock:
            target = request if request is not None else self._current
        if target is None:
            return
        target.set()
        self.client.close_stream(target)

    # -- generation -----------------------------------------------------------------------------
    def complete(
        self,
        prompt: str | Prompt,
        settings: SamplingSettings | None = None,
        *,
        on_text: Callable[[TextDelta], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Completion:
        """Generate settings.num_alternatives continuations of prompt; on_text gets each new piece.

        Raises SettingsError as the local engine does, and RemoteError (one sentence) when the server
        fails before any text arrived; a stream cut later ends as cancelled with the text it had.
        """
        with self._lock:
            return run_to_completion(self.stream(prompt, settings, cancel=cancel), on_text)

    def stream(
        self,
        prompt: str | Prompt,
        settings: SamplingSettings | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Generator[TextDelta, None, Completion]:
        """Yield TextDelta pieces as the server sends them; the generator's return value is the Completion.

        A new request cancels one still open. Raises as complete() does.
        """
        settings = settings or SamplingSettings()
        budget = self.token_budget(settings)
        return self._run(prompt, settings, budget, cancel or threading.Event())

    def _payload(self, text: str, settings: SamplingSettings, seed: int, n: int) -> dict[str, Any]:
        kind = self.model.kind
        payload: dict[str, Any] = {
            "model": self.model.name,
            "prompt": text,
            "max_tokens": settings.max_new_tokens,
            "temperature": settings.temperature,
        }
        if settings.top_p < 1.0:  # off is every server's default, and TGI refuses top_p = 1
            payload["top_p"] = settings.top_p
        if kinds.SEED in kind.honours:
            payload["seed"] = seed
        if kinds.ALTERNATIVES in kind.honours:
            payload["n"] = n
        if settings.stop_strings and kinds.STOP in kind.honours:
            payload["stop"] = list(settings.stop_strings)
        if kinds.TOP_K in kind.honours:
            off = -1 if kind is kinds.VLLM else 0
            payload[kind.field(kinds.TOP_K)] = settings.top_k or off
        if kinds.REPETITION_PENALTY in kind.honours:
            payload[kind.field(kinds.REPETITION_PENALTY)] = settings.repetition_penalty
        return payload

    def _run(
        self, prompt: str | Prompt, settings: SamplingSettings, budget: int, cancel: threading.Event
    ) -> Generator[TextDelta, None, Completion]:
        started = time.perf_counter()
        with self._cancel_lock:
            previous, self._current = self._current, cancel
        if previous is not None:  # a new request takes over, as on the local engine
            previous.set()
            self.client.close_stream(previous)
        self.notices = []
        fitted = fit_context(prompt, self.tokenize, budget)
        ids, healed, tail = fitted.ids, 0, b""
        healer = self._server_healer() if settings.token_healing and self.heals else None
        if healer is not None and ids:
            # Only the text's own end heals: never the Memory's or the note's last line end.
            end = len(ids) if fitted.end_tokens is None else fitted.end_tokens
            healed, tail = healer.healed_tail(ids, end)
            ids = ids[: len(ids) - healed]
        text = self.detokenize(ids) or EOS_TEXT  # GPT-2 starts from its end token
        whole = (self.detokenize(fitted.ids) or EOS_TEXT) if healed else text  # if healing is refused
        seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**31)
        n = settings.num_alternatives
        before = (prompt.text if isinstance(prompt, Prompt) else prompt)[-_CONTEXT_CHARS:]
        rows = [RemoteText(settings.stop_strings, settings.stop_at, before) for _ in range(n)]
        first_at: list[float] = []
        # A server that honours n answers all alternatives in one stream; others get one request each,
        # with seeds seed, seed + 1, … (so a seeded request is repeatable there too). Healed rows each
        # continue their own healed text, so they always go one by one.
        together = kinds.ALTERNATIVES in self.model.kind.honours and not tail
        requests = [(0, n)] if together else [(i, 1) for i in range(n)]
        try:
            for offset, count in requests:
                if cancel.is_set():
                    break
                start, length = whole, settings.max_new_tokens
                if tail and healer is not None and self._no_healing is None:
                    try:
                        start = yield from self._heal(healer, text, tail, rows[offset], offset, settings,
                                                      seed + offset, cancel, first_at)  # fmt: skip
                    except UnavailableError as refused:  # its model is not GPT-2: heal no more here
                        self._no_healing = str(refused)
                        self._notice(f"{refused} Suggestions from it go on without token healing.")
                    else:
                        # As on this computer, the healed tokens get steps of their own: the last
                        # healing token is the first of max_new_tokens + healed, within the window.
                        room = self.model.n_positions - len(self.tokenize(start))
                        length = min(settings.max_new_tokens + healed - 1, room)
                        if length < 1 or rows[offset].reason is not None or cancel.is_set():
                            continue
                payload = self._payload(start, settings, seed + offset, count) | {"max_tokens": length}
                yield from self._stream_rows(payload, rows, offset, count, settings, cancel, first_at)
        except RemoteError as error:
            if error.kind != errors.CUT or not any(row.text for row in rows):
                raise  # nothing arrived to keep: the request failed (a server refuses some mid-stream)
            self._notice(str(error))
            for row in rows:
                row.finish(FINISH_CANCELLED)
        finally:
            with self._cancel_lock:
                if self._current is cancel:
                    self._current = None
        last: list[TextDelta] = []
        for index, row in enumerate(rows):
            row.finish(FINISH_CANCELLED if cancel.is_set() else FINISH_LENGTH)
            piece = row.take_piece()
            if piece:
                last.append(TextDelta(index, piece))
        yield from last
        finished = time.perf_counter()
        # The server's pieces: one per token on llama.cpp and vLLM (a character split over tokens
        # arrives whole, so it counts once).
        new_tokens = max((row.pieces for row in rows), default=0)
        first = first_at[0] if first_at else finished
        decode = finished - first
        return Completion(
            alternatives=tuple(row.text for row in rows),
            finish_reasons=tuple(row.reason or FINISH_LENGTH for row in rows),
            seed=seed,
            prompt_tokens=len(fitted.ids) or 1,
            reused_tokens=0,
            new_tokens=new_tokens,
            trimmed=fitted.trimmed,
            first_token_seconds=first - started,
            total_seconds=finished - started,
            tokens_per_second=(new_tokens - 1) / decode if new_tokens > 1 and decode > 0 else 0.0,
            healed_tokens=healed if self._no_healing is None else 0,
            memory_tokens=fitted.memory_tokens,
            note_tokens=fitted.note_tokens,
        )

    def _stream_rows(
        self,
        payload: dict[str, Any],
        rows: list[RemoteText],
        offset: int,
        count: int,
        settings: SamplingSettings,
        cancel: threading.Event,
        first_at: list[float],
    ) -> Generator[TextDelta, None, None]:
        """One streamed request for rows[offset : offset + count]: their pieces as they arrive."""
        chunks = self.client.stream(payload, cancel=cancel)
        try:
            for chunk in chunks:
                pieces: list[TextDelta] = []
                for choice in chunk.get("choices") or ():
                    if not isinstance(choice, dict):
                        continue
                    index = offset + int(choice.get("index") or 0)
                    if not offset <= index < offset + count:
                        continue
                    row = rows[index]
                    row.add(str(choice.get("text") or ""))
                    reason = choice.get("finish_reason")
                    if reason:
                        row.finish(_finish_reason(reason, settings))
                    piece = row.take_piece()
                    if piece:
                        first_at[:] = first_at or [time.perf_counter()]
                        pieces.append(TextDelta(index, piece))
                yield from pieces
                if cancel.is_set() or all(row.reason for row in rows[offset : offset + count]):
                    break
        finally:
            chunks.close()  # closes the response: the server stops generating

    def _heal(
        self,
        healer: ServerHealer,
        text: str,
        tail: bytes,
        row: RemoteText,
        index: int,
        settings: SamplingSettings,
        seed: int,
        cancel: threading.Event,
        first_at: list[float],
    ) -> Generator[TextDelta, None, str]:
        """Write tail again under the healing constraint, a token per request; returns the healed text.

        What the last healing token writes past the tail is the row's first text (yielded).
        """
        owed = tail
        while owed and not cancel.is_set():
            payload = self._payload(text, settings, seed, 1)
            got, token = healer.constrained_token(
                self.client, payload, owed, settings.repetition_penalty, cancel
            )
            if token is None:  # cancelled
                break
            row.add(healer.new_text(owed, token))
            owed = healer.owed_after(owed, token)
            text += got
            piece = row.take_piece()
            if piece:
                first_at[:] = first_at or [time.perf_counter()]
                yield TextDelta(index, piece)
        return text

    @property
    def heals(self) -> bool:
        """Whether token healing works on this server: a local GPT-2 tokenizer and `logit_bias`."""
        return (
            self._tokenizer is not None
            and kinds.LOGIT_BIAS in self.model.kind.honours
            and self._no_healing is None
        )

    def _server_healer(self) -> ServerHealer:
        """Built on first use (sorting the vocabulary takes a few tens of milliseconds)."""
        if self._healer is None:
            from gpt2_studio.core.remote.healing import ServerHealer

            special = set(getattr(self._tokenizer, "all_special_ids", ()) or ())
            self._healer = ServerHealer(self._token_bytes, special | {self.model.eos_token_id})
        return self._healer


def _finish_reason(reason: str, settings: SamplingSettings) -> str:
    """A server's finish_reason as the engine's FINISH_* value."""
    if reason == "length":
        return FINISH_LENGTH
    if reason == "stop":
        # "stop" is both the end token and a stop string; with no stop strings it can only be the end.
        return FINISH_STOP if settings.stop_strings else FINISH_EOS
    return FINISH_STOP


def choose_model(entries: list[dict[str, Any]], name: str | None, url: str) -> dict[str, Any]:
    """The /v1/models entry called name (or the only one when name is None); RemoteError otherwise."""
    names = [str(entry["id"]) for entry in entries]
    if name is None:
        if len(entries) == 1:
            return entries[0]
        listed = ", ".join(names) or "none"
        raise RemoteError(
            f"The server at {url} serves several models ({listed}); say which one with --model NAME.",
            kind=errors.BAD_REQUEST,
        )
    for entry in entries:
        if str(entry["id"]) == name:
            return entry
    raise RemoteError(
        f"The server at {url} has no model named {name!r}; it serves: {', '.join(names) or 'none'}.",
        kind=errors.BAD_REQUEST,
    )


if TYPE_CHECKING:  # mypy checks that both engines have the one interface the app uses

    def _both_are_generation_engines(local: Engine, remote: RemoteEngine) -> list[GenerationEngine]:
        return [local, remote]

"""The generation engine: prompt → N alternative continuations, streamed, cancellable, prefix-cached.

One Engine owns one loaded model and runs one request at a time: complete() calls from several threads
wait for each other; a new request takes the model from a stream that is still open (its reader may
have gone). `cancel()` may be called from any thread and takes effect before the next token step.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import torch

from gpt2_studio.core.errors import GenerationError, SettingsError
from gpt2_studio.core.generation.alternatives import (
    FINISH_CANCELLED,
    FINISH_EOS,
    FINISH_LENGTH,
    FINISH_STOP,
    Alternative,
    mask_to_owed_bytes,
)
from gpt2_studio.core.generation.context import Prompt, fit_context
from gpt2_studio.core.generation.healing import TokenHealer
from gpt2_studio.core.generation.logits import pick_next_tokens
from gpt2_studio.core.generation.plain_text import PlainTokenizer
from gpt2_studio.core.generation.prefix_cache import PrefixCache
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.scoring import DEFAULT_TOP, Scorer, Scores
from gpt2_studio.core.generation.text_stream import decode_whole, token_byte_table
from gpt2_studio.core.generation.token_numbers import TokenChoice, TokenRecorder
from gpt2_studio.core.models.loading import LoadedModel
from gpt2_studio.core.runner import BranchCache, KVCache

log = logging.getLogger(__name__)

# How much of the writer's text an end may look back at (the word before a full stop).
_CONTEXT_CHARS = 64

__all__ = [
    "FINISH_CANCELLED",
    "FINISH_EOS",
    "FINISH_LENGTH",
    "FINISH_STOP",
    "Completion",
    "Engine",
    "TextDelta",
]


@dataclass(frozen=True)
class TextDelta:
    """New text for one alternative, safe to show (whole characters, never part of a stop string)."""

    index: int
    text: str


@dataclass(frozen=True)
class Completion:
    """The result of one request, with what it cost.

    alternatives and finish_reasons: one per alternative (FINISH_* values). prompt_tokens: the fitted
    prompt's tokens (Memory and note included). new_tokens: the longest alternative's generated tokens
    (those that redo healed prompt tokens included). Times in seconds.
    """

    alternatives: tuple[str, ...]
    finish_reasons: tuple[str, ...]
    seed: int
    prompt_tokens: int
    reused_tokens: int
    new_tokens: int
    trimmed: bool
    first_token_seconds: float
    total_seconds: float
    tokens_per_second: float
    healed_tokens: int = 0  # prompt tokens token healing handed back to the model (counted in prompt_tokens)
    memory_tokens: int = 0  # of prompt_tokens, the Memory's (a Prompt's; see context.fit_context)
    note_tokens: int = 0  # of prompt_tokens, the Author's note's
    # Per alternative: each generated token's numbers (token_numbers.TokenChoice, the model's own
    # distribution), and the seconds from the request's start to its last token.
    token_logprobs: tuple[tuple[TokenChoice, ...], ...] = ()
    alternative_seconds: tuple[float, ...] = ()

    @property
    def cancelled(self) -> bool:
        """True when cancel() cut the request short; the alternatives hold what came before."""
        return FINISH_CANCELLED in self.finish_reasons

    @property
    def text(self) -> str:
        """The first alternative."""
        return self.alternatives[0]


class _Request:
    """One request's cancel flag, and whether a later request took the model from it."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.started = False
        self.open = True
        self.superseded = False

    def is_set(self) -> bool:
        """Whether the request must stop: cancelled, or another request has the model now."""
        return self.superseded or self.cancel.is_set()


def run_to_completion(
    stream: Generator[TextDelta, None, Completion], on_text: Callable[[TextDelta], None] | None
) -> Completion:
    """Drain a stream() generator, handing each piece to on_text; its return value, the Completion.

    The generator is closed however this ends, so a failing on_text still ends the request.
    """
    try:
        while True:
            try:
                delta = next(stream)
            except StopIteration as done:
                completion: Completion = done.value
                return completion
            if on_text is not None:
                on_text(delta)
    finally:
        stream.close()


class Engine:
    """Completes prompts with a LoadedModel; keeps the last prompt's key/value cache for reuse."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self._runner = model.runner
        self._token_bytes = token_byte_table(model.tokenizer)
        self._usable_vocab = len(self._token_bytes)
        # Held for each step of a request (for the whole of complete()), never while a stream's
        # reader holds a piece. Reentrant: complete() steps its own stream while holding it.
        self._lock = threading.RLock()
        self._cancel_lock = threading.Lock()
        self._current: _Request | None = None
        self._prefix = PrefixCache(self._runner, model.eos_token_id)
        self._plain = PlainTokenizer(model.tokenizer)
        self._work: KVCache | None = None
        self._healer: TokenHealer | None = None
        self._scorer: Scorer | None = None
        self._score_lock = threading.Lock()

    # -- text <-> tokens ------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        """Token ids of user text, as plain text: `<|endoftext|>` in it is ordinary characters.

        The one path for user text (prompts, context fitting, presets, the command line). Thread-safe.
        """
        return self._plain(text)

    def detokenize(self, ids: list[int]) -> str:
        """Text of token ids cut from user text; a character cut in half at either end is left out."""
        return decode_whole(self._token_bytes, ids)

    def token_budget(self, settings: SamplingSettings) -> int:
        """How many prompt tokens fit beside settings.max_new_tokens in the model's window.

        Raises SettingsError (one sentence) when max_new_tokens leaves no room (≥ the window).
        """
        context_window = self.model.n_positions
        if settings.max_new_tokens >= context_window:
            raise SettingsError(
                f"max_new_tokens must be smaller than the model's window of {context_window} tokens, "
                f"not {settings.max_new_tokens}."
            )
        return context_window - settings.max_new_tokens

    # -- scoring --------------------------------------------------------------------------------
    def score(
        self,
        text: str,
        *,
        top: int = DEFAULT_TOP,
        stride: int | None = None,
        cancel: threading.Event | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Scores:
        """Each token of text with its log-probability, rank and the model's top choices (GLTR's view).

        Incremental: a text that shares a start with the last one scored re-scores only from the first
        change, with exactly the numbers of scoring it from scratch (see scoring.Scorer). Generation
        requests from other threads run between blocks. Raises ValueError for top/stride out of range.
        """
        with self._score_lock:  # one scoring at a time; the model itself is taken block by block
            if self._scorer is None:
                eos = self.model.eos_token_id
                self._scorer = Scorer(self._runner, self._token_bytes, self.tokenize, eos)
            return self._scorer.score(
                text, top=top, stride=stride, cancel=cancel, on_progress=on_progress, lock=self._lock
            )

    # -- next-token distribution ----------------------------------------------------------------
    @torch.inference_mode()
    def next_token_logprobs(
        self, ids: list[int], *, cancel: threading.Event | None = None
    ) -> torch.Tensor | None:
        """Natural-log probabilities [vocab] (float32, CPU) of the token after ids; None when cancelled.

        ids is used as it is (callers prepend `<|endoftext|>` where they want it); a list longer than
        the window keeps its end. Runs through the prompt cache, so lists that share a start cost only
        their new blocks; a stream in progress is superseded, as by any new request.
        """
        request = _Request(cancel or threading.Event())
        ids = ids[-self.model.n_positions :] or [self.model.eos_token_id]
        with self._lock:
            request.started = True
            with self._cancel_lock:
                if self._current is not None:
                    self._current.superseded = True
                self._current = request
            try:
                logits, _reused = self._prefix.fill(ids, request)
            except BaseException:
                self._forget_cache()
                raise
            finally:
                request.open = False
        if logits is None:
            return None
        row = logits[0].float().cpu().clone()  # the prompt cache keeps its logits: never write them
        row[self._usable_vocab :] = float("-inf")
        return row.log_softmax(dim=-1)

    # -- cancellation ---------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the request in flight (if any) before its next token step. Thread-safe."""
        with self._cancel_lock:
            if self._current is not None and self._current.open:
                self._current.cancel.set()

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

        prompt: plain text, or a Prompt with a Memory and Author's note (context.Prompt). Calls from
        several threads run one after another. Raises SettingsError (one sentence) when
        max_new_tokens does not fit the model's window or the Memory and note leave no room for the
        text, and GenerationError when the device runs out of memory; the engine stays usable.
        """
        with self._lock:  # held across on_text too, so that no other request can take over meanwhile
            return run_to_completion(self.stream(prompt, settings, cancel=cancel), on_text)

    def stream(
        self,
        prompt: str | Prompt,
        settings: SamplingSettings | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Generator[TextDelta, None, Completion]:
        """Yield TextDelta pieces as tokens arrive; the generator's return value is the Completion.

        The engine is not held between pieces: a stream its reader stops reading (breaks out of, keeps
        or drops) never blocks anything. The next request takes over; the old stream, if read again,
        ends as cancelled with the text it had. Raises as complete() does: a max_new_tokens that does
        not fit the window at once, the rest (a Memory too long, out of memory) from next().
        """
        settings = settings or SamplingSettings()
        budget = self.token_budget(settings)
        return self._run(prompt, settings, budget, _Request(cancel or threading.Event()))

    def _run(
        self, prompt: str | Prompt, settings: SamplingSettings, budget: int, request: _Request
    ) -> Generator[TextDelta, None, Completion]:
        steps = self._generate(prompt, settings, budget, request)
        try:
            while True:
                with self._lock:
                    if not request.started:
                        request.started = True
                        with self._cancel_lock:
                            if self._current is not None:
                                self._current.superseded = True
                            self._current = request
                    try:
                        pieces = next(steps)
                    except StopIteration as done:
                        finished: Completion = done.value
                        return finished
                    except (torch.OutOfMemoryError, MemoryError) as exc:
                        self._forget_cache()
                        raise GenerationError(
                            f"Out of memory while generating on {self.model.device}; try fewer "
                            "alternatives, a shorter suggestion, or a smaller model.",
                            out_of_memory=True,
                            device=self.model.device,
                        ) from exc
                    except BaseException:
                        self._forget_cache()  # a forward pass may have stopped half way
                        raise
                # Pieces are handed over with the engine free: whatever the reader does now (even
                # never coming back) blocks nothing.
                yield from pieces
        finally:
            request.open = False
            steps.close()  # suspended between steps, never inside one: nothing to undo

    def _token_healer(self) -> TokenHealer:
        """Built on first use (sorting the vocabulary takes a few tens of milliseconds)."""
        if self._healer is None:
            special = set(getattr(self.model.tokenizer, "all_special_ids", ()) or ())
            special.add(self.model.eos_token_id)
            self._healer = TokenHealer(self._token_bytes, special, self._runner.vocab_size)
        return self._healer

    def _forget_cache(self) -> None:
        self._prefix.forget()

    def _work_cache(self, rows: int, prompt_length: int, capacity: int) -> KVCache | BranchCache:
        """Where `rows` alternatives decode after the prompt's keys and values.

        One alternative decodes straight into the prompt cache (positions past the prompt are scratch);
        several share the prompt in place and get a reused buffer for their own positions only
        (BranchCache: no copy of the prompt per row, so 3 alternatives after 900 tokens hold ~900
        positions, not ~2,700).
        """
        prompt_cache = self._prefix.cache
        if prompt_cache is None:  # fill() builds it before the first step
            raise RuntimeError("the prompt cache is read before fill() built it")
        if rows == 1:
            return prompt_cache
        own = capacity - prompt_length
        work = self._work
        if work is None or work.batch < rows or work.capacity < own:
            self._work = None  # free the old buffer before allocating the new one
            # Room rounded up, so that a longer suggestion asked for later keeps the buffer.
            work = self._work = self._runner.new_cache(rows, -(-own // 64) * 64)
        return BranchCache(prompt_cache, prompt_length, work)

    @torch.inference_mode()
    def _generate(
        self, prompt: str | Prompt, settings: SamplingSettings, budget: int, request: _Request
    ) -> Generator[list[TextDelta], None, Completion]:
        """The request, one token step per next(); each step runs with the engine's lock held.

        Between steps another request may have taken over the model (request.is_set() is then
        true), so each step checks before it touches the model or the caches.
        """
        started = time.perf_counter()
        runner = self._runner
        eos = self.model.eos_token_id
        fitted = fit_context(prompt, self.tokenize, budget)
        ids = fitted.ids
        healed, tail = 0, b""
        healer = self._token_healer() if settings.token_healing else None
        if healer is not None and ids:
            # Only the text's own end heals: never the Memory's or the note's last line end.
            end = len(ids) if fitted.end_tokens is None else fitted.end_tokens
            healed, tail = healer.healed_tail(ids[len(ids) - end :])
            ids = ids[: len(ids) - healed]
        ids = ids or [eos]  # an empty prompt starts from <|endoftext|>, as GPT-2 was trained
        seed = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**63)
        n = settings.num_alternatives
        # The healed tokens are generated again: they get steps of their own, which the window has
        # room for since they came out of the prompt. A step that leaves prompt bytes still owed is
        # free (each writes at least one of the tail's bytes), as far as the window allows.
        length = settings.max_new_tokens + healed
        before = (prompt.text if isinstance(prompt, Prompt) else prompt)[-_CONTEXT_CHARS:]
        rows = [
            Alternative(self._token_bytes, tail, settings.stop_strings, settings.stop_at, length, before)
            for _ in range(n)
        ]
        limit = min(length + len(tail), self.model.n_positions - len(ids))
        recorder = TokenRecorder(n, self._token_bytes, started)

        logits, reused = self._prefix.fill(ids, request)
        first_token_at = None
        steps = 0
        if logits is None:
            for row in rows:
                row.reason = FINISH_CANCELLED
        else:
            logits = logits.expand(n, -1)
            if self._usable_vocab < logits.shape[-1]:  # padded vocabularies: never pick a token with no text
                logits = logits.clone()
                logits[:, self._usable_vocab :] = float("-inf")
            work = self._work_cache(n, len(ids), len(ids) + limit)
            generator = torch.Generator(device=logits.device).manual_seed(seed)
            seen = None
            if settings.repetition_penalty != 1.0:
                seen = torch.zeros(n, logits.shape[-1], dtype=torch.bool, device=logits.device)
                seen[:, ids] = True
            rows_alive = n
            pieces: list[TextDelta] = []
            tokens = None
            masks: dict[bytes, torch.Tensor] = {}
            for step in range(limit):
                if pieces:
                    yield pieces
                    pieces = []
                if request.is_set():
                    for row in rows:
                        row.reason = row.reason or FINISH_CANCELLED
                    break
                if tokens is not None:
                    logits = runner.forward(tokens[:, None], work, start=len(ids) + step - 1)
                    if self._usable_vocab < logits.shape[-1]:
                        logits[:, self._usable_vocab :] = float("-inf")
                model_logits = logits  # the model's own distribution, before any constraint or filter
                if healer is not None and any(row.owed for row in rows):
                    logits = mask_to_owed_bytes(healer, rows, logits, masks)
                tokens = pick_next_tokens(logits, settings, generator, seen)
                recorder.observe(model_logits, tokens)
                if seen is not None:
                    seen[torch.arange(n), tokens] = True
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                steps += 1
                for index, token in enumerate(tokens.tolist()):
                    row = rows[index]
                    if row.reason is not None:
                        continue
                    if token == eos:
                        row.reason = FINISH_EOS
                    else:
                        row.add(token, healer)
                        if row.last_piece is not None:
                            recorder.add(index, row.last_piece)
                    if row.reason is not None:
                        rows_alive -= 1
                    delta = row.take_piece()
                    if delta:
                        pieces.append(TextDelta(index, delta))
                if rows_alive == 0:
                    break
            if pieces:
                yield pieces
        last: list[TextDelta] = []
        for index, row in enumerate(rows):
            row.finish(FINISH_LENGTH)
            delta = row.take_piece()
            if delta:
                last.append(TextDelta(index, delta))
        if last:
            yield last
        finished = time.perf_counter()
        first = (first_token_at or finished) - started
        choices, seconds = recorder.result()
        decode_time = finished - (first_token_at or finished)
        return Completion(
            alternatives=tuple(row.text for row in rows),
            finish_reasons=tuple(row.reason or FINISH_LENGTH for row in rows),
            seed=seed,
            prompt_tokens=len(fitted.ids) or 1,
            reused_tokens=reused,
            new_tokens=max((row.tokens for row in rows), default=0),
            trimmed=fitted.trimmed,
            first_token_seconds=first,
            total_seconds=finished - started,
            tokens_per_second=(steps - 1) / decode_time if steps > 1 and decode_time > 0 else 0.0,
            healed_tokens=healed,
            memory_tokens=fitted.memory_tokens,
            note_tokens=fitted.note_tokens,
            token_logprobs=choices,
            alternative_seconds=seconds,
        )

    # -- continuations (spelling suggestions) ---------------------------------------------------
    def continuation_logprobs(
        self, context: str, continuations: list[str], *, cancel: threading.Event | None = None
    ) -> list[float] | None:
        """Natural-log probability of each continuation right after context; None when cancelled.

        The candidates for a misspelt word, each with a few tokens of the text after it, scored as
        rows of one batch over the prompt cache (see generation/continuations.py).
        """
        from gpt2_studio.core.generation.continuations import continuation_logprobs

        return continuation_logprobs(self, context, continuations, cancel)

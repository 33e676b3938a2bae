"""The model worker: one long-lived thread that owns the model and runs requests one at a time.

The GUI thread never waits for it. Requests arrive as queued signals; results leave as signals tagged
with the request id, so the GUI can drop anything stale. Cancelling is a thread-safe call (a queued
"stop" signal would only be seen after the generation it means to stop).
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from gpt2_studio.core.errors import GenerationError, StudioError
from gpt2_studio.core.generation.context import Prompt, fit_context
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.window_view import chars_in_view

if TYPE_CHECKING:
    from gpt2_studio.core.documents.context_notes import ContextNotes
    from gpt2_studio.core.generation.engine import TextDelta
    from gpt2_studio.core.generation.scoring import Scores
    from gpt2_studio.core.generation.word_alternatives import WordAlternatives
    from gpt2_studio.core.presets.templates import Preset, PresetContext, RenderedPrompt
    from gpt2_studio.core.runner.threads import CoreMonitor

log = logging.getLogger(__name__)


_request_ids = itertools.count(1)

# Texts whose tokens the GUI thread keeps: the Memory and note (as typed and as lines) and the recent
# ends of the document. The Memory is measured after every cursor move; a long one (a pasted chapter)
# would otherwise be tokenized again each time, freezing the window for as long as that takes.
TOKEN_CACHE_TEXTS = 8


def next_request_id() -> int:
    """A request id unique across channels (GUI thread only)."""
    return next(_request_ids)


@dataclass(frozen=True)
class GenerationRequest:
    """An immutable snapshot taken on the GUI thread: what to complete and how.

    channel keeps kinds of work apart: typing makes older "suggest" requests stale, but not a preset
    that is still running on the "preset" channel.
    """

    request_id: int
    prompt: str | Prompt  # a Prompt carries the document's Memory and Author's note
    settings: SamplingSettings
    channel: str = "suggest"


@dataclass(frozen=True)
class ScoreRequest:
    """The whole document's exact text to score (the likelihood lens), tagged with its request id.

    Scoring has a lower priority than generation: a generation request pre-empts it between blocks, and
    the worker runs it again once the generation is done. top: how many likeliest tokens per position.
    """

    request_id: int
    text: str
    top: int = 10


@dataclass(frozen=True)
class WordsRequest:
    """A word of the document and all the text before it: the model's alternatives for it (word popup)."""

    request_id: int
    before: str
    word: str
    count: int = 10


@dataclass(frozen=True)
class WindowFill:
    """How a prompt fills the model's window as the engine would fit it, in tokens.

    tokens counts everything the model is given (Memory, Author's note and text); problem is the one
    sentence that says why the prompt cannot be fitted (a Memory longer than the window), else "".
    """

    tokens: int
    budget: int
    trimmed: bool
    memory_tokens: int = 0
    note_tokens: int = 0
    problem: str = ""
    view_chars: int | None = None  # characters at the end of the text the model sees; None: all of it

    @property
    def text_tokens(self) -> int:
        """The tokens of the document's text."""
        return max(0, self.tokens - self.memory_tokens - self.note_tokens)


def fit_settings(settings: SamplingSettings, context_window: int, has_prompt: bool) -> SamplingSettings:
    """Settings for a request, with max_new_tokens shortened when it would not fit the model's window.

    The engine refuses max_new_tokens >= context_window (in tokens); a prompt keeps half the window.
    """
    if settings.max_new_tokens < context_window:
        return settings
    return settings.replace(max_new_tokens=context_window // 2 if has_prompt else context_window - 1)


@dataclass(frozen=True)
class ModelInfo:
    """What the status bar and About box show about the loaded model."""

    ref: str  # what was asked for: a catalog name, repo id or folder
    name: str
    folder: str
    device: str
    precision: str
    n_positions: int
    parameters: int
    warnings: tuple[str, ...]
    ignored_settings: tuple[str, ...] = ()  # sampling settings a server ignores (the panel marks them)


class ModelWorker(QObject):
    """Lives on its own QThread; loads the model and runs GenerationRequests."""

    model_loading = Signal(str)
    model_loaded = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    notice = Signal(str)  # something the user should know that is not an error of a request
    chunk = Signal(int, int, str)  # request id, alternative index, text
    finished = Signal(int, object)  # request id, Completion
    failed = Signal(int, str)  # request id, message
    scored = Signal(int, object)  # request id, Scores (cancelled: stopped early, tokens so far)
    score_progress = Signal(int, int, int)  # request id, tokens scored, tokens to score
    score_failed = Signal(int, str)  # request id, message
    words_ready = Signal(int, object)  # request id, WordAlternatives
    words_failed = Signal(int, str)  # request id, message
    spelling_ranked = Signal(int, object)  # request id, RankedSuggestions (spelling suggestions)

    _load_requested = Signal(str, str, str)
    _generate_requested = Signal(object)
    _score_requested = Signal(object)
    _words_requested = Signal(object)
    _spelling_requested = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._engine = None
        self._loaded_as = ("", "auto")
        self._latest: dict[str, int] = {}
        self._running: tuple[str, threading.Event] | None = None
        self._preempted = False  # the running scoring was stopped for a generation: run it again after
        self._id_lock = threading.Lock()
        self._token_cache: OrderedDict[str, list[int]] = OrderedDict()  # GUI thread only
        # Which engine the cache is for, held weakly: a model given up (or its GPU copy) must be freed.
        self._token_cache_engine: weakref.ref[object] | None = None
        # torch's threads: the user's number, or None for the CPUs free now (core/runner/threads.py).
        # The monitor is made on the worker thread, where importing the runner (and torch) is harmless.
        self._threads_setting: int | None = None
        self._cores: CoreMonitor | None = None
        self.threads_in_use: int | None = None  # what the last piece of work ran with
        self._load_requested.connect(self._load)
        self._generate_requested.connect(self._generate)
        self._words_requested.connect(self._words)
        self._spelling_requested.connect(self._rank_spelling)
        # Queued even when emitted on the worker thread: a pre-empted scoring asks again from there,
        # and must wait behind the generation that stopped it.
        self._score_requested.connect(self._score, Qt.ConnectionType.QueuedConnection)

    # -- called from the GUI thread ------------------------------------------------------------
    def load(self, ref: str, device: str = "auto", precision: str = "auto") -> None:
        """Ask for a model to be loaded (replacing the current one)."""
        self._load_requested.emit(ref, device, precision)

    def set_threads(self, count: int | None) -> None:
        """Use count torch threads from the next request on; None: as many as there are free CPUs."""
        self._threads_setting = count  # one attribute store: safe to read from the worker thread

    def submit(self, request: GenerationRequest) -> None:
        """Queue a request; older requests of its channel, queued or running, become stale and stop."""
        self.invalidate(request.request_id, request.channel)
        self._generate_requested.emit(request)
        # After the emit, so the generation is queued before the scoring it stops can be queued again.
        self._preempt_scoring()

    def score(self, request: ScoreRequest) -> None:
        """Queue a scoring; older scorings, queued or running, become stale and stop."""
        self.invalidate(request.request_id, "score")
        self._score_requested.emit(request)

    def words(self, request: WordsRequest) -> None:
        """Queue a word's alternatives (before any scoring); older ones, queued or running, stop."""
        self.invalidate(request.request_id, "words")
        self._words_requested.emit(request)
        self._preempt_scoring()

    def _preempt_scoring(self) -> None:
        """Stop a running scoring for the request just queued; it is queued again behind that request.

        On a server its window's request is dropped at once (not answered first): the scoring would
        otherwise hold the worker until the server finished the window.
        """
        with self._id_lock:
            running = self._running
            if running is None or running[0] != "score":
                return
            self._preempted = True
            running[1].set()
        self._close_remote_stream(running[1])

    def invalidate(self, request_id: int, channel: str = "suggest") -> None:
        """Mark the channel's requests before request_id stale and stop its running one (thread-safe)."""
        with self._id_lock:
            self._latest[channel] = max(self._latest.get(channel, 0), request_id)
            running = self._running
        if running is not None and running[0] == channel:
            running[1].set()
            self._close_remote_stream(running[1])

    def cancel(self) -> None:
        """Stop whatever generation is in flight before its next token (thread-safe)."""
        with self._id_lock:
            running = self._running
        if running is not None:
            running[1].set()
            self._close_remote_stream(running[1])

    def _is_stale(self, request: GenerationRequest) -> bool:
        return self._is_stale_id(request.request_id, request.channel)

    # -- run on the worker thread --------------------------------------------------------------
    @Slot(str, str, str)
    def _load(self, ref: str, device: str, precision: str) -> None:
        self._load_now(ref, device, precision)

    def _load_now(self, ref: str, device: str, precision: str) -> bool:
        from gpt2_studio.core.generation.engine import Engine
        from gpt2_studio.core.models.loading import load_model
        from gpt2_studio.core.remote.servers import SERVER_PREFIX

        if ref.startswith(SERVER_PREFIX):
            return self._connect_now(ref)
        self.model_loading.emit(ref)
        try:
            self._cores_monitor().note()  # the load's own span tells how busy the other CPUs are
            model = load_model(ref, device=device, precision=precision)
            engine = Engine(model)
            self._use_threads()
        except StudioError as exc:
            self.model_failed.emit(str(exc))
            return False
        except Exception as exc:  # a GUI must survive anything a model folder can throw
            log.exception("Loading %s failed", ref)
            self.model_failed.emit(f"Could not load {ref}: {exc}")
            return False
        self._replace_engine(engine)
        self._loaded_as = (ref, precision)
        self.model_loaded.emit(
            ModelInfo(
                ref=ref,
                name=model.name,
                folder=str(model.folder),
                device=model.device,
                precision=model.precision,
                n_positions=model.n_positions,
                parameters=model.info.parameters,
                warnings=tuple(model.warnings),
            )
        )
        return True

    def _connect_now(self, ref: str) -> bool:
        """Switch to a saved server's RemoteEngine ("server:NAME"), as loading a model switches."""
        from gpt2_studio.core.remote.servers import connect_saved

        self.model_loading.emit(ref)
        try:
            engine = connect_saved(ref, on_notice=self.notice.emit)
        except StudioError as exc:
            self.model_failed.emit(str(exc))
            return False
        except Exception as exc:  # a GUI must survive anything a network can throw
            log.exception("Connecting to %s failed", ref)
            self.model_failed.emit(f"Could not connect to {ref}: {exc}")
            return False
        self._replace_engine(engine)
        self._loaded_as = (ref, "server")
        model = engine.model
        ignored = engine.ignored_settings()
        self.model_loaded.emit(
            ModelInfo(
                ref=ref,
                name=model.name,
                folder=model.url,
                device=model.device,
                precision=model.precision,
                n_positions=model.n_positions,
                parameters=0,
                warnings=(f"The server ({model.kind.label}) ignores: {', '.join(ignored)}.",)
                if ignored
                else (),
                ignored_settings=ignored,
            )
        )
        return True

    def _replace_engine(self, engine: object) -> None:
        """Use engine from now on; a remote engine given up closes its connections."""
        old, self._engine = self._engine, engine
        close = getattr(old, "close", None)
        if old is not None and old is not engine and close is not None:
            close()

    def _close_remote_stream(self, request: threading.Event) -> None:
        """A remote engine closes the stream of the request with this cancel event at once (a read may
        wait on the network, not a token); tied to that request, so a newer one that started meanwhile
        is not closed by a cancel read before it began."""
        engine = self._engine
        if engine is not None and getattr(engine.model, "device", "") == "remote":
            engine.cancel(request)

    @Slot(object)
    def _generate(self, request: GenerationRequest) -> None:
        engine = self._engine
        if engine is None or self._is_stale(request):
            return
        cancel = threading.Event()
        rid = request.request_id

        def on_text(delta: TextDelta) -> None:
            if self._is_stale(request):
                cancel.set()
                return
            self.chunk.emit(rid, delta.index, delta.text)

        with self._id_lock:
            self._running = (request.channel, cancel)
        try:
            self._use_threads()
            completion = engine.complete(request.prompt, request.settings, on_text=on_text, cancel=cancel)
        except GenerationError as exc:
            if exc.out_of_memory and exc.device == "cuda" and self._fall_back_to_cpu():
                self._generate(request)
                return
            self.failed.emit(rid, str(exc))
            return
        except StudioError as exc:
            self.failed.emit(rid, str(exc))
            return
        except Exception as exc:
            log.exception("Generation failed")
            self.failed.emit(rid, f"Generation failed: {exc}")
            return
        finally:
            self._work_done()
            with self._id_lock:
                self._running = None
        self.finished.emit(rid, completion)

    @Slot(object)
    def _score(self, request: ScoreRequest) -> None:
        engine = self._engine
        if engine is None or self._is_stale_id(request.request_id, "score"):
            return
        cancel = threading.Event()
        rid = request.request_id

        def on_progress(done: int, total: int) -> None:
            self.score_progress.emit(rid, done, total)

        with self._id_lock:
            self._running = ("score", cancel)
            self._preempted = False
        try:
            self._use_threads()
            scores: Scores = engine.score(
                request.text, top=request.top, cancel=cancel, on_progress=on_progress
            )
        except Exception as exc:  # scoring is a view: its failure is shown, never fatal
            log.exception("Scoring failed")
            self.score_failed.emit(rid, f"Scoring failed: {exc}")
            return
        finally:
            self._work_done()
            with self._id_lock:
                self._running = None
                preempted, self._preempted = self._preempted, False
        if scores.cancelled and preempted and not self._is_stale_id(rid, "score"):
            # Queued behind the generation that stopped it; what was scored is kept by the engine.
            self._score_requested.emit(request)
        self.scored.emit(rid, scores)

    @Slot(object)
    def _words(self, request: WordsRequest) -> None:
        from gpt2_studio.core.generation.word_alternatives import word_alternatives

        engine = self._engine
        if engine is None or self._is_stale_id(request.request_id, "words"):
            return
        cancel = threading.Event()
        with self._id_lock:
            self._running = ("words", cancel)
        try:
            self._use_threads()
            if getattr(engine.model, "device", "") == "remote":
                engine.next_token_logprobs([])  # raises the server's one sentence: it has no distribution
            answer: WordAlternatives = word_alternatives(
                engine, request.before, request.word, count=request.count, cancel=cancel
            )
        except StudioError as exc:  # the engine cannot (a server): said as it is
            self.words_failed.emit(request.request_id, str(exc))
            return
        except Exception as exc:  # a view of the model: its failure is shown, never fatal
            log.exception("Word alternatives failed")
            self.words_failed.emit(request.request_id, f"Could not find alternatives: {exc}")
            return
        finally:
            self._work_done()
            with self._id_lock:
                self._running = None
        self.words_ready.emit(request.request_id, answer)

    def _cores_monitor(self) -> CoreMonitor:
        if self._cores is None:
            from gpt2_studio.core.runner.threads import CoreMonitor

            self._cores = CoreMonitor()
        return self._cores

    def _use_threads(self) -> None:
        """Before a piece of work, on the worker thread (torch keeps the count per thread): set torch's
        threads to the user's number, or to the CPUs that other programs left free since the last work."""
        import torch

        from gpt2_studio.core.runner.threads import apply_threads

        cores = self._cores_monitor()
        count = cores.choose(self._threads_setting)
        if apply_threads(count):
            why = "as set" if self._threads_setting else f"others busy: {cores.last_busy_others}"
            log.info("The model runs with %d thread(s) (%s)", count, why)
        self.threads_in_use = torch.get_num_threads()  # as torch sees it on this thread

    def _work_done(self) -> None:
        """After a piece of work: the next choice looks at the CPUs' use from here on."""
        if self._cores is not None:
            self._cores.note()

    def _is_stale_id(self, request_id: int, channel: str) -> bool:
        with self._id_lock:
            return request_id < self._latest.get(channel, 0)

    def _fall_back_to_cpu(self) -> bool:
        """After CUDA ran out of memory: reload the model on the CPU and say so."""
        ref, precision = self._loaded_as
        self._engine = None  # let the GPU copy go before loading another
        self.notice.emit("The GPU ran out of memory; GPT-2 Studio now runs the model on the CPU.")
        return self._load_now(ref, "cpu", "auto" if precision == "fp16" else precision)

    def measure_prompt(self, prompt: str | Prompt, settings: SamplingSettings) -> WindowFill | None:
        """How ``prompt`` fills the window beside settings.max_new_tokens, as the engine would fit it.

        None without a model. Called on the GUI thread: tokenizing is thread-safe and fitting only reads
        the end of the text.
        """
        engine = self._engine
        if engine is None:
            return None
        budget = max(1, engine.model.n_positions - settings.max_new_tokens)
        try:
            fitted = fit_context(prompt, self._tokenize_cached, budget)
        except StudioError as exc:  # a Memory longer than the window: the request would fail alike
            return WindowFill(0, budget, False, problem=str(exc))
        view = chars_in_view(fitted, prompt, engine.detokenize)
        counts = (len(fitted.ids), budget, fitted.trimmed, fitted.memory_tokens, fitted.note_tokens)
        return WindowFill(*counts, view_chars=view)

    def count_tokens(self, text: str) -> int | None:
        """How many tokens the loaded model's tokenizer makes of ``text``; None without a model.

        Called on the GUI thread (tokenizing is thread-safe).
        """
        if self._engine is None:
            return None
        return len(self._tokenize_cached(text)) if text else 0

    def _tokenize_cached(self, text: str) -> list[int]:
        """The loaded model's tokens of ``text``, kept for the last few texts (GUI thread only)."""
        engine = self._engine
        assert engine is not None
        cache = self._token_cache
        if self._token_cache_engine is None or self._token_cache_engine() is not engine:
            cache.clear()  # another model: another tokenizer
            self._token_cache_engine = weakref.ref(engine)
        ids = cache.get(text)
        if ids is None:
            ids = cache[text] = engine.tokenize(text)
            if len(cache) > TOKEN_CACHE_TEXTS:
                cache.popitem(last=False)
        else:
            cache.move_to_end(text)
        return ids

    def render_preset(
        self, preset: Preset, context: PresetContext, settings: SamplingSettings, reserved: int = 0
    ) -> RenderedPrompt | None:
        """The preset's prompt (a RenderedPrompt) filled from context, fitted beside settings.max_new_tokens
        and ``reserved`` tokens more (a Memory and Author's note sent with it).

        None without a model. Called on the GUI thread: tokenizing and decoding are thread-safe.
        """
        from gpt2_studio.core.presets.templates import render

        engine = self._engine
        if engine is None:
            return None
        budget = max(1, engine.model.n_positions - settings.max_new_tokens - reserved)
        return render(preset, context, engine.tokenize, engine.detokenize, budget)

    def notes_tokens(self, notes: ContextNotes) -> int:
        """The tokens a Memory and Author's note take in the window (0 without a model)."""
        if self._engine is None:
            return 0
        memory, _above, note, _below = Prompt("", notes.memory, notes.authors_note).parts()
        return sum(len(self._tokenize_cached(part)) for part in (memory, note) if part)

    @property
    def context_window(self) -> int | None:
        """The loaded model's context window in tokens (None: no model)."""
        engine = self._engine
        return None if engine is None else engine.model.n_positions

    # -- spelling suggestions, ordered by the model ---------------------------------------------
    def rank_spelling(self, request: SpellingRequest) -> None:
        """Queue a misspelt word's suggestions to order (before any scoring); older ones stop."""
        self.invalidate(request.request_id, "spelling")
        self._spelling_requested.emit(request)
        self._preempt_scoring()

    @Slot(object)
    def _rank_spelling(self, request: SpellingRequest) -> None:
        from gpt2_studio.core.spelling.ranking import RankedSuggestions, rank_suggestions

        if self._is_stale_id(request.request_id, "spelling"):
            return
        cancel = threading.Event()
        with self._id_lock:
            self._running = ("spelling", cancel)
        try:
            if self._engine is not None:
                self._use_threads()
            ranked = rank_suggestions(
                self._engine, request.before, request.word, request.after, request.candidates, cancel=cancel
            )
        except Exception:  # a view of the model: the library's order stays
            log.exception("Ordering spelling suggestions failed")
            ranked = RankedSuggestions(request.word, request.candidates, cancelled=True)
        finally:
            self._work_done()
            with self._id_lock:
                self._running = None
        self.spelling_ranked.emit(request.request_id, ranked)


@dataclass(frozen=True)
class SpellingRequest:
    """A misspelt word, the text around it and the dictionary's candidates, to order by the model."""

    request_id: int
    before: str
    word: str
    after: str
    candidates: tuple[str, ...]


class WorkerThread:
    """Owns the QThread the worker lives on, and shuts it down cleanly."""

    def __init__(self) -> None:
        self.thread = QThread()
        self.thread.setObjectName("model-worker")
        self.worker = ModelWorker()
        self.worker.moveToThread(self.thread)
        self.thread.start()

    def stop(self, timeout_ms: int = 10_000) -> None:
        """Cancel what runs, end the thread's event loop and wait for it."""
        self.worker.cancel()
        self.thread.quit()
        if not self.thread.wait(timeout_ms):
            log.warning("The model worker did not stop within %d ms", timeout_ms)

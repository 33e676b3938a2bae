"""GenerationEngine: the one engine interface the GUI, presets, CLI and lens use.

Two implementations: the local torch Engine (core/generation/engine.py) and RemoteEngine, which runs a
completions server (core/remote/engine.py). Nothing above this interface knows which it has; what a
server cannot do (the lens without log-probabilities) raises a StudioError that says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch

    from gpt2_studio.core.generation.context import Prompt
    from gpt2_studio.core.generation.engine import Completion, TextDelta
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.generation.scoring import Scores


class EngineModel(Protocol):
    """What an engine's users read about its model (a LoadedModel, or a server's RemoteModel)."""

    @property
    def name(self) -> str:
        """The model's name (a server's model id)."""

    @property
    def n_positions(self) -> int:
        """The window in tokens: prompt and continuation together."""

    @property
    def eos_token_id(self) -> int:
        """`<|endoftext|>`'s id."""

    @property
    def device(self) -> str:
        """Where it runs: "cpu", "cuda", "split", or "remote"."""

    @property
    def precision(self) -> str:
        """The weights' precision ("server" for a remote model: the server decides)."""


class GenerationEngine(Protocol):
    """Prompt → alternatives, streamed and cancellable; tokens; the lens's log-probabilities."""

    @property
    def model(self) -> EngineModel:
        """The model the engine runs."""

    def tokenize(self, text: str) -> list[int]:
        """Token ids of user text, as plain text."""

    def detokenize(self, ids: list[int]) -> str:
        """Text of token ids cut from user text."""

    def token_budget(self, settings: SamplingSettings) -> int:
        """How many prompt tokens fit beside settings.max_new_tokens in the window."""

    def cancel(self) -> None:
        """Stop the request in flight; thread-safe."""

    def complete(
        self,
        prompt: str | Prompt,
        settings: SamplingSettings | None = None,
        *,
        on_text: Callable[[TextDelta], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Completion:
        """Generate settings.num_alternatives continuations; on_text gets each new piece."""

    def stream(
        self,
        prompt: str | Prompt,
        settings: SamplingSettings | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Generator[TextDelta, None, Completion]:
        """Yield pieces as they arrive; the generator's return value is the Completion."""

    def score(
        self,
        text: str,
        *,
        top: int = ...,
        stride: int | None = None,
        cancel: threading.Event | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Scores:
        """Each token's log-probability and rank (the likelihood lens)."""

    def next_token_logprobs(
        self, ids: list[int], *, cancel: threading.Event | None = None
    ) -> torch.Tensor | None:
        """Log-probabilities [vocab] of the token after ids; None when cancelled."""

    def continuation_logprobs(
        self, context: str, continuations: list[str], *, cancel: threading.Event | None = None
    ) -> list[float] | None:
        """Log-probability of each continuation right after context; None when cancelled."""

"""Each generated token's own numbers: its probability, the model's runners-up, and when it came.

The probabilities are the model's own distribution at each step: log_softmax of the logits the model
gave, before the sampler's repetition penalty, temperature, top-k/top-p filters and token healing's
constraint (so a greedy and a sampled continuation are measured on the same scale). The cost is one
log_softmax and one topk per step on [rows, vocab], done on the device that ran the step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from gpt2_studio.core.generation.scoring import TopToken

RUNNERS_UP = 5  # the model's likeliest tokens kept beside each generated one


@dataclass(frozen=True)
class TokenChoice:
    """One generated token as the model saw it.

    text: the characters this token added to the alternative ("" inside a character that the next
    token finishes; for a token that rewrites healed prompt bytes, only the part after the writer's
    text). logprob: natural-log probability under the model's own distribution (≤ 0). top: the model's
    likeliest tokens at that step, best first (byte pieces of a character shown as \\x escapes).
    """

    text: str
    logprob: float
    top: tuple[TopToken, ...]

    @property
    def probability(self) -> float:
        """p(token | prompt and the tokens before it), 0…1."""
        return math.exp(self.logprob)


def mean_probability(choices: Sequence[TokenChoice]) -> float | None:
    """An alternative's confidence: the mean probability of its tokens (None when it has none)."""
    if not choices:
        return None
    return sum(choice.probability for choice in choices) / len(choices)


class TokenRecorder:
    """Collects TokenChoices per alternative while the engine generates them (one instance per request)."""

    def __init__(
        self, rows: int, token_bytes: Sequence[bytes], started: float, top: int = RUNNERS_UP
    ) -> None:
        self._token_bytes = token_bytes
        self._top = top
        self._started = started
        self._names: dict[int, str] = {}
        self.choices: list[list[TokenChoice]] = [[] for _ in range(rows)]
        self.seconds: list[float] = [
            0.0
        ] * rows  # per alternative: from the request's start to its last token
        self._logprobs: list[float] = []
        self._top_ids: list[list[int]] = []
        self._top_logprobs: list[list[float]] = []

    def observe(self, logits: torch.Tensor, tokens: torch.Tensor) -> None:
        """The model's logits [rows, vocab] of one step (before any sampling filter) and the tokens picked."""
        logprobs = logits.float().log_softmax(dim=-1)
        self._logprobs = logprobs.gather(1, tokens[:, None])[:, 0].tolist()
        top_lp, top_ids = logprobs.topk(min(self._top, logprobs.shape[-1]), dim=-1)
        self._top_ids, self._top_logprobs = top_ids.tolist(), top_lp.tolist()

    def add(self, index: int, piece: str) -> None:
        """Alternative ``index`` took this step's token, which added ``piece`` to its text."""
        top = tuple(
            TopToken(self._name(token), logprob)
            for token, logprob in zip(self._top_ids[index], self._top_logprobs[index], strict=True)
        )
        self.choices[index].append(TokenChoice(piece, self._logprobs[index], top))
        self.seconds[index] = time.perf_counter() - self._started

    def result(self) -> tuple[tuple[tuple[TokenChoice, ...], ...], tuple[float, ...]]:
        """(token choices per alternative, seconds per alternative)."""
        return tuple(tuple(row) for row in self.choices), tuple(self.seconds)

    def _name(self, token: int) -> str:
        name = self._names.get(token)
        if name is None:
            name = self._names[token] = self._token_bytes[token].decode("utf-8", "backslashreplace")
        return name

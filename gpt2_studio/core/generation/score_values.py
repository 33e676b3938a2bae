"""The values scoring returns: each token's numbers (TokenScore, TopToken) and the whole text's (Scores).

A 10,000-token document has 10,000 TokenScores with ten likeliest tokens each. Each TokenScore keeps its
top tokens as plain tuples of strings and floats, which Python's garbage collector stops tracking, and
builds TopTokens only when asked: 10,000 tracked objects instead of over 200,000, so scoring a long
document never sets off a full collection (which holds the interpreter, and a GUI with it, for hundreds
of milliseconds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_LN2 = math.log(2)
_FIELDS = ("text", "offset", "logprob", "rank", "_top_texts", "_top_logprobs")


@dataclass(frozen=True, slots=True)
class TopToken:
    """One of the model's likeliest tokens at a position: its text and natural-log probability."""

    text: str
    logprob: float


class TokenScore:
    """One token of the text, as the model read it (immutable).

    text: the characters this token starts (a token inside a character that an earlier token started
    has ""; the texts joined are the input). offset: the character offset of text in the input.
    logprob: natural-log probability of the token given all text before it (≤ 0). rank: 1 when it was
    the model's top choice. top: the model's likeliest tokens at that point, best first (byte pieces of
    a character shown as \\x escapes).
    """

    __slots__ = ("_top_logprobs", "_top_texts", "logprob", "offset", "rank", "text")
    text: str
    offset: int
    logprob: float
    rank: int
    _top_texts: tuple[str, ...]
    _top_logprobs: tuple[float, ...]

    def __init__(
        self, text: str, offset: int, logprob: float, rank: int, top: Iterable[TopToken] = ()
    ) -> None:
        top = tuple(top)
        self._set(text, offset, logprob, rank, tuple(t.text for t in top), tuple(t.logprob for t in top))

    @classmethod
    def _of(
        cls,
        text: str,
        offset: int,
        logprob: float,
        rank: int,
        top_texts: tuple[str, ...],
        top_logprobs: tuple[float, ...],
    ) -> TokenScore:
        """A TokenScore from its top tokens' texts and log-probabilities (the scorer's fast path)."""
        token = cls.__new__(cls)
        token._set(text, offset, logprob, rank, top_texts, top_logprobs)
        return token

    def _set(self, *values: Any) -> None:
        for name, value in zip(_FIELDS, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"TokenScore is immutable: cannot set {name}")

    @property
    def top(self) -> tuple[TopToken, ...]:
        """The model's likeliest tokens at this point, best first."""
        return tuple(map(TopToken, self._top_texts, self._top_logprobs))

    @property
    def top_logprobs(self) -> tuple[float, ...]:
        """The natural-log probabilities of top, best first (without building the TopTokens)."""
        return self._top_logprobs

    @property
    def probability(self) -> float:
        """p(token | text before it), 0…1."""
        return math.exp(self.logprob)

    @property
    def surprisal_bits(self) -> float:
        """−log₂ p: how surprising the token was, in bits."""
        return -self.logprob / _LN2

    def _key(self) -> tuple[Any, ...]:
        return (self.text, self.offset, self.logprob, self.rank, self._top_texts, self._top_logprobs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TokenScore):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"TokenScore(text={self.text!r}, offset={self.offset}, logprob={self.logprob!r}, "
            f"rank={self.rank}, top={self.top!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (TokenScore._of, self._key())


@dataclass(frozen=True)
class Scores:
    """A scored text: one TokenScore per token, the perplexity, and what the scoring cost.

    perplexity: exp of the mean negative log-probability (nan for a text with no tokens). windows: how
    many windows the text needed. rescored_tokens: how many tokens were scored this time (the rest came
    from the previous call's numbers). cancelled: the scoring stopped early; tokens holds what was done.
    """

    tokens: tuple[TokenScore, ...]
    perplexity: float
    windows: int
    rescored_tokens: int
    cancelled: bool = False

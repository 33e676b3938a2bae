"""Suggestions for a misspelt word ordered by GPT-2: the likeliest correction in its context first.

Each candidate is scored as the continuation of the text before the word: the candidate (with the
word's leading space, as GPT-2 writes words) followed by the first AFTER_TOKENS tokens of the text after
the word. The text after is what separates "their" from "there" ("… ther is a cat" makes " there is"
likelier than " their is"), and it is the same for every candidate, so only how well each candidate
fits both sides changes the order.

The score is the SUM of the log-probabilities of the continuation's tokens, not their mean: the sum is
the log of the model's probability of that exact text, which is what "the likeliest correction" means.
A mean would favour candidates split into many tokens, whose later pieces are nearly certain once the
first is written (" unbeliev" + "able"), and it would weigh the shared text after the word differently
for each candidate depending on how many tokens the candidate itself took.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gpt2_studio.core.generation.word_alternatives import split_word

if TYPE_CHECKING:
    from gpt2_studio.core.generation.engine import Engine

#: Tokens of the text after the word added to each candidate (one or two words: enough for their/there).
AFTER_TOKENS = 3
#: Characters of the text after the word looked at to find those tokens.
AFTER_CHARS = 80


@dataclass(frozen=True)
class RankedSuggestions:
    """Suggestions best first. logprobs: each suggestion's score (None: the library's order, no model)."""

    word: str
    suggestions: tuple[str, ...]
    logprobs: tuple[float, ...] | None = None
    cancelled: bool = False


def rank_suggestions(
    engine: Engine | None,
    before: str,
    word: str,
    after: str,
    candidates: Sequence[str],
    *,
    cancel: threading.Event | None = None,
) -> RankedSuggestions:
    """candidates (the library's order) re-ordered by the model's log-probability in context.

    before/after: the document's text before and after the word. Without an engine, or when cancelled,
    the library's order is kept. Ties keep the library's order (a stable sort).
    """
    if engine is None or not candidates:
        return RankedSuggestions(word, tuple(candidates))
    context, lead, _bare = split_word(before, word)
    tail = engine.detokenize(engine.tokenize(after[:AFTER_CHARS])[:AFTER_TOKENS])
    scores = engine.continuation_logprobs(context, [lead + c + tail for c in candidates], cancel=cancel)
    if scores is None:
        return RankedSuggestions(word, tuple(candidates), cancelled=True)
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    return RankedSuggestions(word, tuple(candidates[i] for i in order), tuple(scores[i] for i in order))

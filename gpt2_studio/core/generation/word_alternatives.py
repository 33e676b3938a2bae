"""The model's alternatives for one word of the writer's text: whole words, built from tokens.

The model's likeliest next tokens after the text before the word are the candidates. Each that starts a
word the way the original word does (the same leading whitespace, then a letter or digit) is extended
greedily, the model's top token at each step, until its word ends (`endings.find_end` with "word").

A word's probability is the product of the probabilities of the tokens that write it, each given the
text before the word and the tokens before it; a last token that also writes what follows the word
("s." after " cat") counts whole. The same word reached by two token paths (" un" "real" and " unreal")
gets the sum of both. Greedy extension finds one path per candidate token, so a word's probability is a
lower bound of the model's chance of writing exactly that word there. The text is read after
`<|endoftext|>`, as the likelihood lens reads it, so a one-token word has the probability the lens shows.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import regex

from gpt2_studio.core.generation.endings import find_end

if TYPE_CHECKING:
    from gpt2_studio.core.generation.engine import Engine

DEFAULT_COUNT = 10
CANDIDATE_TOKENS = 200  # next tokens looked at, best first (most may be pieces of words, or punctuation)
EXTENDED_PER_WORD = 3  # at most this many candidates per word asked for are extended
CALLS_PER_WORD = 6  # and at most this many model calls per word asked for, all extensions together
MAX_WORD_TOKENS = 8  # a candidate whose word has not ended after this many tokens is dropped
TRIM_GRID = 64  # a text longer than the window loses its start in steps of this many tokens
_WORD_START = regex.compile(r"\w")


@dataclass(frozen=True)
class WordAlternative:
    """A word the model would put in place of the writer's.

    text: the replacement for the word exactly as it was given (its leading whitespace included when
    the given word had it). logprob: natural log of the word's probability (see the module docstring).
    tokens: how many tokens write it.
    """

    text: str
    logprob: float
    tokens: int

    @property
    def probability(self) -> float:
        """The word's probability, 0…1."""
        return math.exp(self.logprob)


@dataclass(frozen=True)
class WordAlternatives:
    """The answer for one word: alternatives best first (the word itself left out), or cancelled."""

    word: str
    alternatives: tuple[WordAlternative, ...]
    cancelled: bool = False


def split_word(before: str, word: str) -> tuple[str, str, str]:
    """(context, lead, rest): the word as GPT-2 writes it, with one space taken from before if needed.

    GPT-2's tokens carry the space before a word (" cat"), so a word after a space is predicted after
    the text without that space. lead is the word's leading whitespace as the model writes it.
    """
    own = word[: len(word) - len(word.lstrip())]
    if not own and before.endswith(" "):
        return before[:-1], " ", word
    return before, own, word[len(own) :]


def word_alternatives(
    engine: Engine,
    before: str,
    word: str,
    *,
    count: int = DEFAULT_COUNT,
    cancel: threading.Event | None = None,
) -> WordAlternatives:
    """Up to count whole words the model would write in place of `word` after `before`, best first.

    before: all the text before the word (its end is what matters; a long text keeps the window's
    worth). word: the word as it stands in the text, optionally with its leading whitespace. The word
    itself is left out. Cancelled (with what was found so far) when cancel is set.
    """
    context, lead, bare = split_word(before, word)
    moved = lead[: len(lead) - (len(word) - len(word.lstrip()))]
    eos = engine.model.eos_token_id
    window = engine.model.n_positions
    ids = [eos, *engine.tokenize(context)]
    room = window - MAX_WORD_TOKENS - 1
    if len(ids) > room:
        # Cut on a grid, so that words near each other share the start the prompt cache holds.
        drop = -(-(len(ids) - room) // TRIM_GRID) * TRIM_GRID  # rounded up to the grid
        ids = ids[drop:]
    found: dict[str, tuple[float, int]] = {}

    def answer(cancelled: bool) -> WordAlternatives:
        ranked = sorted(found.items(), key=lambda item: -item[1][0])[:count]
        alternatives = tuple(
            WordAlternative(text[len(moved) :], math.log(p), n) for text, (p, n) in ranked if p > 0
        )
        return WordAlternatives(word, alternatives, cancelled)

    first = engine.next_token_logprobs(ids, cancel=cancel)
    if first is None:
        return answer(True)
    top_logprobs, top_ids = first.topk(min(CANDIDATE_TOKENS, first.shape[0]))
    extended_count = 0
    calls = [1]  # model calls so far (the first distribution is one); a list so _extend can count
    for logprob, token in zip(top_logprobs.tolist(), top_ids.tolist(), strict=True):
        if len(found) >= count and sorted(p for p, _ in found.values())[-count] >= math.exp(logprob):
            break  # every later word is at most this token's probability
        if extended_count >= EXTENDED_PER_WORD * count:
            break  # the model's time is bounded: the rest are unlikelier than the words found
        if token == eos or not _starts_word(engine.detokenize([token]), lead):
            continue
        extended_count += 1
        if calls[0] >= CALLS_PER_WORD * count:
            break  # bounded time on a model whose words go on and on (random weights)
        extended = _extend(engine, ids, token, logprob, cancel, calls)
        if extended is None:
            return answer(True)
        text, word_logprob, tokens = extended
        if not text.startswith(lead) or not _WORD_START.match(text, len(lead)) or text == lead + bare:
            continue
        old, old_tokens = found.get(text, (0.0, tokens))
        found[text] = (old + math.exp(word_logprob), min(old_tokens, tokens))
    return answer(False)


def _starts_word(text: str, lead: str) -> bool:
    """Whether a candidate token's text starts a word with the given lead.

    A token that holds only part of a character after the lead (some CJK words) is not taken.
    """
    return text.startswith(lead) and bool(_WORD_START.match(text, len(lead)))


def _extend(
    engine: Engine,
    ids: list[int],
    token: int,
    logprob: float,
    cancel: threading.Event | None,
    calls: list[int],
) -> tuple[str, float, int] | None:
    """The word a candidate token starts, its log-probability and token count; None when cancelled.

    The text is "" when the word does not end within MAX_WORD_TOKENS tokens. calls[0] counts model calls.
    """
    eos = engine.model.eos_token_id
    tokens, logprobs = [token], [logprob]
    while True:
        text = engine.detokenize(tokens)
        cut = find_end(text, "word") if text.strip() else None
        if cut is not None:
            break
        if len(tokens) >= MAX_WORD_TOKENS:
            return "", -math.inf, len(tokens)
        calls[0] += 1
        row = engine.next_token_logprobs([*ids, *tokens], cancel=cancel)
        if row is None:
            return None
        best = int(row.argmax())
        if best == eos:
            cut = len(text)
            break
        tokens.append(best)
        logprobs.append(float(row[best]))
    # The tokens that write the word: up to the first whose text reaches the cut.
    used = next(k for k in range(1, len(tokens) + 1) if len(engine.detokenize(tokens[:k])) >= cut)
    return text[:cut], sum(logprobs[:used]), used

"""The model's alternatives for one word of the writer's text: whole words, built from tokens.

The model's likeliest next tokens after the text before the word are the candidates. Each that starts a
word the way the original word does (the same leading whitespace, then a letter or digit) is extended
greedily, the model's top token at each step, until its word ends (`endings.find_end` with "word").
The candidates are extended together, GROUP_ROWS at a time, as the rows of one batch cache holding the
text's keys and values: one forward call per step for the group, not one per candidate and step.

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
from typing import TYPE_CHECKING, Any

import regex
import torch

from gpt2_studio.core.generation.endings import find_end

if TYPE_CHECKING:
    from gpt2_studio.core.generation.engine import Engine

DEFAULT_COUNT = 10
CANDIDATE_TOKENS = 200  # next tokens looked at, best first (most may be pieces of words, or punctuation)
EXTENDED_PER_WORD = 3  # at most this many candidates per word asked for are extended
CALLS_PER_WORD = 6  # and at most this many model calls per word asked for, all extensions together
MAX_WORD_TOKENS = 8  # a candidate whose word has not ended after this many tokens is dropped
TRIM_GRID = 64  # a text longer than the window loses its start in steps of this many tokens
# Candidates extended per forward call. Always this many rows (padded): kernels compute a row apart
# from the others only for a fixed row count, so a candidate's numbers never depend on its neighbours.
GROUP_ROWS = 4
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
    one_at_a_time: bool = False,
) -> WordAlternatives:
    """Up to count whole words the model would write in place of `word` after `before`, best first.

    before: all the text before the word (its end is what matters; a long text keeps the window's
    worth). word: the word as it stands in the text, optionally with its leading whitespace. The word
    itself is left out. Cancelled (with what was found so far) when cancel is set. one_at_a_time:
    extend the candidates one forward call per candidate and step (slower; the batched path's reference).
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
    candidates: list[tuple[float, int]] = []  # the tokens that start a word as the given word does
    for logprob, token in zip(top_logprobs.tolist(), top_ids.tolist(), strict=True):
        if len(candidates) >= EXTENDED_PER_WORD * count:
            break  # the model's time is bounded: the rest are unlikelier than the words found
        if token != eos and _starts_word(engine.detokenize([token]), lead):
            candidates.append((logprob, token))
    held: list[Any] = []  # the batch cache, whose rows keep the text's keys and values from group to group

    def together(
        engine: Engine, ids: list[int], tokens: list[int], cancel: threading.Event | None
    ) -> list[_Extension] | None:
        return _extend_together(engine, ids, tokens, cancel, held)

    extend, size = (_extend_one_by_one, 1) if one_at_a_time else (together, GROUP_ROWS)
    extensions: list[_Extension] = []
    calls = 1  # model calls so far (the first distribution is one), as one candidate at a time makes them
    for index, (logprob, _token) in enumerate(candidates):
        if len(found) >= count and sorted(p for p, _ in found.values())[-count] >= math.exp(logprob):
            break  # every later word is at most this token's probability
        if calls >= CALLS_PER_WORD * count:
            break  # bounded time on a model whose words go on and on (random weights)
        if index >= len(extensions):  # the next group's words, all at once
            group = extend(engine, ids, [t for _, t in candidates[index : index + size]], cancel)
            if group is None:
                return answer(True)
            extensions += group
        text, token_logprobs, tokens, used_calls = extensions[index]
        calls += used_calls
        if not text.startswith(lead) or not _WORD_START.match(text, len(lead)) or text == lead + bare:
            continue
        word_probability = math.exp(sum([logprob, *token_logprobs[1:tokens]]))
        old, old_tokens = found.get(text, (0.0, tokens))
        found[text] = (old + word_probability, min(old_tokens, tokens))
    return answer(False)


def _starts_word(text: str, lead: str) -> bool:
    """Whether a candidate token's text starts a word with the given lead.

    A token that holds only part of a character after the lead (some CJK words) is not taken.
    """
    return text.startswith(lead) and bool(_WORD_START.match(text, len(lead)))


# One candidate's word: its text ("" when it did not end within MAX_WORD_TOKENS), the log-probabilities
# of the tokens after the first, as [first's placeholder, ...], how many tokens write it, model calls.
_Extension = tuple[str, list[float], int, int]


class _Growing:
    """One candidate's tokens while it is extended, and whether its word has ended."""

    def __init__(self, engine: Engine, token: int) -> None:
        self.engine = engine
        self.tokens = [token]
        self.logprobs = [0.0]  # the first token's is the candidate's own, kept by the caller
        self.calls = 0
        self.done: _Extension | None = None
        self._check()

    def _check(self) -> None:
        """End the word if its text has an end, or it has grown too long; else it needs a model call."""
        text = self.engine.detokenize(self.tokens)
        cut = find_end(text, "word") if text.strip() else None
        if cut is not None:
            self._finish(text, cut)
        elif len(self.tokens) >= MAX_WORD_TOKENS:
            self.done = ("", self.logprobs, len(self.tokens), self.calls)

    def _finish(self, text: str, cut: int) -> None:
        tokens = self.tokens
        # The tokens that write the word: up to the first whose text reaches the cut.
        used = next(k for k in range(1, len(tokens) + 1) if len(self.engine.detokenize(tokens[:k])) >= cut)
        self.done = (text[:cut], self.logprobs, used, self.calls)

    def step(self, row: torch.Tensor) -> None:
        """The model's log-probabilities [vocab] of the token after these: take its top token."""
        self.calls += 1
        best = int(row.argmax())
        if best == self.engine.model.eos_token_id:
            text = self.engine.detokenize(self.tokens)
            self._finish(text, len(text))
            return
        self.tokens.append(best)
        self.logprobs.append(float(row[best]))
        self._check()


def _extend_one_by_one(
    engine: Engine, ids: list[int], tokens: list[int], cancel: threading.Event | None
) -> list[_Extension] | None:
    """The words the candidate tokens start, one candidate and one step per call (the reference)."""
    out: list[_Extension] = []
    for token in tokens:
        growing = _Growing(engine, token)
        while growing.done is None:
            row = engine.next_token_logprobs([*ids, *growing.tokens], cancel=cancel)
            if row is None:
                return None
            growing.step(row)
        out.append(growing.done)
    return out


@torch.inference_mode()
def _extend_together(
    engine: Engine, ids: list[int], tokens: list[int], cancel: threading.Event | None, held: list[Any]
) -> list[_Extension] | None:
    """The words the candidate tokens (at most GROUP_ROWS) start: one batched forward call per step.

    Each row of a batch cache starts with the text's keys and values (copied from the engine's prompt
    cache, which the first distribution filled) and grows by its own candidate's tokens. held keeps
    that cache for the next group of the same text.
    """
    rows = [_Growing(engine, token) for token in tokens]
    if all(row.done is not None for row in rows):
        return [row.done for row in rows if row.done is not None]
    runner = engine._runner  # the engine's own model, batch cache and lock: this is its kind of work
    flag = cancel or threading.Event()
    with engine._lock:
        logits, _reused = engine._prefix.fill(ids, flag)
        if logits is None or engine._prefix.cache is None:
            return None
        if not held:  # steps write past the text only: the next group reuses the copied rows
            held.append(runner.new_cache(GROUP_ROWS, len(ids) + MAX_WORD_TOKENS))
            runner.copy_prefix(engine._prefix.cache, held[0], len(ids), GROUP_ROWS)
        cache = held[0]
        for step in range(MAX_WORD_TOKENS):
            alive = [row for row in rows if row.done is None]
            if not alive:
                break
            if flag.is_set():
                return None
            # Every row feeds its token at the same position (ended and padding rows repeat a token).
            fed = [row.tokens[step] if step < len(row.tokens) else row.tokens[-1] for row in rows]
            fed += [fed[0]] * (GROUP_ROWS - len(fed))
            batch = torch.tensor([[token] for token in fed], dtype=torch.long, device=runner.device)
            out = runner.forward(batch, cache, start=len(ids) + step).float().cpu()
            out[:, engine._usable_vocab :] = float("-inf")
            logprobs = out.log_softmax(dim=-1)
            for index, row in enumerate(rows):
                if row.done is None:
                    row.step(logprobs[index])
    return [
        row.done if row.done is not None else ("", row.logprobs, len(row.tokens), row.calls) for row in rows
    ]

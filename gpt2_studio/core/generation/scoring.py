"""Scoring a text: each token's log-probability and rank given everything before it (GLTR's view).

The text is read as GPT-2 was trained: after `<|endoftext|>`, so its first token is scored too. A text
longer than the model's window is read in overlapping windows (the "stride" method of transformers'
perplexity guide): windows start every `stride` tokens, and each token is scored in the first window
that ends after it, so it sees at least window − stride tokens of context (all of them early on).

Scoring is incremental. The Scorer keeps every token's numbers and the key/value cache of the last
window it read; after an edit only tokens at or after the first changed one are scored again, starting
from the cached block that holds the token before it. Blocks have one fixed, padded shape, so the
numbers after an edit are bit for bit the numbers of scoring the new text from scratch.

A token whose numbers, text and offset did not change keeps its TokenScore from the previous call, so a
re-score after typing builds values only for the new tokens (see score_values on why their count matters).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch

# TopToken too: callers take the values from here.
from gpt2_studio.core.generation.score_values import Scores, TokenScore, TopToken  # noqa: F401

# Tokens per forward call while scoring; a padded last block keeps every call the same shape. Typing
# at the end re-scores one block: with 32 that took 1/24–1/71 of a 900-token document's cold scoring
# (CPU time, 124M int8, median 1/46; 64 gave 1/7–1/36, median 1/17); cold time the same within noise.
SCORE_BLOCK = 32
DEFAULT_TOP = 10
MAX_TOP = 100


class CancelFlag(Protocol):
    """What scoring asks of its cancel flag (a threading.Event will do)."""

    def is_set(self) -> bool:
        """Whether to stop before the next block."""
        ...


# What is kept per scored token: logprob, rank, top ids, top logprobs (a plain tuple of numbers, which
# the garbage collector stops tracking; texts and offsets are rebuilt per call: edits move them).
_Numbers = tuple[float, int, tuple[int, ...], tuple[float, ...]]


def _char_at_byte(text: str) -> list[int]:
    """For each byte of text's UTF-8, and one past the end: the index of the character it starts (a
    byte inside a character counts as the character after it)."""
    if text.isascii():
        return list(range(len(text) + 1))
    char_at_byte: list[int] = []
    for index, char in enumerate(text):
        width = len(char.encode("utf-8", "surrogatepass"))
        char_at_byte.append(index)
        char_at_byte += [index + 1] * (width - 1)
    char_at_byte.append(len(text))
    return char_at_byte


def window_of(target: int, window: int, stride: int) -> int:
    """The index of the window that scores sequence position `target` (≥ 1); a function of it alone."""
    return max(0, (target - window) // stride + 1)


class Scorer:
    """Scores texts with one model, reusing what the previous text shares with the new one.

    runner: the model's GPT2Runner. token_bytes: every token's bytes. tokenize: the plain-text
    tokenizer. Not thread-safe: Engine.score runs one scoring at a time.
    """

    def __init__(
        self, runner: Any, token_bytes: Sequence[bytes], tokenize: Callable[[str], list[int]], eos: int
    ) -> None:
        self._runner = runner
        self._token_bytes = token_bytes
        self._tokenize = tokenize
        self._eos = eos
        self._usable = len(token_bytes)
        self._seq: list[int] = []
        self._numbers: list[_Numbers | None] = []  # by sequence position (0, the <|endoftext|>, has none)
        self._top = 0
        self._stride = 0
        self._cache: Any = None
        self._cached_window = -1  # the window whose key/value cache is held
        self._cached_upto = 0  # window-relative positions before this are cached, in whole blocks
        self._kept_numbers: list[_Numbers] = []  # the numbers of the last call's TokenScores, by token
        self._kept_tokens: list[TokenScore] = []  # (parallel lists: a pair would be one more tracked object)

    @torch.inference_mode()
    def score(
        self,
        text: str,
        *,
        top: int = DEFAULT_TOP,
        stride: int | None = None,
        cancel: CancelFlag | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        lock: Any = None,
    ) -> Scores:
        """Score text; see the module docstring. on_progress(done, total) gets token counts
        after each block of SCORE_BLOCK tokens.

        top: how many of the likeliest tokens to keep per position (0…100). stride: tokens between window
        starts (default half the window). lock: held around each forward call (the engine's), so other
        requests can run between blocks. Raises ValueError for a top or stride out of range.
        """
        window = self._runner.n_positions
        stride = window // 2 if stride is None else stride
        if not 1 <= stride <= window:
            raise ValueError(
                f"stride must be between 1 and the model's window of {window} tokens, not {stride}"
            )
        if not 0 <= top <= MAX_TOP:
            raise ValueError(f"top must be between 0 and {MAX_TOP}, not {top}")
        ids = self._tokenize(text)
        seq = [self._eos, *ids]
        first = self._first_change(seq, top, stride)
        self._seq = seq
        del self._numbers[first:]
        self._numbers += [None] * (len(seq) - len(self._numbers))
        total = len(seq) - first
        done = 0
        cancelled = False
        windows = 0
        if len(seq) > 1:
            windows = window_of(len(seq) - 1, window, stride) + 1
        for k in range(window_of(first, window, stride) if first < len(seq) else windows, windows):
            if cancel is not None and cancel.is_set():
                cancelled = True
                break

            def report(last_target: int) -> None:
                nonlocal done
                done = min(total, max(done, last_target - first + 1))
                if on_progress is not None:
                    on_progress(done, total)

            cancelled = not self._score_window(k, max(first, 1), window, stride, top, cancel, lock, report)
            if cancelled:
                break
        return self._scores(text, windows, total if not cancelled else done, cancelled)

    def _first_change(self, seq: list[int], top: int, stride: int) -> int:
        """The first sequence position whose numbers must be computed again."""
        if top != self._top or stride != self._stride:
            self._top, self._stride = top, stride
            self._cached_window = -1
            self._numbers = []
            return 1
        same = 0
        for old, new in zip(self._seq, seq, strict=False):
            if old != new:
                break
            same += 1
        done = next((i for i, n in enumerate(self._numbers) if i > 0 and n is None), len(self._numbers))
        return max(1, min(same, done))

    def _scored_until(self, k: int, window: int, stride: int) -> int:
        """One past the last sequence position window k scores."""
        return min(k * stride + window, len(self._seq))

    def _score_window(
        self,
        k: int,
        first: int,
        window: int,
        stride: int,
        top: int,
        cancel: CancelFlag | None,
        lock: Any,
        report: Callable[[int], None],
    ) -> bool:
        """Score window k's targets from `first` on; False when cancelled.

        report(position) is called after each block with the last sequence position scored so far.
        """
        runner = self._runner
        begin = k * stride
        end = self._scored_until(k, window, stride)
        scored_from = max(first, 1 if k == 0 else (k - 1) * stride + window)
        # The logits at position p - 1 score position p: start at the block that holds scored_from - 1.
        need = scored_from - 1 - begin
        start_block = (need // SCORE_BLOCK) * SCORE_BLOCK
        # Blocks before _cached_upto hold this window's unchanged tokens; later ones are read again.
        start_block = min(start_block, self._cached_upto) if self._cached_window == k else 0
        if self._cache is None:
            self._cache = runner.new_cache(1, window)
        self._cached_window = k
        self._cached_upto = start_block
        tokens = self._seq[begin:end]
        for block_start in range(start_block, len(tokens), SCORE_BLOCK):
            if cancel is not None and cancel.is_set():
                return False
            block_end = min(block_start + SCORE_BLOCK, self._cache.capacity)
            chunk = tokens[block_start:block_end]
            padded = chunk + [self._eos] * (block_end - block_start - len(chunk))
            batch = torch.tensor([padded], dtype=torch.long, device=runner.device)
            if lock is not None:
                with lock:
                    logits = runner.forward(batch, self._cache, start=block_start, all_rows=True)
            else:
                logits = runner.forward(batch, self._cache, start=block_start, all_rows=True)
            self._cached_upto = block_start + SCORE_BLOCK if len(chunk) == SCORE_BLOCK else block_start
            self._record(logits[0], begin + block_start, scored_from, end, top)
            report(min(begin + block_start + len(chunk), end - 1))
        return True

    def _record(self, logits: torch.Tensor, position: int, scored_from: int, end: int, top: int) -> None:
        """Numbers for each target the block's rows predict (row r predicts position + r + 1)."""
        logits = logits.float()
        if self._usable < logits.shape[-1]:
            logits[:, self._usable :] = float("-inf")
        first_row = max(0, scored_from - 1 - position)
        last_row = min(logits.shape[0], end - 1 - position)
        if first_row >= last_row:
            return
        rows = logits[first_row:last_row]
        targets = torch.tensor(self._seq[position + first_row + 1 : position + last_row + 1])
        logprobs = rows.log_softmax(dim=-1)
        chosen = rows.gather(1, targets[:, None])
        ranks = (rows > chosen).sum(dim=1) + 1
        target_lp = logprobs.gather(1, targets[:, None])[:, 0]
        if top:
            top_lp, top_ids = logprobs.topk(top, dim=-1)
        for i in range(rows.shape[0]):
            self._numbers[position + first_row + 1 + i] = (
                float(target_lp[i]),
                int(ranks[i]),
                tuple(top_ids[i].tolist()) if top else (),
                tuple(top_lp[i].tolist()) if top else (),
            )

    def _scores(self, text: str, windows: int, rescored: int, cancelled: bool) -> Scores:
        """The kept numbers with each token's text and offset in `text`."""
        char_at_byte = _char_at_byte(text)
        last_byte = len(char_at_byte) - 1
        kept_numbers, kept_tokens = self._kept_numbers, self._kept_tokens
        self._kept_numbers, self._kept_tokens = [], []
        out: list[TokenScore] = []
        byte = 0
        names: dict[int, str] = {}
        for seq_index in range(1, len(self._seq)):
            numbers = self._numbers[seq_index]
            if numbers is None:
                break
            start = char_at_byte[byte]
            byte += len(self._token_bytes[self._seq[seq_index]])
            end = char_at_byte[min(byte, last_byte)]
            old = kept_tokens[seq_index - 1] if seq_index <= len(kept_tokens) else None
            if (
                old is not None
                and kept_numbers[seq_index - 1] is numbers
                and old.offset == start
                and len(old.text) == end - start
                and text.startswith(old.text, start)
            ):
                token = old
            else:
                logprob, rank, top_ids, top_logprobs = numbers
                top_texts = tuple(self._name(i, names) for i in top_ids)
                token = TokenScore._of(text[start:end], start, logprob, rank, top_texts, top_logprobs)
            self._kept_numbers.append(numbers)
            self._kept_tokens.append(token)
            out.append(token)
        perplexity = math.exp(-sum(t.logprob for t in out) / len(out)) if out else math.nan
        return Scores(tuple(out), perplexity, windows, rescored, cancelled)

    def _name(self, token: int, names: dict[int, str]) -> str:
        name = names.get(token)
        if name is None:
            name = names[token] = self._token_bytes[token].decode("utf-8", "backslashreplace")
        return name

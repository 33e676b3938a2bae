"""The prompt's key/value cache, filled in fixed blocks so that reusing it equals starting afresh.

Kernels compute a row differently depending on how many rows come with it (int8 uses another matmul
above 32 rows; attention and small fp32 products block their sums by shape). If a cached prefix were
extended by just the new tokens, the same prompt would give other numbers, and sometimes another
continuation, than on a fresh start. So a prompt of any length is always cut into the same forward
calls: the biggest grid-aligned blocks it fills, the last one padded. Every call has one fixed shape
and fixed inputs, so a call found in the cache is bit-for-bit the call a fresh start would make, and
only calls that differ are run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

from gpt2_studio.core.runner import KVCache

# Each size a multiple of the next. A prompt that grows past a 128 boundary recomputes that block in one
# call (≈0.1 s for GPT-2 124M on 2 cores); usually typing recomputes one block of 4.
BLOCK_SIZES = (128, 16, 4)


class CancelFlag(Protocol):
    """What fill() asks of its cancel flag: a threading.Event, or the engine's per-request flag."""

    def is_set(self) -> bool:
        """Whether to stop before reading the prompt."""
        ...


@dataclass(frozen=True)
class Block:
    """One forward call of a prompt: positions start…end-1 fed with `tokens` (padding included)."""

    start: int
    end: int
    tokens: tuple[int, ...]


def plan_blocks(length: int, capacity: int, sizes: tuple[int, ...] = BLOCK_SIZES) -> list[tuple[int, int]]:
    """The (start, end) of each forward call for a prompt of `length` tokens, end ≤ capacity.

    A function of the length alone: the biggest aligned blocks that are full, then smaller ones, and
    the rest in one block of the smallest size (cut at capacity), padded past `length`.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    for size in sizes:
        while position + size <= length:
            spans.append((position, position + size))
            position += size
    if position < length:
        spans.append((position, min(position + sizes[-1], capacity)))
    return spans


class PrefixCache:
    """The batch-1 key/value cache of the last prompt, and the blocks that filled it."""

    def __init__(self, runner: Any, pad_id: int) -> None:
        self.runner = runner
        self.pad_id = pad_id
        self.cache: KVCache | None = None
        self._blocks: list[Block] = []
        self._logits: torch.Tensor | None = None

    def forget(self) -> None:
        """Drop what is cached (after an error left the cache half written)."""
        self._blocks = []
        self._logits = None

    def blocks(self, ids: list[int]) -> list[Block]:
        """The forward calls that compute ids from scratch."""
        n = len(ids)
        out = []
        for start, end in plan_blocks(n, self.runner.n_positions):
            real = ids[start:end]
            out.append(Block(start, end, (*real, *[self.pad_id] * (end - start - len(real)))))
        return out

    @torch.inference_mode()
    def fill(self, ids: list[int], cancel: CancelFlag) -> tuple[torch.Tensor | None, int]:
        """Bring the cache up to ids; return the logits [1, vocab] after the last id and how many ids
        were reused. The logits are None when cancel was set before the prompt was read."""
        if not ids:
            raise ValueError("a prompt needs at least one token")
        runner = self.runner
        if self.cache is None:
            self.cache = runner.new_cache(1, runner.n_positions)
        wanted = self.blocks(ids)
        keep = 0
        while keep < min(len(wanted), len(self._blocks)) and wanted[keep] == self._blocks[keep]:
            keep += 1
        if keep == len(wanted) == len(self._blocks) and self._logits is not None:
            return self._logits, len(ids)  # the same prompt again
        # A prompt that ends where a longer cached one has a block boundary: its last block runs again
        # (the same call, so the same numbers) because only the logits of the cached prompt's end are kept.
        keep = min(keep, len(wanted) - 1)
        reused = min(wanted[keep - 1].end, len(ids)) if keep else 0
        del self._blocks[keep:]
        self._logits = None
        # Room for the whole prompt at once: growing block by block would leave each smaller copy behind
        # as free but unreturned heap.
        self.cache.reserve(wanted[-1].end)
        logits = None
        for block in wanted[keep:]:
            if cancel.is_set():
                return None, reused
            last = block is wanted[-1]
            batch = torch.tensor([block.tokens], dtype=torch.long, device=runner.device)
            logits = runner.forward(
                batch, self.cache, start=block.start, logits=last, row=len(ids) - 1 - block.start
            )
            self._blocks.append(block)
        self._logits = logits
        return logits, reused

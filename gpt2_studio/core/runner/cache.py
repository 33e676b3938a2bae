"""The key/value cache: what each layer's attention has seen so far, grown in chunks as positions arrive.

Why chunks: a prompt cache preallocated for the model's whole window (1024 positions) held 75 MiB at
GPT-2 124M and 201 MiB at 355M in fp32 whatever the prompt's length; grown 128 positions at a time, a
short prompt holds little and a 900-token one at most a chunk more than it needs. Growing copies what is
there into a bigger tensor, layer by layer, so the transient is one layer's old copy; positions keep
their bits, so a grown cache reads exactly what it would have read had it been that big from the start.

Why the dtype is the runner's choice (`GPT2Runner.cache_dtype`): fp32 on the exact fp32 path; bf16 on
the int8/bf16 paths, which halves the bytes a decode step reads from the cache (66 → 33 MB at 900
positions, 124M) and the cache's memory. Attention converts the part it reads back to the compute dtype
(see `forward`).
"""

from __future__ import annotations

import torch

#: Positions added at a time when a cache grows.
CHUNK = 128


def _rounded(positions: int, chunk: int, capacity: int) -> int:
    return min(capacity, -(-positions // chunk) * chunk)


class KVCache:
    """Keys and values of every layer for `batch` sequences, room for up to `capacity` positions.

    One tensor pair per layer, [batch, heads, allocated, head_dim], on that layer's device (a model split
    between GPU and CPU). `allocated` grows in chunks of `chunk` positions up to `capacity`
    (`reserve`); the runner reserves before it writes.
    """

    def __init__(
        self,
        devices: list,
        batch: int,
        heads: int,
        capacity: int,
        head_dim: int,
        dtype: torch.dtype,
        chunk: int = CHUNK,
    ) -> None:
        if capacity < 1 or chunk < 1:
            raise ValueError(f"a cache needs room for at least one position (capacity {capacity})")
        self._capacity = capacity
        self.chunk = chunk
        size = _rounded(1, chunk, capacity)
        # Uninitialised on purpose: attention only ever reads positions that were written.
        self.keys = [torch.empty(batch, heads, size, head_dim, dtype=dtype, device=d) for d in devices]
        self.values = [torch.empty_like(k) for k in self.keys]

    @property
    def batch(self) -> int:
        """How many sequences the cache holds."""
        return self.keys[0].shape[0]

    @property
    def capacity(self) -> int:
        """How many positions (tokens) each sequence may grow to."""
        return self._capacity

    @property
    def allocated(self) -> int:
        """How many positions the tensors hold now (≤ capacity)."""
        return self.keys[0].shape[2]

    @property
    def dtype(self) -> torch.dtype:
        """The dtype keys and values are stored in."""
        return self.keys[0].dtype

    def nbytes(self) -> int:
        """Bytes the keys and values take now."""
        return sum(t.numel() * t.element_size() for t in self.keys + self.values)

    def reserve(self, positions: int) -> None:
        """Make room for positions 0…positions-1, keeping what is stored. Raises ValueError past capacity."""
        if positions <= self.allocated:
            return
        if positions > self._capacity:
            raise ValueError(f"positions up to {positions} do not fit a cache of {self._capacity}")
        size = _rounded(positions, self.chunk, self._capacity)
        old = self.allocated
        for parts in (self.keys, self.values):
            for index, part in enumerate(parts):
                grown = part.new_empty(part.shape[0], part.shape[1], size, part.shape[3])
                grown[:, :, :old] = part
                parts[index] = grown  # the old tensor is freed here, one layer at a time


class BranchCache:
    """Several rows that all continue one prompt, without a copy of the prompt per row.

    The prompt's keys and values are read in place from row 0 of `prefix` (positions
    0…prefix_length-1); each row's own positions (prefix_length onwards) go to `rows`. Three alternatives
    after a 900-token prompt then hold 900 + 3·n positions instead of 3·(900 + n), and nothing is copied
    before the first step.
    """

    def __init__(self, prefix: KVCache, prefix_length: int, rows: KVCache) -> None:
        if prefix_length > prefix.allocated:
            raise ValueError(f"a prefix of {prefix_length} does not fit a cache of {prefix.allocated}")
        self.prefix = prefix
        self.prefix_length = prefix_length
        self.rows = rows

    @property
    def batch(self) -> int:
        """How many rows continue the prefix."""
        return self.rows.batch

    @property
    def capacity(self) -> int:
        """The last position any row has room for, plus one."""
        return self.prefix_length + self.rows.capacity

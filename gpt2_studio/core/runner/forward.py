"""A lean GPT-2 forward pass over a key/value cache (see `runner.cache`).

`generate()` spends most of each decode step in Python and per-module overhead; this runner does the same
arithmetic in a dozen tensor operations per layer, and can hold the weights as int8 (per output channel)
or bfloat16 so that the CPU reads fewer bytes per token. In fp32 it matches transformers' logits.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from gpt2_studio.core.runner.cache import CHUNK, BranchCache, KVCache
from gpt2_studio.core.runner.weights import RunnerWeights

log = logging.getLogger(__name__)


def _gelu_new(x: torch.Tensor) -> torch.Tensor:
    # GPT-2's tanh approximation, as transformers' NewGELUActivation computes it.
    return F.gelu(x, approximate="tanh")


#: What the int8/bf16 paths store keys and values in (see GPT2Runner.__init__). fp16 rather than bf16:
#: both convert to fp32 at the same speed, and fp16's 11 significant bits keep int8's logits as they were
#: (bf16's 8 moved them measurably, see benchmarks/README.md "Decode"). Its range is clamped on write.
REDUCED_CACHE_DTYPE = torch.float16
_FP16_MAX = torch.finfo(torch.float16).max


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu_new": _gelu_new,
    "gelu_pytorch_tanh": _gelu_new,
    "gelu": F.gelu,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
}


def branch_attention(
    q: torch.Tensor,
    prefix_keys: torch.Tensor,
    prefix_values: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    first: int,
    scale: float,
) -> torch.Tensor:
    """Attention of q [B, H, T, D] over a shared prefix [H, P, D] and each row's own keys [B, H, S, D].

    The rows' query t sees the whole prefix and its own keys 0…first+t (first: the row position of the
    first query). Returns [B, H, T, D]. One softmax over both parts, so it equals attention over the
    concatenated keys; the shared prefix is multiplied once for all rows (rows folded into the queries).
    """
    batch, heads, length, dim = q.shape
    prefix_length = prefix_keys.shape[1]
    folded = q.transpose(0, 1).reshape(heads, batch * length, dim)
    prefix_scores = torch.bmm(folded, prefix_keys.transpose(1, 2))  # [H, B·T, P]
    own_scores = torch.matmul(q, keys.transpose(-1, -2))  # [B, H, T, S]
    if length > 1:
        key_pos = torch.arange(keys.shape[2], device=q.device)
        query_pos = torch.arange(first, first + length, device=q.device)
        own_scores = own_scores.masked_fill(key_pos[None, :] > query_pos[:, None], float("-inf"))
    own_folded = own_scores.transpose(0, 1).reshape(heads, batch * length, -1)
    scores = torch.cat([prefix_scores, own_folded], dim=-1).float() * scale
    weights = torch.softmax(scores, dim=-1).to(q.dtype)
    out = torch.bmm(weights[..., :prefix_length], prefix_values)  # [H, B·T, D]
    out = out.view(heads, batch, length, dim).transpose(0, 1)
    own_weights = weights[..., prefix_length:].reshape(heads, batch, length, -1).transpose(0, 1)
    return out + torch.matmul(own_weights, values)


class GPT2Runner:
    """Runs a GPT-2 model one chunk of tokens at a time against a KVCache.

    Build it from `RunnerWeights` (see `runner.weights`), or from a transformers model with `from_model`.
    """

    def __init__(self, weights: RunnerWeights) -> None:
        config = weights.config
        if config.activation_function not in ACTIVATIONS:
            raise ValueError(f"unsupported activation function {config.activation_function!r}")
        self.weights = weights
        self.precision = weights.precision
        self.device = weights.wpe.device
        self.n_layer = config.n_layer
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.head_dim = config.n_embd // config.n_head
        self.n_positions = config.n_positions
        self.vocab_size = config.vocab_size
        self.eps = config.layer_norm_epsilon
        self.act = ACTIVATIONS[config.activation_function]
        self.compute_dtype = weights.compute_dtype
        # fp32/fp16 keep keys and values in the compute dtype (fp32: the exact, transformers-equal path).
        # int8/bf16 store them in REDUCED_CACHE_DTYPE and attention converts what it reads back to fp32:
        # half the bytes per step and half the cache's memory. Attention itself stays fp32, because CPU
        # attention in bf16/fp16 measured 3× slower; converting costs less than the bytes it saves (124M
        # int8 at 930 positions, one thread: a decode step 5–7% faster than over an fp32 cache).
        self.cache_dtype = REDUCED_CACHE_DTYPE if self.precision in ("int8", "bf16") else self.compute_dtype
        self._clamp_cache = self.cache_dtype == torch.float16 and self.compute_dtype != torch.float16
        # Where cached keys and values are converted to for attention, reused from layer to layer: a fresh
        # tensor each time may come from fresh (zeroed) pages, which measured slower than the fp32 cache.
        self._scratch: dict[tuple[int, torch.device], torch.Tensor] = {}
        self.layers = weights.layers
        self.scales = []
        for i in range(config.n_layer):
            scale = 1.0
            if config.scale_attn_weights:
                scale = 1.0 / math.sqrt(self.head_dim)
            if config.scale_attn_by_inverse_layer_idx:
                scale /= float(i + 1)
            self.scales.append(scale)

    def _read(self, part: torch.Tensor, slot: int) -> torch.Tensor:
        """Cached keys or values ([B, H, S, D] or a prefix's [H, S, D]) in the compute dtype: the cache's
        own view, or when it is stored in another dtype, a converted copy in scratch buffer `slot`
        (valid until that slot's next use)."""
        if part.dtype == self.compute_dtype or part.numel() == 0:
            return part.to(self.compute_dtype)
        key = (slot, part.device)
        buffer = self._scratch.get(key)
        if buffer is None or buffer.numel() < part.numel():
            # Room for a chunk more positions, so that decoding does not reallocate at every step.
            size = part.numel() // part.shape[-2] * (part.shape[-2] + CHUNK)
            buffer = self._scratch[key] = torch.empty(size, dtype=self.compute_dtype, device=part.device)
        return buffer[: part.numel()].view(part.shape).copy_(part)

    @classmethod
    def from_model(cls, model: torch.nn.Module, precision: str = "fp32") -> GPT2Runner:
        """A runner over a loaded transformers GPT2LMHeadModel (see `weights_from_model`)."""
        from gpt2_studio.core.runner.weights import weights_from_model

        return cls(weights_from_model(model, precision))

    def new_cache(self, batch: int, capacity: int) -> KVCache:
        """An empty cache that grows up to `capacity` positions (clamped to the model's window)."""
        capacity = min(capacity, self.n_positions)
        devices = [layer.device for layer in self.layers]
        return KVCache(devices, batch, self.n_head, capacity, self.head_dim, self.cache_dtype)

    def branch_cache(self, prefix: KVCache, prefix_length: int, rows: int, capacity: int) -> BranchCache:
        """`rows` rows continuing row 0 of prefix's first prefix_length positions, each with room for
        `capacity` more positions (clamped to the model's window)."""
        capacity = max(1, min(capacity, self.n_positions - prefix_length))
        return BranchCache(prefix, prefix_length, self.new_cache(rows, capacity))

    @torch.inference_mode()
    def forward(
        self,
        ids: torch.Tensor,
        cache: KVCache | BranchCache,
        start: int,
        logits: bool = True,
        row: int = -1,
        all_rows: bool = False,
    ) -> torch.Tensor | None:
        """Feed ids [batch, T] at positions start…start+T-1; return the logits [batch, vocab] of one row.

        row picks the position within the chunk (the last by default; a padded chunk's last real one);
        all_rows returns every position's logits instead, [batch, T, vocab] (scoring a text);
        logits=False only fills the cache (a prefill chunk that is not the last). With a BranchCache the
        positions must come after its prefix. Raises ValueError when the positions do not fit the cache.
        """
        batch, length = ids.shape
        end = start + length
        if end > cache.capacity:
            raise ValueError(f"positions up to {end} do not fit a cache of {cache.capacity}")
        if batch > cache.batch:
            raise ValueError(f"{batch} rows do not fit a cache of {cache.batch}")
        branch = cache if isinstance(cache, BranchCache) else None
        shared = 0
        if isinstance(cache, BranchCache):
            shared = cache.prefix_length
            if start < shared:
                raise ValueError(f"position {start} is inside the shared prefix of {shared}")
            cache = cache.rows
        cache.reserve(end - shared)
        ids = ids.to(self.device)
        weights = self.weights
        x = weights.wte.embed(ids) + weights.wpe[start:end]
        heads, head_dim, width = self.n_head, self.head_dim, self.n_embd
        mask = None
        causal = False
        if length > 1 and branch is None:
            if start == 0:
                causal = True
            else:
                # Query i (absolute position start+i) may see keys 0…start+i.
                key_pos = torch.arange(end, device=ids.device)
                query_pos = torch.arange(start, end, device=ids.device)
                mask = key_pos[None, :] <= query_pos[:, None]
        for index, layer in enumerate(self.layers):
            if x.device != layer.device:  # a model that accelerate split between GPU and CPU
                x = x.to(layer.device)
                mask = None if mask is None else mask.to(layer.device)
            h = F.layer_norm(x, (width,), layer.ln1[0], layer.ln1[1], self.eps)
            qkv = layer.attn(h).view(batch, length, 3, heads, head_dim)
            if self._clamp_cache:  # a key beyond fp16's range would be inf, and attention NaN
                qkv[:, :, 1:].clamp_(-_FP16_MAX, _FP16_MAX)
            q = qkv[:, :, 0].transpose(1, 2)
            keys = cache.keys[index][:batch]
            values = cache.values[index][:batch]
            keys[:, :, start - shared : end - shared] = qkv[:, :, 1].transpose(1, 2)
            values[:, :, start - shared : end - shared] = qkv[:, :, 2].transpose(1, 2)
            if branch is not None:
                attn = branch_attention(
                    q,
                    self._read(branch.prefix.keys[index][0, :, :shared], 0),
                    self._read(branch.prefix.values[index][0, :, :shared], 1),
                    self._read(keys[:, :, : end - shared], 2),
                    self._read(values[:, :, : end - shared], 3),
                    start - shared,
                    self.scales[index],
                )
            else:
                attn = F.scaled_dot_product_attention(
                    q,
                    self._read(keys[:, :, :end], 0),
                    self._read(values[:, :, :end], 1),
                    attn_mask=mask,
                    is_causal=causal,
                    scale=self.scales[index],
                )
            x = x + layer.proj(attn.transpose(1, 2).reshape(batch, length, width))
            h = F.layer_norm(x, (width,), layer.ln2[0], layer.ln2[1], self.eps)
            x = x + layer.fc_out(self.act(layer.fc(h)))
        if not logits:
            return None
        ln_f = weights.ln_f
        last = (x if all_rows else x[:, row]).to(ln_f[0].device)
        last = F.layer_norm(last, (width,), ln_f[0], ln_f[1], self.eps)
        return weights.wte.logits(last.to(self.device))

    def copy_prefix(self, source: KVCache, target: KVCache, length: int, rows: int) -> None:
        """Copy the first `length` positions of row 0 of `source` into rows 0…rows-1 of `target`."""
        target.reserve(length)
        pairs = zip(source.keys + source.values, target.keys + target.values, strict=True)
        for source_part, target_part in pairs:
            target_part[:rows, :, :length] = source_part[:1, :, :length]

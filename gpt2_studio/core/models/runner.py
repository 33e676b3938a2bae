"""A lean GPT-2 forward pass with a preallocated key/value cache, built on a loaded transformers model.

`generate()` spends most of each decode step in Python and per-module overhead; this runner does the same
arithmetic in a dozen tensor operations per layer, and can hold the weights as int8 (per output channel)
or bfloat16 so that the CPU reads fewer bytes per token. In fp32 it matches transformers' logits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16", "int8", "fp16")
# Above this many rows an int8 matmul is slower than dequantising the layer to bf16 (measured on a
# 2-core AVX-512 CPU: 30 ms vs 13 ms for a 900×768 by 768×3072 product).
_INT8_DIRECT_MAX_ROWS = 32


def int8_supported() -> bool:
    """Whether this torch build has the CPU int8 weight-only matmul the int8 mode needs."""
    try:
        x = torch.ones(1, 8, dtype=torch.bfloat16)
        w = torch.ones(4, 8, dtype=torch.int8)
        torch._weight_int8pack_mm(x, w, torch.ones(4, dtype=torch.bfloat16))
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return True


class _Linear:
    """y = x @ W + b for one Conv1D weight, stored the way the chosen precision computes fastest."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, precision: str) -> None:
        # transformers' Conv1D keeps weight as [in, out].
        self.precision = precision
        if precision == "int8":
            w = weight.t().float()  # [out, in]
            scale = w.abs().amax(dim=1).clamp(min=1e-8) / 127.0
            self.weight = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
            self.scale = scale.to(torch.bfloat16)
            self.bias = bias.float().clone()
        elif precision == "bf16":
            self.weight = weight.t().to(torch.bfloat16).contiguous()
            self.bias = bias.to(torch.bfloat16)
        else:
            self.weight = weight  # fp32 / fp16: shared with the model, [in, out]
            self.bias = bias

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        if self.precision == "int8":
            xb = x2.to(torch.bfloat16)
            if x2.shape[0] <= _INT8_DIRECT_MAX_ROWS:
                y = torch._weight_int8pack_mm(xb, self.weight, self.scale).float()
            else:
                y = F.linear(xb, self.weight.to(torch.bfloat16) * self.scale[:, None]).float()
            y = y + self.bias
        elif self.precision == "bf16":
            y = F.linear(x2.to(torch.bfloat16), self.weight, self.bias).float()
        else:
            y = torch.addmm(self.bias, x2, self.weight)
        return y.reshape(*shape[:-1], y.shape[-1])


@dataclass
class _Layer:
    ln1: tuple[torch.Tensor, torch.Tensor]
    attn: _Linear
    proj: _Linear
    ln2: tuple[torch.Tensor, torch.Tensor]
    fc: _Linear
    fc_out: _Linear
    scale: float
    device: torch.device


class KVCache:
    """Keys and values of every layer for `batch` sequences, room for `capacity` positions.

    One tensor pair per layer, on that layer's device (a model split between GPU and CPU).
    """

    def __init__(
        self, devices: list, batch: int, heads: int, capacity: int, head_dim: int, dtype: torch.dtype
    ) -> None:
        # Uninitialised on purpose: attention only ever reads positions that were written.
        self.keys = [torch.empty(batch, heads, capacity, head_dim, dtype=dtype, device=d) for d in devices]
        self.values = [torch.empty_like(k) for k in self.keys]

    @property
    def batch(self) -> int:
        """How many sequences the cache holds."""
        return self.keys[0].shape[0]

    @property
    def capacity(self) -> int:
        """How many positions (tokens) each sequence has room for."""
        return self.keys[0].shape[2]


class GPT2Runner:
    """Runs a GPT-2 model one chunk of tokens at a time against a KVCache."""

    @torch.no_grad()
    def __init__(self, model: torch.nn.Module, precision: str = "fp32") -> None:
        from transformers.activations import ACT2FN

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
        # nn.Module types attribute access as Tensor | Module; these are GPT-2's config and GPT2Model.
        config: Any = model.config
        core: Any = model.transformer
        self.precision = precision
        self.device = core.wte.weight.device
        self.n_layer = config.n_layer
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.head_dim = config.n_embd // config.n_head
        self.n_positions = config.n_positions
        self.vocab_size = config.vocab_size
        self.eps = config.layer_norm_epsilon
        self.act: Callable[[torch.Tensor], torch.Tensor] = ACT2FN[config.activation_function]
        compute = torch.float16 if precision == "fp16" else torch.float32
        self.compute_dtype = compute
        # Keys and values stay in the compute dtype: a bf16 cache halves the bytes attention reads, but
        # CPU attention in bf16 measured slower here (int8 decode 45 instead of 62 tokens/s).
        self.cache_dtype = compute
        # In int8/bf16 the small fp32 tensors are copied, so that nothing keeps the checkpoint's
        # memory-mapped fp32 weights alive once the runner is built.
        own = (lambda t: t.detach().clone()) if precision in ("int8", "bf16") else (lambda t: t.detach())
        self.wpe = own(core.wpe.weight.to(compute))
        wte: torch.Tensor = core.wte.weight
        if precision == "int8":
            row_scale = wte.float().abs().amax(dim=1).clamp(min=1e-8) / 127.0
            self.wte_q = (
                torch.round(wte.float() / row_scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
            )
            self.wte_scale = row_scale
            self.wte_scale_bf16 = row_scale.to(torch.bfloat16)
        elif precision == "bf16":
            self.wte = wte.to(torch.bfloat16)
        else:
            self.wte = wte.to(compute)
        self.layers: list[_Layer] = []
        for i, block in enumerate(core.h):
            scale = 1.0
            if config.scale_attn_weights:
                scale = self.head_dim**-0.5
            if config.scale_attn_by_inverse_layer_idx:
                scale /= float(i + 1)
            self.layers.append(
                _Layer(
                    ln1=(own(block.ln_1.weight), own(block.ln_1.bias)),
                    attn=_Linear(block.attn.c_attn.weight, block.attn.c_attn.bias, precision),
                    proj=_Linear(block.attn.c_proj.weight, block.attn.c_proj.bias, precision),
                    ln2=(own(block.ln_2.weight), own(block.ln_2.bias)),
                    fc=_Linear(block.mlp.c_fc.weight, block.mlp.c_fc.bias, precision),
                    fc_out=_Linear(block.mlp.c_proj.weight, block.mlp.c_proj.bias, precision),
                    scale=scale,
                    device=block.ln_1.weight.device,
                )
            )
        self.ln_f = (own(core.ln_f.weight), own(core.ln_f.bias))

    def new_cache(self, batch: int, capacity: int) -> KVCache:
        """An empty cache; capacity is clamped to the model's window."""
        capacity = min(capacity, self.n_positions)
        devices = [layer.device for layer in self.layers]
        return KVCache(devices, batch, self.n_head, capacity, self.head_dim, self.cache_dtype)

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        if self.precision == "int8":
            return self.wte_q[ids].float() * self.wte_scale[ids].unsqueeze(-1)
        return self.wte[ids].to(self.compute_dtype)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits [..., vocab] of final hidden states [..., width]."""
        if self.precision == "int8":
            flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
            out = torch._weight_int8pack_mm(flat, self.wte_q, self.wte_scale_bf16).float()
            return out.reshape(*x.shape[:-1], out.shape[-1])
        if self.precision == "bf16":
            return F.linear(x.to(torch.bfloat16), self.wte).float()
        return F.linear(x, self.wte).float()

    @torch.inference_mode()
    def forward(
        self,
        ids: torch.Tensor,
        cache: KVCache,
        start: int,
        logits: bool = True,
        row: int = -1,
        all_rows: bool = False,
    ) -> torch.Tensor | None:
        """Feed ids [batch, T] at positions start…start+T-1; return the logits [batch, vocab] of one row.

        row picks the position within the chunk (the last by default; a padded chunk's last real one);
        all_rows returns every position's logits instead, [batch, T, vocab] (scoring a text);
        logits=False only fills the cache (a prefill chunk that is not the last).
        """
        batch, length = ids.shape
        end = start + length
        if end > cache.capacity:
            raise ValueError(f"positions up to {end} do not fit a cache of {cache.capacity}")
        ids = ids.to(self.device)
        x = self._embed(ids) + self.wpe[start:end]
        heads, head_dim, width = self.n_head, self.head_dim, self.n_embd
        mask = None
        causal = False
        if length > 1:
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
            q = qkv[:, :, 0].transpose(1, 2).to(self.cache_dtype)
            keys = cache.keys[index][:batch]
            values = cache.values[index][:batch]
            keys[:, :, start:end] = qkv[:, :, 1].transpose(1, 2)
            values[:, :, start:end] = qkv[:, :, 2].transpose(1, 2)
            attn = F.scaled_dot_product_attention(
                q, keys[:, :, :end], values[:, :, :end], attn_mask=mask, is_causal=causal, scale=layer.scale
            )
            x = x + layer.proj(attn.transpose(1, 2).reshape(batch, length, width))
            h = F.layer_norm(x, (width,), layer.ln2[0], layer.ln2[1], self.eps)
            x = x + layer.fc_out(self.act(layer.fc(h)))
        if not logits:
            return None
        last = (x if all_rows else x[:, row]).to(self.ln_f[0].device)
        last = F.layer_norm(last, (width,), self.ln_f[0], self.ln_f[1], self.eps)
        return self._logits(last.to(self.device))

    def copy_prefix(self, source: KVCache, target: KVCache, length: int, rows: int) -> None:
        """Copy the first `length` positions of row 0 of `source` into rows 0…rows-1 of `target`."""
        pairs = zip(source.keys + source.values, target.keys + target.values, strict=True)
        for source_part, target_part in pairs:
            target_part[:rows, :, :length] = source_part[:1, :, :length]

"""Weight matrices in the precision the runner computes with: fp32 (exact), bf16 or int8 per channel.

A `Linear` or `TokenEmbedding` is built once from fp32 weights (`quantize`), or from the tensors a cached
quantized copy holds (`from_tensors`), so that loading a model a second time needs no re-quantizing.
`LAYOUT_VERSION` names the tensors' layout: change it whenever `tensors()` changes, so that cached
copies written by an older layout are rebuilt. On the CPU, int8 layers keep only fbgemm's packed copy of
their weight (see `qgemm`); `tensors()` unpacks it, so what a cached copy stores is unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gpt2_studio.core.runner import qgemm

PRECISIONS = ("fp32", "bf16", "int8", "fp16")
LAYOUT_VERSION = 1
# Without fbgemm (see qgemm), above this many rows the weight-only int8 matmul is slower than
# dequantising the layer to bf16 (measured on a 2-core AVX-512 CPU: 30 ms vs 13 ms for a 900×768 by
# 768×3072 product).
INT8_DIRECT_MAX_ROWS = 32


# fbgemm's product (see qgemm) costs about ten more small tensor operations per call than the weight-
# only kernel: it pays off from GPT-2 124M's smallest matrix (768×768) up, but not on toy models (a
# 64-wide one decoded 1148 instead of 1861 tokens/s). Off by default for now (PACK_MIN_WEIGHTS of
# None): packing decodes ~9% faster at 124M but, measured side by side (benchmarks/README.md, "Decode"),
# raised the load peak 423 → 482 MiB, the second load's 380 → 510 MiB (the mapped plain weights stay
# resident beside the packed copies) and its time 0.02 → 0.23 s. Set it to PACK_FROM_WEIGHTS to use it.
PACK_FROM_WEIGHTS = 1 << 18
PACK_MIN_WEIGHTS: int | None = None
PACK_EMBEDDING = False  # see TokenEmbedding: memory first


def _packable(weight: torch.Tensor) -> bool:
    if PACK_MIN_WEIGHTS is None:
        return False
    return weight.device.type == "cpu" and weight.numel() >= PACK_MIN_WEIGHTS and qgemm.available()


def int8_supported() -> bool:
    """Whether this torch build has the CPU int8 weight-only matmul the int8 mode needs."""
    try:
        x = torch.ones(1, 8, dtype=torch.bfloat16)
        w = torch.ones(4, 8, dtype=torch.int8)
        torch._weight_int8pack_mm(x, w, torch.ones(4, dtype=torch.bfloat16))
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return True


def quantize_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per row: (int8 [rows, cols], fp32 scale [rows]) with w ≈ q * scale[:, None]."""
    w = w.float()
    scale = w.abs().amax(dim=1).clamp(min=1e-8) / 127.0
    q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
    return q, scale


class Linear:
    """y = x @ W + b for one GPT-2 Conv1D weight, stored the way the chosen precision computes fastest."""

    def __init__(self, precision: str, weight: torch.Tensor, bias: torch.Tensor, scale: torch.Tensor | None):
        self.precision = precision
        self._weight: torch.Tensor | None = weight
        self.bias = bias
        self.scale = scale  # int8 only: bf16 [out]
        # int8 on the CPU: fbgemm's packed copy replaces the plain weight (one copy in memory).
        self.packed: qgemm.PackedInt8 | None = None
        if precision == "int8" and scale is not None and _packable(weight):
            self.packed = qgemm.PackedInt8(weight, scale)
            self._weight = None

    @property
    def weight(self) -> torch.Tensor:
        """int8/bf16: [out, in]; fp32/fp16: [in, out] as transformers' Conv1D keeps it."""
        if self._weight is not None:
            return self._weight
        assert self.packed is not None
        return self.packed.unpack()

    @classmethod
    def quantize(cls, weight: torch.Tensor, bias: torch.Tensor, precision: str) -> Linear:
        """Build from a Conv1D weight [in, out] and bias [out] (fp32 or fp16); int8/bf16 copy them."""
        if precision == "int8":
            q, scale = quantize_rows(weight.t())
            return cls(precision, q, bias.float().clone(), scale.to(torch.bfloat16))
        if precision == "bf16":
            return cls(precision, weight.t().to(torch.bfloat16).contiguous(), bias.to(torch.bfloat16), None)
        return cls(precision, weight, bias, None)  # fp32 / fp16: shared with the source

    def tensors(self) -> dict[str, torch.Tensor]:
        """The tensors that rebuild this layer with `from_tensors` (what a cached copy stores)."""
        out = {"weight": self.weight, "bias": self.bias}
        if self.scale is not None:
            out["scale"] = self.scale
        return out

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], precision: str) -> Linear:
        """The inverse of `tensors()`."""
        return cls(precision, tensors["weight"], tensors["bias"], tensors.get("scale"))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """y [..., out] (fp32, or fp16 on the fp16 path) of x [..., in]."""
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        if self.packed is not None:
            y = self.packed(x2, self.bias)
        elif self.precision == "int8":
            assert self.scale is not None
            assert self._weight is not None
            xb = x2.to(torch.bfloat16)
            if x2.shape[0] <= INT8_DIRECT_MAX_ROWS:
                y = torch._weight_int8pack_mm(xb, self._weight, self.scale).float()
            else:
                # One bf16 copy of the weight, scaled in place: a block's transient is one matrix, not two
                # (gpt2-xl's 6400×1600: 20 MB less at the peak of a prefill).
                dequantized = self._weight.to(torch.bfloat16).mul_(self.scale[:, None])
                y = F.linear(xb, dequantized).float()
            y = y + self.bias
        else:
            assert self._weight is not None  # only int8 on the CPU drops it (packed)
            if self.precision == "bf16":
                y = F.linear(x2.to(torch.bfloat16), self._weight, self.bias).float()
            else:
                y = torch.addmm(self.bias, x2, self._weight)
        return y.reshape(*shape[:-1], y.shape[-1])


class TokenEmbedding:
    """GPT-2's token embedding wte [vocab, width], also its (tied) output layer."""

    def __init__(self, precision: str, compute: torch.dtype, tensors: dict[str, torch.Tensor]) -> None:
        self.precision = precision
        self.compute = compute
        self.weight = tensors["weight"]  # int8 [vocab, width] in int8; bf16/fp32/fp16 otherwise
        self.scale = tensors.get("scale")  # int8 only: fp32 [vocab]
        self.scale_bf16 = None if self.scale is None else self.scale.to(torch.bfloat16)
        # The output layer stays on the weight-only kernel: a packed copy for fbgemm would sit beside the
        # plain rows that embedding lookups need (+37 MiB at 124M, +77 MiB more while packing), and the
        # plain rows cannot be dropped the way a Linear drops its weight. PACK_EMBEDDING turns it on.
        self.packed: qgemm.PackedInt8 | None = None
        if PACK_EMBEDDING and self.scale is not None and _packable(self.weight):
            self.packed = qgemm.PackedInt8(self.weight, self.scale)

    @classmethod
    def quantize(cls, wte: torch.Tensor, precision: str, compute: torch.dtype) -> TokenEmbedding:
        """Build from the checkpoint's wte [vocab, width]."""
        if precision == "int8":
            q, scale = quantize_rows(wte)
            return cls(precision, compute, {"weight": q, "scale": scale})
        if precision == "bf16":
            return cls(precision, compute, {"weight": wte.to(torch.bfloat16)})
        return cls(precision, compute, {"weight": wte.to(compute)})

    @classmethod
    def from_tensors(
        cls, tensors: dict[str, torch.Tensor], precision: str, compute: torch.dtype
    ) -> TokenEmbedding:
        """The inverse of `tensors()`."""
        return cls(precision, compute, tensors)

    def tensors(self) -> dict[str, torch.Tensor]:
        """The tensors that rebuild this embedding (what a cached copy stores)."""
        out = {"weight": self.weight}
        if self.scale is not None:
            out["scale"] = self.scale
        return out

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Embeddings [..., width] in the compute dtype of token ids [...]."""
        if self.scale is not None:
            return self.weight[ids].float() * self.scale[ids].unsqueeze(-1)
        return self.weight[ids].to(self.compute)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits [..., vocab] (fp32) of final hidden states [..., width]."""
        if self.packed is not None:
            out = self.packed(x.reshape(-1, x.shape[-1]).float())
            return out.reshape(*x.shape[:-1], out.shape[-1])
        if self.scale_bf16 is not None:
            flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
            out = torch._weight_int8pack_mm(flat, self.weight, self.scale_bf16).float()
            return out.reshape(*x.shape[:-1], out.shape[-1])
        if self.precision == "bf16":
            return F.linear(x.to(torch.bfloat16), self.weight).float()
        return F.linear(x, self.weight).float()

"""Int8 weights × int8 activations through fbgemm, with activations split so that nothing is lost.

Why: torch's weight-only int8 kernel (`_weight_int8pack_mm`, bf16 activations) converts every weight
to bf16 before multiplying and streams only ~15 GB/s on one core; fbgemm multiplies int8 by int8 with
integer dot products and streams ~25–30 GB/s, so a decode step reads its weights in about half the time.

Why accuracy is kept: a plain int8 activation has 8 bits over the row's range, much coarser than bf16.
Each row x is instead scaled to t = 63·x/max|x| and split into its integer part r (7 bits) and a second
row d = 126·(t − r), also 7 bits, so that x ≈ max|x|/63 · (r + d/126) to 1/15876 of max|x|. Both rows
go through one product (the weights are read once); fbgemm accumulates integers exactly, so the only
error is that split, smaller than bf16's rounding of x. Values stay within 1…127 around zero point
64, so no CPU's 16-bit intermediate sums can saturate (no VNNI needed). Each row is scaled on its own,
so a row's result does not depend on the other rows of the batch: one token gives bit for bit what
the same token gives inside a block of 128.

The packed weights live in fbgemm's own layout (a copy made at load, ~3 ns per weight); the plain
int8 weight is recovered with `unpack` when a cached copy is written.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import torch

log = logging.getLogger(__name__)

_STEPS = 63.0  # the integer part r spans −63…63
_SPLIT = 126.0  # the remainder t − r (−½…½) is stretched to −63…63
_ZERO_POINT = 64  # quantized values 1…127: u8·s8 pair sums stay below 2¹⁵
_TINY = 1e-30  # an all-zero row gets this as its maximum (its result is then the bias)

_available: bool | None = None


def _pack(weight: torch.Tensor, scale: torch.Tensor) -> Any:
    # Quantized tensors are deprecated as a user-facing API; fbgemm's prepack still takes one.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zeros = torch.zeros(weight.shape[0], dtype=torch.long)
        qweight = torch._make_per_channel_quantized_tensor(weight, scale.double(), zeros, 0)
        return torch.ops.quantized.linear_prepack(qweight, None)  # fbgemm's opaque packed weight


def available() -> bool:
    """Whether this torch build has fbgemm's int8 products and they compute the right numbers."""
    global _available
    if _available is None:
        try:
            weight = torch.tensor([[1, -2, 3, 127], [-127, 5, 0, 7]], dtype=torch.int8)
            scale = torch.tensor([0.5, 0.25])
            x = torch.tensor([[1.0, 2.0, -3.0, 0.5], [0.0, 0.0, 0.0, 0.0]])
            got = PackedInt8(weight, scale)(x)
            expected = x @ (weight.float() * scale[:, None]).t()
            _available = bool(torch.allclose(got, expected, rtol=1e-3, atol=1e-3))
        except (AttributeError, RuntimeError, NotImplementedError) as error:
            log.info("fbgemm int8 products unavailable (%s); using weight-only int8", error)
            _available = False
    return _available


class PackedInt8:
    """One int8 weight [out, in] with a per-row scale [out], packed for fbgemm; x [rows, in] ↦ x·Wᵀ."""

    def __init__(self, weight: torch.Tensor, scale: torch.Tensor) -> None:
        self.shape = tuple(weight.shape)
        self.packed = _pack(weight.contiguous(), scale)

    def __call__(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """x·Wᵀ (+ bias) as fp32 [rows, out] for fp32 x [rows, in]."""
        rows = x.shape[0]
        # abs().amax(): 20× faster than vector_norm(inf) on a 128-row block. Few operations, in place
        # where possible: on a decode step their fixed costs are a tenth of the product's time.
        step = x.abs().amax(dim=1, keepdim=True).clamp_(min=_TINY).div_(_STEPS)  # x ≈ step · (r + d/SPLIT)
        t = x / step
        whole = torch.round(t)
        split = torch.cat((whole, t.sub_(whole).mul_(_SPLIT)))
        both = torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(
            split, 1.0, _ZERO_POINT, self.packed
        )
        y = torch.add(both[:rows], both[rows:], alpha=1.0 / _SPLIT)
        if bias is None:
            return y.mul_(step)
        return torch.addcmul(bias, y, step)

    def unpack(self) -> torch.Tensor:
        """The plain int8 weight [out, in] this was packed from."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            qweight, _ = torch.ops.quantized.linear_unpack(self.packed)
            plain: torch.Tensor = qweight.int_repr()
            return plain

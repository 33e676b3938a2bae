"""Everything the runner needs from a checkpoint, in the runner's own layout and precision.

`RunnerWeights` is the seam between where weights come from (a loaded transformers model, used for CUDA
and accelerate's GPU/CPU split; or a checkpoint's safetensors read tensor by tensor) and how the runner
computes with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from gpt2_studio.core.runner.layers import PRECISIONS, Linear, TokenEmbedding


@dataclass
class RunnerConfig:
    """GPT-2's shape and the few config switches the forward pass reads."""

    n_layer: int
    n_head: int
    n_embd: int
    n_positions: int
    vocab_size: int
    layer_norm_epsilon: float = 1e-5
    activation_function: str = "gelu_new"
    scale_attn_weights: bool = True
    scale_attn_by_inverse_layer_idx: bool = False

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> RunnerConfig:
        """From a checkpoint's config.json (or a transformers config's to_dict())."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in config.items() if k in names and v is not None})


@dataclass
class LayerWeights:
    """One transformer block: layer norms (weight, bias) and its four linear maps."""

    ln1: tuple[torch.Tensor, torch.Tensor]
    attn: Linear  # c_attn: width → 3·width (queries, keys, values)
    proj: Linear  # c_proj: width → width
    ln2: tuple[torch.Tensor, torch.Tensor]
    fc: Linear  # mlp.c_fc: width → 4·width
    fc_out: Linear  # mlp.c_proj: 4·width → width
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))


@dataclass
class RunnerWeights:
    """A whole model: config, precision, embeddings, blocks and the final layer norm."""

    config: RunnerConfig
    precision: str
    wte: TokenEmbedding
    wpe: torch.Tensor  # [n_positions, width] in the compute dtype
    layers: list[LayerWeights]
    ln_f: tuple[torch.Tensor, torch.Tensor]

    @property
    def compute_dtype(self) -> torch.dtype:
        """fp16 on the fp16 path, fp32 everywhere else (bf16 and int8 compute activations in fp32)."""
        return compute_dtype(self.precision)


def compute_dtype(precision: str) -> torch.dtype:
    """The dtype activations are kept in for a precision."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
    return torch.float16 if precision == "fp16" else torch.float32


@torch.no_grad()
def weights_from_model(model: torch.nn.Module, precision: str) -> RunnerWeights:
    """Take the weights of a loaded transformers GPT2LMHeadModel (on any device, or split by accelerate).

    In fp32/fp16 the runner shares the model's tensors; in int8/bf16 every tensor is copied, so that nothing
    keeps the checkpoint's memory-mapped fp32 weights alive once the runner is built.
    """
    compute = compute_dtype(precision)
    hf_config: Any = model.config
    core: Any = model.transformer
    own: Callable[[torch.Tensor], torch.Tensor] = (
        (lambda t: t.detach().clone()) if precision in ("int8", "bf16") else (lambda t: t.detach())
    )
    layers = [
        LayerWeights(
            ln1=(own(block.ln_1.weight), own(block.ln_1.bias)),
            attn=Linear.quantize(block.attn.c_attn.weight, block.attn.c_attn.bias, precision),
            proj=Linear.quantize(block.attn.c_proj.weight, block.attn.c_proj.bias, precision),
            ln2=(own(block.ln_2.weight), own(block.ln_2.bias)),
            fc=Linear.quantize(block.mlp.c_fc.weight, block.mlp.c_fc.bias, precision),
            fc_out=Linear.quantize(block.mlp.c_proj.weight, block.mlp.c_proj.bias, precision),
            device=block.ln_1.weight.device,
        )
        for block in core.h
    ]
    return RunnerWeights(
        config=RunnerConfig.from_dict(hf_config.to_dict()),
        precision=precision,
        wte=TokenEmbedding.quantize(core.wte.weight, precision, compute),
        wpe=own(core.wpe.weight.to(compute)),
        layers=layers,
        ln_f=(own(core.ln_f.weight), own(core.ln_f.bias)),
    )

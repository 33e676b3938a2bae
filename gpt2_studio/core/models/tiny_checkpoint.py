"""Build a tiny GPT-2 checkpoint on disk: real architecture and byte-level BPE, random weights.

Used by the tests and the installed app's self-test, so that generation can be exercised end to end
without downloading anything.
"""

from __future__ import annotations

import json
from pathlib import Path

END_OF_TEXT = "<|endoftext|>"

_CORPUS = """\
The quick brown fox jumps over the lazy dog. A writer sits at the desk and drafts the next line.
Q: What is the capital of France? A: Paris. Q: Who wrote Hamlet? A: William Shakespeare.
hello = bonjour, dog = chien, cat = chat, house = maison, water = eau.
TL;DR: the model continues the text it is given, one token at a time.
Café, naïve, résumé, façade — 日本語のテキスト, Ελληνικά, emoji 🙂🚀 and numbers 1234567890.
In the beginning the story was short; later it grew into a long and winding tale of ships and storms.
"""


def build_tiny_checkpoint(
    folder: str | Path,
    *,
    n_positions: int = 128,
    n_embd: int = 32,
    n_layer: int = 2,
    n_head: int = 2,
    vocab_size: int = 400,
    seed: int = 0,
    init_std: float = 0.02,
    write_tokenizer_json: bool = True,
) -> Path:
    """Write config.json, model.safetensors, vocab.json, merges.txt (and tokenizer.json) to folder."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        [_CORPUS] * 4, vocab_size=vocab_size, min_frequency=1, special_tokens=[END_OF_TEXT]
    )
    bpe.save_model(str(folder))  # vocab.json + merges.txt, GPT-2's own format
    eos = bpe.token_to_id(END_OF_TEXT)
    config = GPT2Config(
        vocab_size=bpe.get_vocab_size(),
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=eos,
        eos_token_id=eos,
        initializer_range=init_std,
    )
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    with quiet_transformers():
        model.save_pretrained(str(folder), safe_serialization=True)
    if write_tokenizer_json:
        bpe.save(str(folder / "tokenizer.json"))
    write_tokenizer_config(folder, n_positions=n_positions)
    return folder


def write_tokenizer_config(folder: Path, *, n_positions: int) -> None:
    """tokenizer_config.json for a GPT-2 tokenizer whose only special token is <|endoftext|>."""
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": END_OF_TEXT,
        "eos_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT,
        "model_max_length": n_positions,
        "add_prefix_space": False,
    }
    (Path(folder) / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")

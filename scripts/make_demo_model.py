"""Train a small GPT-2 on English prose found on this machine, for screenshots and demos.

Our build machines cannot download the real GPT-2 weights, and a random-weight model suggests byte
noise. A few minutes of training on the docstrings of Python's standard library gives a model whose
suggestions read as (technical) English. It is not a substitute for GPT-2.

    .venv/bin/python scripts/make_demo_model.py OUT_FOLDER [--minutes 4]
"""

from __future__ import annotations

import argparse
import ast
import sys
import sysconfig
import time
from pathlib import Path


def stdlib_docstrings(limit_chars: int = 6_000_000) -> str:
    """Docstrings of the standard library's modules, classes and functions, joined as paragraphs."""
    root = Path(sysconfig.get_paths()["stdlib"])
    pieces: list[str] = []
    total = 0
    for path in sorted(root.rglob("*.py")):
        if any(part in ("test", "tests", "idlelib", "site-packages", "lib2to3") for part in path.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 80 and ">>>" not in doc:
                    pieces.append(" ".join(doc.split()))
                    total += len(pieces[-1])
        if total > limit_chars:
            break
    return "\n\n".join(pieces)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--width", type=int, default=128, help="n_embd")
    parser.add_argument("--layers", type=int, default=3)
    args = parser.parse_args(argv)

    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.tiny_checkpoint import END_OF_TEXT, write_tokenizer_config

    torch.manual_seed(0)
    text = stdlib_docstrings()
    print(f"corpus: {len(text):,} characters")
    args.out.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([text], vocab_size=2048, min_frequency=2, special_tokens=[END_OF_TEXT])
    bpe.save_model(str(args.out))
    bpe.save(str(args.out / "tokenizer.json"))
    ids = torch.tensor(bpe.encode(text).ids)
    print(f"tokens: {len(ids):,}")
    eos = bpe.token_to_id(END_OF_TEXT)
    config = GPT2Config(
        vocab_size=bpe.get_vocab_size(), n_positions=256, n_embd=args.width, n_layer=args.layers, n_head=4,
        bos_token_id=eos, eos_token_id=eos,
    )  # fmt: skip
    model = GPT2LMHeadModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    length, batch = 64, 16
    deadline = time.monotonic() + args.minutes * 60
    step = 0
    model.train()
    while time.monotonic() < deadline:
        starts = torch.randint(0, len(ids) - length - 1, (batch,))
        x = torch.stack([ids[s : s + length] for s in starts])
        loss = model(x, labels=x).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.2f}", flush=True)
    model.eval()
    model.save_pretrained(str(args.out), safe_serialization=True)
    write_tokenizer_config(args.out, n_positions=config.n_positions)
    print(f"saved to {args.out} after {step} steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

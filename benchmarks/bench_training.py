"""Benchmark Learn a style (core.training) beside a plain transformers Trainer full fine-tune.

On the GPT-2 124M shape (GPT2Config() defaults, random weights, a 50257-token GPT-2-format tokenizer, as
in bench_engine.py), this CPU: training tokens/s for LoRA rank 8 and for full fine-tuning (bf16 autocast
where the CPU has bf16 instructions, and LoRA in fp32 to show what autocast buys), the peak resident
memory of each run, and the time one epoch over a 100,000-token corpus would take; beside the same full
fine-tune through transformers' Trainer (AdamW, the same blocks, batch and accumulation, bf16 when ours
uses it). Each configuration runs in its own child process (so each peak RSS is its own) for a few
optimizer steps; the first step is warm-up and not counted. The plan's estimate is printed beside.
Only 2% of the corpus is held out here, so that the before/after scoring does not dominate the run.

    nice -n 10 .venv/bin/python benchmarks/bench_training.py            # 124M shape (~10 minutes)
    .venv/bin/python benchmarks/bench_training.py --quick               # a tiny model, seconds
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import _SENTENCES, FULL, QUICK, build_model_folder  # noqa: E402

CORPUS_TOKENS = 100_000
CONFIGS = (
    "lora8-bf16",
    "full-bf16",
    "lora8-fp32",
    "full-bf16-dropout",
    "trainer-full-bf16",
    "trainer-full-bf16-dropout",
)


def write_corpus(folder: Path, tokens: int) -> Path:
    """About ``tokens`` tokens of the benchmark's English sentences in 20 documents."""
    folder.mkdir(parents=True, exist_ok=True)
    words_per_token = 0.75
    sentences = list(_SENTENCES)
    per_doc = int(tokens * words_per_token / 20)
    for d in range(20):
        words: list[str] = []
        i = d
        while len(words) < per_doc:
            words += sentences[(i * 7 + d) % len(sentences)].split()
            i += 1
        (folder / f"chapter{d:02d}.txt").write_text(" ".join(words[:per_doc]) + "\n", encoding="utf-8")
    return folder


def _rss_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports kB


def run_ours(
    config: str, model: Path, corpus: Path, steps: int, block: int, batch: int, threads: int
) -> dict:
    """core.training's own loop; tokens/s from its step events after the first step."""
    from gpt2_studio.core.training.plan import Resources, TrainingSettings, make_plan
    from gpt2_studio.core.training.run import train

    rank = 8 if config.startswith("lora8") else 0
    precision = "fp32" if "fp32" in config else "bf16"
    dropout = 0.1 if config.endswith("-dropout") else 0.0
    settings = TrainingSettings(
        steps=steps, lora_rank=rank, block_size=block, batch_size=batch, save_every=10**6,
        precision=precision, device="cpu", samples=1, sample_tokens=4, heldout_fraction=0.02, dropout=dropout,
    )  # fmt: skip
    plan = make_plan(
        model, [corpus], f"bench-{config}", settings, resources=Resources(None, None), threads=threads
    )
    stamps: list[float] = []
    cpu: list[float] = []
    began = time.perf_counter()

    def on_event(event: dict[str, Any]) -> None:
        if event["event"] == "step":
            stamps.append(time.perf_counter())
            cpu.append(time.process_time())

    train(plan, on_event)
    per_step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    return {
        "cpu_seconds_per_step": (cpu[-1] - cpu[0]) / (len(cpu) - 1),
        "config": config,
        "tokens_per_second": batch * block / per_step,
        "step_seconds": per_step,
        "peak_rss_bytes": _rss_peak(),
        "wall_seconds": time.perf_counter() - began,
        "estimate_tokens_per_second": plan.estimate.tokens_per_second,
        "estimate_peak_bytes": plan.estimate.peak_memory_bytes,
        "corpus_tokens": plan.text.corpus_tokens,
        "micro_batch": plan.micro_batch,
    }


def run_trainer(
    config: str, model: Path, corpus: Path, steps: int, block: int, batch: int, threads: int
) -> dict:
    """transformers' Trainer, full fine-tune, on the very blocks our loop trains on (GPT-2's dropout of
    0.1 as the model comes, or 0 as our loop's default)."""
    import torch
    from transformers import GPT2LMHeadModel, Trainer, TrainerCallback, TrainingArguments

    from gpt2_studio.core.models.tokenizer import load_tokenizer
    from gpt2_studio.core.training.blocks import block_starts, prepare_text
    from gpt2_studio.core.training.corpus import read_corpus

    tokenizer = load_tokenizer(model)
    text = prepare_text(read_corpus([corpus]), tokenizer.encode_plain, tokenizer.eos_token_id, 0.02)
    ids = torch.tensor(text.train_ids)
    blocks = [ids[s : s + block] for s in block_starts(len(ids), block)]

    class Blocks(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(blocks)

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"input_ids": blocks[i], "labels": blocks[i]}

    stamps: list[float] = []
    cpu: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            stamps.append(time.perf_counter())
            cpu.append(time.process_time())

    micro = max(k for k in range(1, min(batch, max(1, 2048 // block)) + 1) if batch % k == 0)
    args = TrainingArguments(
        output_dir=os.environ["GPT2_STUDIO_HOME"], max_steps=steps, per_device_train_batch_size=micro,
        gradient_accumulation_steps=batch // micro, learning_rate=5e-5, weight_decay=0.01, bf16=True,
        use_cpu=True, logging_strategy="no", save_strategy="no", report_to=[], disable_tqdm=True,
        dataloader_num_workers=0, max_grad_norm=1.0,
    )  # fmt: skip
    torch.set_num_threads(threads)
    net = GPT2LMHeadModel.from_pretrained(str(model), use_safetensors=True)
    if not config.endswith("-dropout"):
        for module in net.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
    began = time.perf_counter()
    Trainer(model=net, args=args, train_dataset=Blocks(), callbacks=[Clock()]).train()
    per_step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    return {
        "cpu_seconds_per_step": (cpu[-1] - cpu[0]) / (len(cpu) - 1),
        "config": config,
        "tokens_per_second": batch * block / per_step,
        "step_seconds": per_step,
        "peak_rss_bytes": _rss_peak(),
        "wall_seconds": time.perf_counter() - began,
    }


def child(args: argparse.Namespace) -> None:
    """One configuration, in this (child) process; prints one JSON line."""
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(args.threads)
    model, corpus = Path(args.model), Path(args.corpus)
    with tempfile.TemporaryDirectory(prefix="bench-training-home-") as home:
        os.environ["GPT2_STUDIO_HOME"] = home  # the trained model lands here and goes with it
        if args.one.startswith("trainer"):
            result = run_trainer(args.one, model, corpus, args.steps, args.block, args.batch, args.threads)
        else:
            result = run_ours(args.one, model, corpus, args.steps, args.block, args.batch, args.threads)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tiny model: checks the script in seconds")
    parser.add_argument("--steps", type=int, default=3, help="optimizer steps per configuration (default 3)")
    parser.add_argument("--block", type=int, default=1024, help="tokens per block (default 1024)")
    parser.add_argument("--batch", type=int, default=2, help="blocks per step (default 2)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        child(args)
        return
    shape = QUICK if args.quick else FULL
    block = min(args.block, 64) if args.quick else args.block
    work = Path(tempfile.mkdtemp(prefix="bench-training-"))
    model = build_model_folder(work, shape)
    corpus = write_corpus(work / "corpus", 20_000 if args.quick else CORPUS_TOKENS)
    results = []
    try:
        _run_children(args, model, corpus, block, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a 124M model: 0.5 GB
    _report(args, shape, block, results)


def _run_children(args: argparse.Namespace, model: Path, corpus: Path, block: int, results: list) -> None:
    for config in args.configs.split(","):
        command = [
            sys.executable, __file__, "--one", config, "--model", str(model), "--corpus", str(corpus),
            "--steps", str(args.steps), "--block", str(block), "--batch", str(args.batch),
            "--threads", str(args.threads),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{config}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)


def _report(args: argparse.Namespace, shape: Any, block: int, results: list) -> None:
    # Wall time on a shared machine follows the others' load; CPU time per step much less: "CPU
    # tokens/s" is the step's tokens over its CPU seconds per thread, what a quiet machine would give.
    for r in results:
        r["cpu_tokens_per_second"] = args.batch * block * args.threads / r["cpu_seconds_per_step"]
    trainer = next((r for r in results if r["config"] == "trainer-full-bf16"), None)
    print(f"\n{shape}, block {block}, batch {args.batch}, {args.threads} threads, {args.steps} steps each")
    print(
        f"{'config':<26} {'tokens/s':>9} {'CPU tokens/s':>13} {'peak RSS':>9} {'100k tokens':>12} "
        f"{'vs Trainer':>10}"
    )
    for r in results:
        speed = r["cpu_tokens_per_second"]
        ratio = f"{speed / trainer['cpu_tokens_per_second']:.2f}x" if trainer else "-"
        print(
            f"{r['config']:<26} {r['tokens_per_second']:>9.0f} {speed:>13.0f} "
            f"{r['peak_rss_bytes'] / 1e9:>7.2f}GB {CORPUS_TOKENS / speed / 60:>10.1f}min {ratio:>10}"
        )
        if "estimate_tokens_per_second" in r:
            print(
                f"{'':<26} plan's estimate: {r['estimate_tokens_per_second']:.0f} tokens/s, "
                f"{r['estimate_peak_bytes'] / 1e9:.2f} GB peak"
            )


if __name__ == "__main__":
    main()

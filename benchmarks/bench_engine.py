"""Benchmark GPT-2 Studio's Engine beside transformers' own `generate()` on a GPT-2 124M-shaped model.

The model has random weights (nothing can be downloaded) but the exact `GPT2Config()` shape and a
50257-token byte-level BPE tokenizer, so every matrix product is the size the real gpt2 checkpoint uses.
Each side runs in a fresh process so that its resident memory (RSS) can be read on its own.

    .venv/bin/python benchmarks/bench_engine.py            # full run, a few minutes on 2 cores
    .venv/bin/python benchmarks/bench_engine.py --quick    # small model, one repetition: a smoke run
    .venv/bin/python benchmarks/bench_engine.py --precisions int8 --baseline /path/to/old/checkout
                                                           # before/after, measured alternately
    .venv/bin/python benchmarks/bench_engine.py --cpu-time # 1 thread, CPU seconds: for a busy machine
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

PROMPT_TOKENS = 900
TYPED = " Then"  # five characters typed at the end of the document
DECODE_TOKENS = 64
ALT_TOKENS = 24
ALTERNATIVES = 3
PRECISIONS = ("fp32", "bf16", "int8")
CPU_TIME_ENV = "GPT2_BENCH_CPU_TIME"
EOS = "<|endoftext|>"
VOCAB_SIZE = 50257
# Sampling shared by both sides: the app's defaults, fixed seed.
TOP_K = 40
TEMPERATURE = 0.7
SEED = 0

# Target: engine figure must beat generate()'s by this factor (typing: time; decode: tokens/s).
TYPING_TARGET = 10.0
DECODE_TARGET = 2.5
# "Little more than one": three alternatives at most this many times the cost of one.
ALTERNATIVES_TARGET = 1.5

_SENTENCES = (
    "The lighthouse keeper wrote a letter every evening, although the boat that carried the mail "
    "came only twice a month.",
    "She described the weather, the colour of the sea, and the birds that rested on the railing before "
    "flying south.",
    "Years later her grandson found the letters in a wooden box and began to read them aloud to his "
    "children.",
    "Nobody in the village remembered who had built the tower, but everyone agreed that its light had "
    "saved many ships.",
    "In winter the storms were so loud that she could not hear the kettle, so she learned to watch "
    "the steam instead.",
    "When the new electric lamp arrived, she kept the old brass lantern polished on the kitchen table.",
    "The inspector from the capital visited once, drank three cups of tea, and praised the clean "
    "windows in his report.",
    "On quiet nights she counted the ships that passed and wondered where each of them was going.",
)


@dataclass(frozen=True)
class Shape:
    """Model dimensions."""

    n_embd: int
    n_layer: int
    n_head: int
    n_positions: int = 1024


FULL = Shape(n_embd=768, n_layer=12, n_head=12)  # transformers.GPT2Config() defaults: GPT-2 124M
QUICK = Shape(n_embd=64, n_layer=2, n_head=2)


@dataclass(frozen=True)
class Timing:
    """What one generate() call cost, named as in the engine's Completion."""

    first_token_seconds: float
    tokens_per_second: float
    total_seconds: float


@dataclass(frozen=True)
class Prompts:
    """Two 900-token documents that share no first token, and document A plus typed characters."""

    doc_a: str
    doc_b: str
    typed: str
    ids_a: list[int]
    ids_typed: list[int]


# -- the model folder ---------------------------------------------------------------------------------
def build_model_folder(folder: Path, shape: Shape) -> Path:
    """Write a random-weight GPT-2 of `shape` with a 50257-token GPT-2-format tokenizer into folder."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel

    # A real byte-level BPE (all 256 bytes plus merges learnt from the benchmark's own English text)…
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_SENTENCES, vocab_size=2000, min_frequency=1, show_progress=False)
    vocab = bpe.get_vocab()
    bpe.save_model(str(folder))  # GPT-2's vocab.json + merges.txt format
    # …padded with unreachable tokens to 50256 entries, then <|endoftext|> at id 50256 as in GPT-2.
    pieces = sorted(vocab, key=vocab.__getitem__)
    pieces += [f"<unused{i}>" for i in range(VOCAB_SIZE - 1 - len(pieces))]
    pieces.append(EOS)
    model_folder = folder / "gpt2-124m-random"
    model_folder.mkdir()
    (model_folder / "vocab.json").write_text(
        json.dumps({piece: i for i, piece in enumerate(pieces)}, ensure_ascii=False), encoding="utf-8"
    )
    shutil.move(folder / "merges.txt", model_folder / "merges.txt")
    (model_folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "GPT2Tokenizer",
                "bos_token": EOS,
                "eos_token": EOS,
                "unk_token": EOS,
                "model_max_length": shape.n_positions,
                "add_prefix_space": False,
            }
        ),
        encoding="utf-8",
    )

    config = GPT2Config(
        n_embd=shape.n_embd, n_layer=shape.n_layer, n_head=shape.n_head, n_positions=shape.n_positions
    )
    assert config.vocab_size == VOCAB_SIZE
    assert config.eos_token_id == VOCAB_SIZE - 1
    torch.manual_seed(SEED)
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        # A zero <|endoftext|> embedding (tied to the output layer) gives it logit 0, far below the top 40
        # of a random model: neither side can stop early, so both always generate the asked length.
        model.transformer.wte.weight[config.eos_token_id].zero_()
    model.save_pretrained(str(model_folder), safe_serialization=True)
    return model_folder


def _exact_prefix(tokenizer: Any, text: str, n: int) -> str:
    """A prefix of text that tokenizes to exactly n tokens and does not end in whitespace."""
    ids = tokenizer.encode(text, add_special_tokens=False)
    if len(ids) < n + 64:
        raise ValueError("the source text is too short")
    for k in sorted(range(n - 32, n + 32), key=lambda k: abs(k - n)):
        piece = tokenizer.decode(ids[:k])
        if not piece[-1].isspace() and len(tokenizer.encode(piece, add_special_tokens=False)) == n:
            return piece
    raise ValueError(f"no prefix of the text tokenizes to exactly {n} tokens")


def make_prompts(folder: Path) -> Prompts:
    """Two English documents of exactly PROMPT_TOKENS tokens (first tokens differ) and A + TYPED."""
    from transformers import GPT2Tokenizer

    tokenizer = GPT2Tokenizer.from_pretrained(str(folder))  # as gpt2_studio.core.models.loading does

    def encode(text: str) -> list[int]:
        return tokenizer.encode(text, add_special_tokens=False)

    body = " ".join(_SENTENCES[(i * 3) % len(_SENTENCES)] for i in range(200))
    doc_a = _exact_prefix(tokenizer, "Chapter one. " + body, PROMPT_TOKENS)
    doc_b = _exact_prefix(tokenizer, "Another day began. " + body, PROMPT_TOKENS)
    ids_a = encode(doc_a)
    typed = doc_a + TYPED
    ids_typed = encode(typed)
    if ids_typed[:PROMPT_TOKENS] != ids_a or encode(doc_b)[0] == ids_a[0]:
        raise ValueError("the prompts do not tokenize as the benchmark needs")
    return Prompts(doc_a, doc_b, typed, ids_a, ids_typed)


# -- measurement helpers ----------------------------------------------------------------------------
def _memory_mib() -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of this process, in MiB (Linux)."""
    out = {"rss": float("nan"), "peak": float("nan")}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss" if key == "VmRSS" else "peak"] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def _cpu_clock() -> tuple[float, float, float]:
    """(wall seconds, busy CPU seconds of the whole machine, CPU seconds of this process)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    except (OSError, ValueError):
        busy = float("nan")
    return time.perf_counter(), busy, time.process_time()


def _disturbed(since: tuple[float, float, float]) -> bool:
    """Whether other processes used more than a tenth of the machine's CPUs since `since`."""
    if os.environ.get(CPU_TIME_ENV):
        return False  # CPU time is what is measured: other processes do not change it much
    now = _cpu_clock()
    wall, busy, own = (b - a for a, b in zip(since, now, strict=True))
    return busy - own > 0.1 * wall * (os.cpu_count() or 1) + 0.03  # /proc/stat counts in 10 ms ticks


class Repeat:
    """Runs a measurement once to warm up, then until `reps` runs were not disturbed by other processes.

    Two cores shared with anything else give meaningless times, so a run during which other processes
    took CPU is done again (at most 3 × reps extra runs; then the disturbed ones are used).
    """

    def __init__(self, reps: int) -> None:
        self.reps = reps
        self.retried = 0
        self.started = _cpu_clock()

    def __call__(self, measure: Callable[[], Any], field: str) -> float:
        """The median of measure().<field> over the undisturbed runs."""
        measure()
        quiet: list[Any] = []
        noisy: list[Any] = []
        while len(quiet) < self.reps and len(noisy) < 3 * self.reps:
            since = _cpu_clock()
            result = measure()
            (noisy if _disturbed(since) else quiet).append(result)
        self.retried += len(noisy)
        return statistics.median(getattr(result, field) for result in quiet or noisy)

    def summary(self) -> dict[str, Any]:
        """Memory and interference figures for the whole process so far."""
        memory = _memory_mib()
        wall, busy, own = (b - a for a, b in zip(self.started, _cpu_clock(), strict=True))
        others = max(0.0, busy - own) / (wall * (os.cpu_count() or 1))
        return {
            "rss_end": memory["rss"],
            "rss_peak": memory["peak"],
            "others_cpu": 100 * others,
            "retried": self.retried,
        }


def _setup(threads: int | None) -> None:
    """Quiet transformers, import what loading needs (so load times exclude imports), set threads."""
    if os.environ.get(CPU_TIME_ENV):
        # Every clock the engine, generate()'s streamer and this script read becomes this process's CPU
        # time: with one thread, a busy machine then changes the figures far less than wall time.
        time.perf_counter = time.process_time
    import torch
    import transformers
    from transformers import GPT2LMHeadModel, GPT2Tokenizer  # noqa: F401

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if threads:
        torch.set_num_threads(threads)


def _in_fresh_process(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run fn(*args) in a new Python process (clean RSS, nothing shared) and return its result."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


# -- the two sides ----------------------------------------------------------------------------------
def bench_generate(folder: Path, prompts: Prompts, reps: int, threads: int | None) -> dict[str, Any]:
    """transformers' GPT2LMHeadModel.generate(), fp32, top-k sampling, no early stop."""
    _setup(threads)
    import torch
    from transformers import GPT2LMHeadModel
    from transformers.generation.streamers import BaseStreamer

    class Clock(BaseStreamer):
        """Notes when the first new token arrives (the first put() is the prompt itself)."""

        def __init__(self) -> None:
            self.puts: list[float] = []

        def put(self, value: torch.Tensor) -> None:
            self.puts.append(time.perf_counter())

        def end(self) -> None:
            pass

    repeat = Repeat(reps)
    base = _memory_mib()["rss"]
    started = time.perf_counter()
    model = GPT2LMHeadModel.from_pretrained(str(folder), dtype=torch.float32, use_safetensors=True).eval()
    load_seconds = time.perf_counter() - started

    def generate(ids: list[int], new: int, n: int = 1) -> Timing:
        torch.manual_seed(SEED)
        input_ids = torch.tensor([ids])
        clock = Clock() if n == 1 else None
        begin = time.perf_counter()
        out = model.generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            do_sample=True,
            top_k=TOP_K,
            temperature=TEMPERATURE,
            top_p=1.0,
            max_new_tokens=new,
            min_new_tokens=new,
            num_return_sequences=n,
            pad_token_id=model.config.eos_token_id,
            streamer=clock,
        )
        end = time.perf_counter()
        assert out.shape == (n, len(ids) + new)
        first = clock.puts[1] if clock else float("nan")
        return Timing(first - begin, (new - 1) / (end - first) if new > 1 else float("nan"), end - begin)

    return {
        "load_s": load_seconds,
        "rss_base": base,
        "prefill_s": repeat(lambda: generate(prompts.ids_a, 1), "first_token_seconds"),
        "decode_tps": repeat(lambda: generate(prompts.ids_a, DECODE_TOKENS), "tokens_per_second"),
        "alt3_cold_s": repeat(lambda: generate(prompts.ids_a, ALT_TOKENS, ALTERNATIVES), "total_seconds"),
        "typing_s": repeat(lambda: generate(prompts.ids_typed, 1), "first_token_seconds"),
        "typing_reused": 0,
        **repeat.summary(),
    }


def bench_engine(
    folder: Path, precision: str, prompts: Prompts, reps: int, threads: int | None, source: str | None = None
) -> dict[str, Any]:
    """GPT-2 Studio's Engine in one precision, the same sampling and prompts.

    source: another checkout whose gpt2_studio package is measured instead of this one's.
    """
    if source:
        sys.path.insert(0, source)
    _setup(threads)
    import gpt2_studio

    if source and not Path(gpt2_studio.__file__).resolve().is_relative_to(Path(source).resolve()):
        raise RuntimeError(f"gpt2_studio was imported from {gpt2_studio.__file__}, not from {source}")
    from gpt2_studio.core.generation.engine import Completion, Engine
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.models.loading import load_model

    repeat = Repeat(reps)
    base = _memory_mib()["rss"]
    started = time.perf_counter()
    engine = Engine(load_model(folder, device="cpu", precision=precision))
    load_seconds = time.perf_counter() - started
    if engine.tokenize(prompts.doc_a) != prompts.ids_a or engine.tokenize(prompts.typed) != prompts.ids_typed:
        raise RuntimeError("the engine tokenizes the prompts differently from generate()'s ids")
    settings = SamplingSettings(temperature=TEMPERATURE, top_k=TOP_K, seed=SEED)
    last_prompt = ""

    def run(prompt: str, new: int, n: int = 1) -> Completion:
        nonlocal last_prompt
        done = engine.complete(prompt, settings.replace(max_new_tokens=new, num_alternatives=n))
        last_prompt = prompt
        if done.new_tokens != new or done.cancelled:
            raise RuntimeError(f"asked for {new} tokens, got {done.new_tokens} ({done.finish_reasons})")
        return done

    def cold(new: int, n: int = 1) -> Completion:
        """A document that shares no prefix with the cached one: the whole prompt is read."""
        prompt = prompts.doc_b if last_prompt.startswith(prompts.doc_a[:1]) else prompts.doc_a
        done = run(prompt, new, n)
        if done.reused_tokens:
            raise RuntimeError(f"a cold prompt reused {done.reused_tokens} cached tokens")
        return done

    def cached(new: int, n: int = 1) -> Completion:
        """Document A again, already in the cache (from the previous call)."""
        if last_prompt != prompts.doc_a:
            run(prompts.doc_a, 1)
        return run(prompts.doc_a, new, n)

    def typing() -> Completion:
        run(prompts.doc_a, 1)  # the document as it was before the keystrokes
        return run(prompts.typed, 1)

    return {
        "load_s": load_seconds,
        "rss_base": base,
        "prefill_s": repeat(lambda: cold(1), "first_token_seconds"),
        "decode_tps": repeat(lambda: cached(DECODE_TOKENS), "tokens_per_second"),
        "alt3_cold_s": repeat(lambda: cold(ALT_TOKENS, ALTERNATIVES), "total_seconds"),
        "alt1_cold_s": repeat(lambda: cold(ALT_TOKENS), "total_seconds"),
        "alt3_cached_s": repeat(lambda: cached(ALT_TOKENS, ALTERNATIVES), "total_seconds"),
        "alt1_cached_s": repeat(lambda: cached(ALT_TOKENS), "total_seconds"),
        "typing_s": repeat(typing, "first_token_seconds"),
        "typing_reused": typing().reused_tokens,
        **repeat.summary(),
    }


def bench_accuracy(
    folder: Path, precision: str, prompts: Prompts, threads: int | None, source: str | None = None
) -> dict[str, Any]:
    """How far `precision`'s logits are from fp32's on document A, by the runners themselves.

    Every prompt position (fed in 128-token blocks, as a prefill does) and 64 decode steps of one token
    (each side is given fp32's greedy choice, so both read the same tokens): the largest |logit
    difference|, its root mean square, and how often both put the same token first.
    """
    if source:
        sys.path.insert(0, source)
    _setup(threads)
    import torch

    from gpt2_studio.core.models.loading import load_model

    reference = load_model(folder, device="cpu", precision="fp32").runner
    tested = load_model(folder, device="cpu", precision=precision).runner
    caches = [runner.new_cache(1, reference.n_positions) for runner in (reference, tested)]
    out: dict[str, Any] = {}

    def compare(kind: str, expected: torch.Tensor, got: torch.Tensor) -> None:
        worst = (got - expected).abs().max().item()
        same = (got.argmax(-1) == expected.argmax(-1)).sum().item()
        out[f"dlogit_{kind}"] = max(out.get(f"dlogit_{kind}", 0.0), worst)
        out[f"square_{kind}"] = out.get(f"square_{kind}", 0.0) + (got - expected).pow(2).mean(-1).sum().item()
        out[f"top1_{kind}"] = out.get(f"top1_{kind}", 0) + same
        out[f"rows_{kind}"] = out.get(f"rows_{kind}", 0) + expected.shape[0]

    ids = torch.tensor([prompts.ids_a])
    for start in range(0, ids.shape[1], 128):
        block = ids[:, start : start + 128]
        expected, got = (
            runner.forward(block, cache, start=start, all_rows=True)[0]
            for runner, cache in zip((reference, tested), caches, strict=True)
        )
        compare("prompt", expected, got)
    position = ids.shape[1]
    token = expected[-1].argmax()
    for _ in range(DECODE_TOKENS):
        step = token.view(1, 1)
        expected, got = (
            runner.forward(step, cache, start=position)
            for runner, cache in zip((reference, tested), caches, strict=True)
        )
        compare("decode", expected, got)
        token = expected[0].argmax()
        position += 1
    for kind in ("prompt", "decode"):
        rows = out.pop(f"rows_{kind}")
        out[f"top1_{kind}"] /= rows
        out[f"rms_{kind}"] = (out.pop(f"square_{kind}") / rows) ** 0.5
    return out


# -- report ---------------------------------------------------------------------------------------
def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _label(name: str) -> str:
    return f"before {name[:-7]}" if name.endswith("@before") else f"engine {name}"


def report(results: dict[str, dict[str, Any]], prompts: Prompts) -> None:
    """Print every figure, the engine/generate ratios and the targets (one column per engine run)."""
    gen = results["generate"]
    engines = [name for name in results if name != "generate"]
    columns = ["generate", *engines]
    print(f"\n{'':36}{'generate()':>12}" + "".join(f"{_label(p):>14}" for p in engines))

    def row(label: str, key: str, fmt: str, ratio: bool = False) -> None:
        values = [results[c].get(key) for c in columns]
        print(
            f"{label:36}{format(values[0], fmt) if values[0] is not None else '-':>12}"
            + "".join(f"{'-' if v is None else format(v, fmt):>14}" for v in values[1:])
        )
        if ratio:
            ratios = "".join(f"{results[p][key] / gen[key]:>13.3f}x" for p in engines)
            print(f"{'   engine/generate':36}{'':12}{ratios}")

    row("load (s)", "load_s", ".2f")
    row("RSS before load (MiB)", "rss_base", ".0f")
    row("RSS at the end (MiB)", "rss_end", ".0f")
    row("peak RSS (MiB)", "rss_peak", ".0f")
    row("other processes' CPU use (%)", "others_cpu", ".0f")
    row("disturbed runs redone", "retried", "d")
    row(f"1. prefill {PROMPT_TOKENS} tok: first token (s)", "prefill_s", ".3f", ratio=True)
    row(f"2. decode {DECODE_TOKENS} tok (tok/s)", "decode_tps", ".1f", ratio=True)
    row(f"3. {ALTERNATIVES} alts x {ALT_TOKENS} tok (s)", "alt3_cold_s", ".3f", ratio=True)
    row(f"   1 alt x {ALT_TOKENS} tok (s)", "alt1_cold_s", ".3f")
    row(f"   {ALTERNATIVES} alts, prompt cached (s)", "alt3_cached_s", ".3f")
    row("   1 alt, prompt cached (s)", "alt1_cached_s", ".3f")
    row(f"4. typing +{len(TYPED)} chars: first token (s)", "typing_s", ".3f", ratio=True)
    row("   prompt tokens reused", "typing_reused", "d")
    row(f"max |logit - fp32|, {PROMPT_TOKENS} prompt rows", "dlogit_prompt", ".4f")
    row(f"   {DECODE_TOKENS} decode steps", "dlogit_decode", ".4f")
    row("   rms logit - fp32, prompt rows", "rms_prompt", ".5f")
    row("   rms, decode steps", "rms_decode", ".5f")
    row("same top-1 as fp32, prompt rows", "top1_prompt", ".1%")
    row("   decode steps", "top1_decode", ".1%")

    print(f"\nTargets (typing: {len(prompts.ids_typed)}-token prompt, {PROMPT_TOKENS} of them cached):")
    for p in engines:
        r = results[p]
        typing = r["typing_s"] / gen["typing_s"]
        decode = r["decode_tps"] / gen["decode_tps"]
        cold = r["alt3_cold_s"] / r["alt1_cold_s"]
        cached = r["alt3_cached_s"] / r["alt1_cached_s"]
        print(
            f"  {_label(p)}: typing first token {typing:.3f}x generate() (target < {1 / TYPING_TARGET:g}x) "
            f"{_verdict(typing < 1 / TYPING_TARGET)}\n"
            f"  {_label(p)}: decode {decode:.2f}x generate() (target >= {DECODE_TARGET:g}x) "
            f"{_verdict(decode >= DECODE_TARGET)}\n"
            f"  {_label(p)}: {ALTERNATIVES} alts cost {cached:.2f}x one with the prompt cached, "
            f"{cold:.2f}x cold "
            f"(target <= {ALTERNATIVES_TARGET:g}x) {_verdict(max(cold, cached) <= ALTERNATIVES_TARGET)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small model and one repetition (smoke run)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument(
        "--reps", type=int, default=None, help="timed repetitions per figure (default 3, quick 1)"
    )
    parser.add_argument(
        "--precisions", default=",".join(PRECISIONS), help="engine precisions, comma-separated"
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="another checkout (e.g. a git worktree of an older commit): its engine is measured too, "
        "each precision right before this checkout's, so that both see the same machine load",
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="one thread, and every time is the process's CPU time (for a machine that is not quiet)",
    )
    parser.add_argument(
        "--no-accuracy", action="store_true", help="skip the logits comparison with fp32 (bf16 and int8)"
    )
    args = parser.parse_args(argv)
    if args.cpu_time:
        args.threads = 1
        os.environ[CPU_TIME_ENV] = "1"  # read by the measuring processes
    precisions = [p for p in args.precisions.split(",") if p]
    if unknown := set(precisions) - set(PRECISIONS):
        parser.error(f"unknown precision(s): {', '.join(sorted(unknown))}")
    shape = QUICK if args.quick else FULL
    reps = args.reps or (1 if args.quick else 3)

    import torch
    import transformers

    _setup(args.threads)
    threads = args.threads or torch.get_num_threads()
    print(
        f"GPT-2 {'quick' if args.quick else '124M'} {shape}, vocab {VOCAB_SIZE}, random weights\n"
        f"torch {torch.__version__}, transformers {transformers.__version__}, {threads} threads on "
        f"{os.cpu_count()} CPUs ({platform.machine()}); median of {reps} runs after a warm-up"
        + ("; times are CPU seconds of the measuring process" if args.cpu_time else ""),
        flush=True,
    )
    started = time.monotonic()  # wall time even with --cpu-time
    with tempfile.TemporaryDirectory(prefix="gpt2-bench-") as tmp:
        folder = build_model_folder(Path(tmp), shape)
        prompts = make_prompts(folder)
        results = {}
        print("  measuring generate…", file=sys.stderr, flush=True)
        results["generate"] = _in_fresh_process(bench_generate, folder, prompts, reps, args.threads)
        for precision in precisions:
            runs = [(f"{precision}@before", args.baseline)] if args.baseline else []
            for name, source in [*runs, (precision, None)]:
                print(f"  measuring {_label(name)}…", file=sys.stderr, flush=True)
                results[name] = _in_fresh_process(
                    bench_engine, folder, precision, prompts, reps, args.threads, source
                )
                if precision != "fp32" and not args.no_accuracy:
                    results[name] |= _in_fresh_process(
                        bench_accuracy, folder, precision, prompts, args.threads, source
                    )
    report(results, prompts)
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

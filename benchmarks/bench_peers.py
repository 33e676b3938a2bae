"""GPT-2 Studio's Engine beside llama.cpp and transformers' generate(), each in its own process, in rounds.

Three engines answer the same requests on the same random weights of GPT-2's exact shapes with GPT-2's
real BPE: the Engine of this checkout (int8 by default), llama.cpp (llama-cpp-python, built from source by
setup_llamacpp.sh; the GGUF is made by the converter its source ships, q8_0 by default) and
`GPT2LMHeadModel.generate()` in fp32. Each round starts every engine once in a fresh process, in a
rotated order; figures are medians over rounds. It prints every figure, the engine's ratios to llama.cpp
and generate(), and PASS/MISS for issue 13's targets (never an assert). Not part of the test run.

    benchmarks/setup_llamacpp.sh                                   # once: ~10 min on 2 cores
    .venv/bin/python benchmarks/bench_peers.py                     # 124M and 355M, 3 rounds
    .venv/bin/python benchmarks/bench_peers.py --sizes 124M,355M,1.5B --keep /tmp/peers
    .venv/bin/python benchmarks/bench_peers.py --busy              # another process burns one core
    .venv/bin/python benchmarks/bench_peers.py --quick             # tiny model, one round: a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from benchmarks.peers.measure import RESULT_PREFIX  # noqa: E402
from benchmarks.peers.models import SHAPES, build_model, convert_to_gguf, make_prompts  # noqa: E402

ENGINES = ("engine", "llama", "generate")
DEFAULT_VENV = HERE / ".peers-venv"
DECODE_TOKENS = 64
ALT_TOKENS = 24
ALTERNATIVES = 3
TOP_K = 40  # the app's defaults, fixed seed
TEMPERATURE = 0.7
SEED = 0
# Issue 13's targets, as ratios engine / llama.cpp in the same run.
DECODE_TARGET = 1.1  # tokens/s: at least
RSS_TARGET = 1.3  # peak RSS: at most
LOAD_TARGET = 2.0  # load time: at most
XL_PEAK_MIB = 2.2e9 / 2**20  # gpt2-xl int8 peak RSS: at most 2.2 GB


def find_converter(venv: Path) -> Path | None:
    """llama.cpp's convert_hf_to_gguf.py in the source tree setup_llamacpp.sh unpacked, if any."""
    found = sorted((venv / "src").glob("llama_cpp_python-*/vendor/llama.cpp/convert_hf_to_gguf.py"))
    return found[-1] if found else None


def prepare(size: str, work: Path, llama_type: str, converter: Path | None) -> dict[str, Any]:
    """The model folder, the GGUF and the prompts for one size (kept in `work` between runs)."""
    folder = work / size / "hf"
    if not (folder / "model.safetensors").exists():
        print(f"  building a random {size} GPT-2 in {folder}…", file=sys.stderr, flush=True)
        build_model(folder, SHAPES[size])
    gguf = work / size / f"model-{llama_type}.gguf"
    if converter and not gguf.exists():
        print(f"  converting it to GGUF {llama_type} with {converter.name}…", file=sys.stderr, flush=True)
        convert_to_gguf(folder, gguf, llama_type, converter)
    return {"folder": folder, "gguf": gguf, "prompts": make_prompts(folder)}


def run_worker(
    engine: str, model: dict[str, Any], args: argparse.Namespace, spec_dir: Path
) -> dict[str, Any]:
    """One engine, one round, in a fresh process; its result dictionary."""
    llama = engine == "llama"
    spec = {
        "engine": engine,
        "model": str(model["gguf"] if llama else model["folder"]),
        **model["prompts"],
        "reps": args.reps,
        "threads": args.threads,
        "busy": args.busy,
        "cpu_time": args.cpu_time,
        "precision": args.precision,
        "flash_attn": args.llama_flash_attn,
        "repack": not args.llama_no_repack,
        "decode_tokens": DECODE_TOKENS,
        "alt_tokens": ALT_TOKENS,
        "alternatives": ALTERNATIVES,
        "top_k": TOP_K,
        "temperature": TEMPERATURE,
        "seed": SEED,
    }
    spec_file = spec_dir / f"{engine}.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    python = str(args.llama_venv / "bin" / "python") if llama else sys.executable
    worker = HERE / "peers" / ("worker_llama.py" if llama else "worker_torch.py")
    # The engine's per-user folders (and any cache of converted weights in them) live in the run's
    # temporary folder: the first round starts without a cache, later rounds find what it left.
    env = {**os.environ, "GPT2_STUDIO_HOME": str(spec_dir / "studio-home")}
    done = subprocess.run(
        [python, str(worker), str(spec_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
        env=env,
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"the {engine} worker failed ({done.returncode}):\n{done.stderr[-4000:]}")


def median_result(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every number over the rounds (other values from the last round)."""
    out = dict(rounds[-1])
    for key, value in out.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in rounds)
    out["rounds"] = len(rounds)
    out["load_first_s"] = rounds[0]["load_s"]
    return out


def _label(engine: str, args: argparse.Namespace) -> str:
    return {
        "engine": f"engine {args.precision}",
        "llama": f"llama.cpp {args.llama_type}",
        "generate": "generate() fp32",
    }[engine]


def report(size: str, results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    """Print one size's table, the ratios and the targets."""
    engines = [e for e in ENGINES if e in results]
    width = 18
    print(f"\nGPT-2 {size} ({SHAPES[size]}), median of {args.rounds} rounds")
    header = f"{'':34}" + "".join(f"{_label(e, args):>{width}}" for e in engines)
    ratio_columns = [
        (n, d) for n, d in (("engine", "llama"), ("engine", "generate")) if n in results and d in results
    ]
    header += "".join(
        f"{'engine/' + ('llama' if d == 'llama' else 'generate'):>{width}}" for _, d in ratio_columns
    )
    print(header)

    def row(label: str, key: str, fmt: str, ratio: bool = True) -> None:
        cells = "".join(f"{format(results[e][key], fmt):>{width}}" for e in engines)
        if ratio:
            cells += "".join(
                f"{results[n][key] / results[d][key]:>{width - 1}.2f}x" for n, d in ratio_columns
            )
        print(f"{label:34}{cells}")

    row("load (s)", "load_s", ".2f")
    row("   load in the first round (s)", "load_first_s", ".2f")
    row("RSS before load (MiB)", "rss_base", ".0f", ratio=False)
    row("peak RSS, VmHWM (MiB)", "rss_peak", ".0f")
    row("RSS at the end (MiB)", "rss_end", ".0f", ratio=False)
    row("others' CPU use (%)", "others_cpu", ".0f", ratio=False)
    row("disturbed runs redone", "retried", ".0f", ratio=False)
    row("1. prefill 900 tok, 1st token (s)", "prefill_s", ".3f")
    row(f"2. decode {DECODE_TOKENS} tok (tok/s)", "decode_tps", ".1f")
    row(f"3. {ALTERNATIVES} alts x {ALT_TOKENS} tok (s)", "alt3_cold_s", ".3f")
    row("4. typing +5 chars, 1st token (s)", "typing_s", ".3f")
    row("   prompt tokens reused", "typing_reused", ".0f", ratio=False)
    if "engine" in results:
        imported = "yes" if results["engine"].get("imports_gpt2_modeling") else "no"
        print(f"engine: loading imported transformers' GPT-2 model code: {imported}")
    if "engine" not in results or "llama" not in results:
        return
    eng, peer = results["engine"], results["llama"]
    checks = [
        (
            f"decode >= {DECODE_TARGET}x llama.cpp",
            eng["decode_tps"] / peer["decode_tps"],
            DECODE_TARGET,
            True,
        ),
        (f"peak RSS <= {RSS_TARGET}x llama.cpp", eng["rss_peak"] / peer["rss_peak"], RSS_TARGET, False),
        (f"load <= {LOAD_TARGET}x llama.cpp", eng["load_s"] / peer["load_s"], LOAD_TARGET, False),
    ]
    print("Targets (issue 13):")
    for name, value, target, at_least in checks:
        ok = value >= target if at_least else value <= target
        print(f"  {name}: {value:.2f}x {'PASS' if ok else 'MISS'}")
    if size == "1.5B":
        verdict = "PASS" if eng["rss_peak"] <= XL_PEAK_MIB else "MISS"
        print(f"  gpt2-xl peak RSS <= 2.2 GB ({XL_PEAK_MIB:.0f} MiB): {eng['rss_peak']:.0f} MiB {verdict}")


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (modified)" if dirty else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --quick sets a tiny model, one round and one repetition."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="124M,355M", help=f"comma-separated, of {', '.join(SHAPES)}")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="comma-separated, of engine, llama, generate"
    )
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per engine (default 3)")
    parser.add_argument(
        "--reps", type=int, default=2, help="timed runs per figure in each process (default 2)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="threads for every engine (default: the CPUs this process may use)",
    )
    parser.add_argument("--precision", default="int8", help="the Engine's precision (default int8)")
    parser.add_argument(
        "--llama-type", default="q8_0", help="GGUF type from the converter (q8_0, f16, bf16, f32)"
    )
    parser.add_argument("--llama-venv", type=Path, default=DEFAULT_VENV, help="what setup_llamacpp.sh made")
    parser.add_argument("--llama-flash-attn", action="store_true", help="llama.cpp with flash attention")
    parser.add_argument(
        "--llama-no-repack",
        action="store_true",
        help="llama.cpp without its repacked weight layouts (extra buffer types)",
    )
    parser.add_argument("--busy", action="store_true", help="another process burns one core throughout")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="one thread per engine, and every time is the measuring process's CPU time (a machine that "
        "is not quiet)",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep models and GGUFs in this folder, reuse them"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every round's figures here")
    parser.add_argument("--quick", action="store_true", help="a tiny model, one round, one repetition")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.rounds, args.reps = "tiny", 1, 1
    if args.cpu_time:
        args.threads = 1
    args.size_list = [s for s in args.sizes.split(",") if s]
    args.engine_list = [e for e in args.engines.split(",") if e]
    if unknown := [s for s in args.size_list if s not in SHAPES]:
        parser.error(f"unknown size(s): {', '.join(unknown)}; choose from {', '.join(SHAPES)}")
    if unknown := [e for e in args.engine_list if e not in ENGINES]:
        parser.error(f"unknown engine(s): {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    if args.rounds < 1 or args.reps < 1 or args.threads < 1:
        parser.error("--rounds, --reps and --threads must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Prepare the models, run the rounds, print the tables."""
    args = parse_args(argv)
    converter = None
    if "llama" in args.engine_list:
        converter = find_converter(args.llama_venv)
        if converter is None or not (args.llama_venv / "bin" / "python").exists():
            print(
                f"llama.cpp is not set up in {args.llama_venv}: run benchmarks/setup_llamacpp.sh first "
                "(or leave it out with --engines engine,generate).",
                file=sys.stderr,
            )
            return 2
    print(
        f"engine from {ROOT} at {_commit()}; {args.threads} threads on {os.cpu_count()} CPUs "
        f"({platform.machine()}, {platform.processor() or 'cpu'}); {args.rounds} rounds x {args.reps} reps"
        f"{'; BUSY: another process burns one core' if args.busy else ''}"
        f"{'; times are CPU seconds of the measuring process' if args.cpu_time else ''}"
    )
    print(f"load average at the start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    started = time.monotonic()
    burner = None
    everything: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="gpt2-peers-") as tmp:
        work = args.keep or Path(tmp)
        try:
            if args.busy:
                burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for size in args.size_list:
                model = prepare(size, work, args.llama_type, converter)
                rounds: dict[str, list[dict[str, Any]]] = {e: [] for e in args.engine_list}
                for r in range(args.rounds):
                    order = (
                        args.engine_list[r % len(args.engine_list) :]
                        + args.engine_list[: r % len(args.engine_list)]
                    )
                    for engine in order:
                        print(f"  {size} round {r + 1}: {_label(engine, args)}…", file=sys.stderr, flush=True)
                        rounds[engine].append(run_worker(engine, model, args, Path(tmp)))
                        if args.json:  # after every worker: a run cut short keeps what it measured
                            everything[size] = {"rounds": rounds}
                            args.json.write_text(json.dumps(everything, indent=1), encoding="utf-8")
                results = {e: median_result(rs) for e, rs in rounds.items()}
                everything[size] = {"median": results, "rounds": rounds}
                report(size, results, args)
                for e in args.engine_list:
                    print(f"  ({_label(e, args)}: {results[e].get('version', '')})")
        finally:
            if burner:
                burner.kill()
                burner.wait()
    print(
        f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
        f"total {time.monotonic() - started:.0f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure the engine on a quiet and on a busy machine with 1 torch thread, all CPUs, and auto.

Measures, never asserts. "Busy" is another process burning one CPU (a Python busy loop, as a browser
tab or a compile would), started before and stopped after its rounds. Each round runs the three thread
modes in turn (interleaved, so that drifting load hits them alike) on the issue's case: 3 alternatives
x 24 tokens after a 900-token document that is not cached (GPT-2 124M shape, random weights, int8).

Before every request the script pauses as a writer does (PAUSE_S, the editor's default suggestion
delay) and auto decides as the app's model worker does: ``CoreMonitor.choose`` compares the CPU
clocks now with the reading noted after the previous request.

    .venv/bin/python benchmarks/bench_threads.py            # GPT-2 124M shape, about 3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_threads.py --quick    # small model, 1 round: a smoke run
    .venv/bin/python benchmarks/bench_threads.py --rounds 5 --precision bf16
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
PAUSE_S = 0.4  # the editor's default pause before it asks for a suggestion
BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def measure(folder: Path, precision: str, rounds: int, conditions: list[str]) -> dict[str, Any]:
    """{condition: {mode: [seconds, ...]}}, auto's chosen counts, and other processes' CPU use."""
    import torch
    from bench_engine import ALT_TOKENS, ALTERNATIVES, SEED, TEMPERATURE, TOP_K, make_prompts

    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.models.loading import load_model
    from gpt2_studio.core.runner.threads import (
        CoreMonitor,
        apply_threads,
        others_busy,
        take_reading,
        torch_default_threads,
        usable_cpus,
    )

    prompts = make_prompts(folder)
    usable = usable_cpus()
    ceiling = torch_default_threads()
    engine = Engine(load_model(folder, device="cpu", precision=precision))
    settings = SamplingSettings(
        temperature=TEMPERATURE,
        top_k=TOP_K,
        seed=SEED,
        max_new_tokens=ALT_TOKENS,
        num_alternatives=ALTERNATIVES,
    )
    monitor = CoreMonitor()
    documents = [prompts.doc_a, prompts.doc_b]
    asked = 0

    def request(count: int | None) -> tuple[float, int]:
        """One suggestion as the app makes it: pause, choose the threads, run; (seconds, threads)."""
        nonlocal asked
        time.sleep(PAUSE_S)
        threads = monitor.choose(count)
        apply_threads(threads)
        document = documents[asked % 2]  # alternate, so that nothing is cached
        asked += 1
        started = time.perf_counter()
        done = engine.complete(document, settings)
        seconds = time.perf_counter() - started
        monitor.note()
        if done.reused_tokens or done.new_tokens != ALT_TOKENS:
            raise RuntimeError(f"not a cold 3 x {ALT_TOKENS} request: {done}")
        return seconds, torch.get_num_threads()

    modes: dict[str, int | None] = {"1 thread": 1, f"{ceiling} threads": ceiling, "auto": None}
    results: dict[str, Any] = {
        "usable": usable,
        "ceiling": ceiling,
        "runs": {},
        "auto_chose": {},
        "others": {},
    }
    monitor.note()
    request(None)  # warm-up: first-call costs stay out of the figures
    for condition in conditions:
        burner = None
        if condition == "busy":
            code = BURN.format(seconds=3600)
            burner = subprocess.Popen([sys.executable, "-c", code])
            time.sleep(1.0)  # up and burning, and seen by the monitor's next interval
        first = take_reading()
        runs: dict[str, list[float]] = {mode: [] for mode in modes}
        chose: list[int] = []
        try:
            for _ in range(rounds):
                for mode, count in modes.items():
                    print(f"  [{condition}] {mode}…", file=sys.stderr, flush=True)
                    seconds, threads = request(count)
                    runs[mode].append(seconds)
                    if count is None:
                        chose.append(threads)
        finally:
            if burner is not None:
                burner.kill()
                burner.wait()
        results["runs"][condition] = runs
        results["auto_chose"][condition] = chose
        last = take_reading()
        results["others"][condition] = others_busy(first, last) if first and last else float("nan")
    return results


def report(results: dict[str, Any], precision: str, shape: str) -> None:
    """One row per condition and mode: median, min and max seconds; what auto chose."""
    print(
        f"\n3 alternatives x 24 tokens after a 900-token uncached document ({shape}, {precision}; "
        f"{results['usable']} usable CPUs, torch's default {results['ceiling']} threads; "
        f"a {PAUSE_S} s pause before each request)"
    )
    print(f"  {'machine':36}{'mode':12}{'median':>9}{'min':>8}{'max':>8}  auto chose")
    for condition, runs in results["runs"].items():
        label = {
            "quiet": "quiet (other programs as they are)",
            "busy": "busy (+ a process burning 1 CPU)",
        }[condition]
        others = results["others"][condition]
        for mode, seconds in runs.items():
            chose = results["auto_chose"][condition] if mode == "auto" else []
            print(
                f"  {label:36}{mode:12}{statistics.median(seconds):8.2f}s{min(seconds):7.2f}s"
                f"{max(seconds):7.2f}s  {' '.join(map(str, chose))}"
            )
            label = ""
        print(f"  {'':36}(other processes used {others:.2f} CPUs on average, the burner included)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small model, 1 round (smoke run)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per machine state (default 3)")
    parser.add_argument("--precision", default="int8", choices=("fp32", "bf16", "int8"))
    parser.add_argument(
        "--only", choices=("quiet", "busy"), default=None, help="measure one machine state only"
    )
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT), str(HERE)]
    import bench_engine
    import torch

    from gpt2_studio.core.models.loading import quiet_transformers

    rounds = args.rounds or (1 if args.quick else 3)
    conditions = [args.only] if args.only else ["quiet", "busy"]
    print(
        f"GPT-2 Studio threads on a busy machine | Python {platform.python_version()}, torch "
        f"{torch.__version__}, {os.cpu_count()} CPUs ({platform.processor() or platform.machine()})",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="gpt2-bench-threads-") as tmp_name:
        shape = bench_engine.QUICK if args.quick else bench_engine.FULL
        with quiet_transformers():
            folder = bench_engine.build_model_folder(Path(tmp_name), shape)
        started = time.perf_counter()
        results = measure(folder, args.precision, rounds, conditions)
    name = "small model (--quick)" if args.quick else "GPT-2 124M shape, random weights"
    report(results, args.precision, name)
    print(f"\n(measured in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

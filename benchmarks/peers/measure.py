"""Clocks, memory readings and repetition shared by every peer's worker process (standard library only).

The llama.cpp worker runs in its own virtual environment without torch, so nothing here may import the
project or a third-party package.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULT_PREFIX = "PEERS-RESULT "


@dataclass(frozen=True)
class Timing:
    """What one request cost: first token (s), tokens/s after it, the whole request (s)."""

    first_token_seconds: float
    tokens_per_second: float
    total_seconds: float


def memory_mib() -> dict[str, float]:
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


def cpu_clock() -> tuple[float, float, float]:
    """(wall seconds, busy CPU seconds of the whole machine, CPU seconds of this process)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    except (OSError, ValueError):
        busy = float("nan")
    return time.monotonic(), busy, time.process_time()  # monotonic: --cpu-time replaces perf_counter


def others_share(since: tuple[float, float, float]) -> float:
    """The share of the machine's CPUs (0–1) that other processes used since `since`."""
    wall, busy, own = (b - a for a, b in zip(since, cpu_clock(), strict=True))
    return max(0.0, busy - own) / (max(wall, 1e-9) * (os.cpu_count() or 1))


def disturbed(since: tuple[float, float, float]) -> bool:
    """Whether other processes used more than a tenth of the machine's CPUs since `since`."""
    wall, busy, own = (b - a for a, b in zip(since, cpu_clock(), strict=True))
    return busy - own > 0.1 * wall * (os.cpu_count() or 1) + 0.03  # /proc/stat counts in 10 ms ticks


class Repeat:
    """Runs a measurement once to warm up, then until `reps` runs were not disturbed by other processes.

    A run during which other processes took more than a tenth of the CPUs is done again (at most
    2 × reps extra runs; then the disturbed ones are used). With `tolerate_others` (the --busy mode,
    where a competing process is part of the set-up) every run counts.
    """

    def __init__(self, reps: int, tolerate_others: bool = False) -> None:
        # (Under --cpu-time the clocks are this process's own, so others are tolerated as well.)
        self.reps = reps
        self.tolerate_others = tolerate_others
        self.retried = 0
        self.started = cpu_clock()

    def __call__(self, measure: Callable[[], Timing], field: str) -> float:
        """The median of measure().<field> over the undisturbed runs."""
        measure()
        quiet: list[Timing] = []
        noisy: list[Timing] = []
        while len(quiet) < self.reps and len(noisy) < 2 * self.reps:
            since = cpu_clock()
            result = measure()
            (noisy if disturbed(since) and not self.tolerate_others else quiet).append(result)
        self.retried += len(noisy)
        return statistics.median(getattr(result, field) for result in quiet or noisy)

    def summary(self) -> dict[str, Any]:
        """Memory and interference figures for the whole process so far."""
        memory = memory_mib()
        return {
            "rss_end": memory["rss"],
            "rss_peak": memory["peak"],
            "others_cpu": 100 * others_share(self.started),
            "retried": self.retried,
        }


def read_spec() -> dict[str, Any]:
    """The worker's job: bench_peers.py writes it to a JSON file and passes the file's path.

    With spec["cpu_time"] (--cpu-time), every clock this process reads from here on, the engines'
    own included, is the process's CPU time: with one thread, other processes then change the
    figures far less than they change wall time.
    """
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    if spec.get("cpu_time"):
        time.perf_counter = time.process_time
    return spec


def emit(result: dict[str, Any]) -> None:
    """Hand the result back to bench_peers.py on stdout (one line; everything else is ignored)."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)

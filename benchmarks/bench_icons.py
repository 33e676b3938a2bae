"""Measure what the toolbar icons cost at start-up: the window's first paint and when its icons appear.

Measures, never asserts. Each run is a fresh process (offscreen Qt, GPT2_STUDIO_HOME in a temporary
folder, no model loaded), alternating two ways of loading the icon font (qtawesome and QtPy):

- deferred (as the app does): the window is built and painted with blank icons, the font loads after
  the first paint;
- eager: qtawesome is imported before the window is built, so every icon is drawn at construction.

Times run from the child's first line (QApplication made, before the window's modules are imported).

    .venv/bin/python benchmarks/bench_icons.py            # 8 runs of each
    .venv/bin/python benchmarks/bench_icons.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "BENCH_ICONS_JSON "

CHILD = r"""
import json, sys, time
start = time.perf_counter()
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
app = QApplication([])
if sys.argv[1] == "eager":
    import qtawesome
from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.launch import editor_defaults
from gpt2_studio.gui.main_window import MainWindow
from gpt2_studio.gui.models.worker import WorkerThread

marks = {}

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and "paint" not in marks:
            marks["paint"] = time.perf_counter() - start
        return False

worker = WorkerThread()
window = MainWindow(AppSettings(), worker, defaults=editor_defaults())
spy = FirstPaint()
window.installEventFilter(spy)
window.show()
while not (window.toolbars.icons.drawn and window.presets.bar.icons.drawn and "paint" in marks):
    app.processEvents()
marks["icons"] = time.perf_counter() - start
window.editor.document().setModified(False)
worker.stop()
print("PREFIX" + json.dumps(marks))
""".replace("PREFIX", PREFIX)


def run_once(mode: str, home: str) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GPT2_STUDIO_HOME=home, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith(PREFIX))
    marks: dict[str, float] = json.loads(line[len(PREFIX) :])
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    runs = parser.parse_args().runs
    results: dict[str, list[dict[str, float]]] = {"deferred": [], "eager": []}
    with tempfile.TemporaryDirectory() as home:
        for _ in range(runs):
            for mode in results:  # alternating, so that a busy moment hits both alike
                results[mode].append(run_once(mode, home))
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {runs} runs (ms from QApplication made)")
    print(f"{'':10} {'first paint':>12} {'icons drawn':>12}")
    medians = {}
    for mode, marks in results.items():
        paint = statistics.median(m["paint"] for m in marks) * 1000
        icons = statistics.median(m["icons"] for m in marks) * 1000
        medians[mode] = (paint, icons)
        print(f"{mode:10} {paint:12.0f} {icons:12.0f}")
    print(f"first paint, deferred / eager: {medians['deferred'][0] / medians['eager'][0]:.2f}")


if __name__ == "__main__":
    main()

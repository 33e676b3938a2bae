"""What the writing surface costs: line spacing (a Python layout hook) and the word count, side by side.

Measures, never asserts. One process, offscreen Qt, the real GhostTextEdit in a 1,100 x 720 window with
the centred column. A document of PARAGRAPHS paragraphs (~450 characters each) is typed in, scrolled and
counted with line spacing at 100% (Qt's own layout, no Python hook) and at 150% (every block's lines
moved apart by SpacedLayout), the two alternating run by run so a busy machine disturbs both alike:

1. keystroke: one character typed mid-document, the viewport repainted at once (the time a writer waits);
2. page down: PageDown and an immediate repaint;
3. open: setPlainText of the whole document, then the first paint;
4. count: count_text of the whole document (a document just opened), and the status bar's incremental
   count after a one-character edit (what it does each time typing pauses).

    .venv/bin/python benchmarks/bench_surface.py            # 2,000 paragraphs (~0.9 MB), 7 rounds
    .venv/bin/python benchmarks/bench_surface.py --quick    # 300 paragraphs, 3 rounds
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SENTENCE = "The old lighthouse keeper climbed the stairs each evening, counting the steps. "


def _median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    paragraphs, rounds, keys = (300, 3, 20) if args.quick else (2000, 7, 40)

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMainWindow

    from gpt2_studio.core.documents.text_stats import IncrementalCounter, count_text
    from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
    from gpt2_studio.gui.surface.column import TextColumn

    app = QApplication.instance() or QApplication([])
    window = QMainWindow()
    editor = GhostTextEdit(window)
    window.setCentralWidget(editor)
    TextColumn(editor, 72)
    window.resize(1100, 720)
    window.show()
    text = "\n\n".join(SENTENCE * 6 for _ in range(paragraphs))
    results: dict[int, dict[str, list[float]]] = {100: {}, 150: {}}

    def timed(spacing: int, name: str, action) -> None:
        started = time.perf_counter()
        action()
        editor.viewport().repaint()  # paints now: layout and spacing of every visible block included
        results[spacing].setdefault(name, []).append(time.perf_counter() - started)

    for _round in range(rounds):
        for spacing in (100, 150):
            editor.set_line_spacing(spacing)
            timed(spacing, "open", lambda: editor.setPlainText(text))
            cursor = editor.textCursor()
            cursor.setPosition(len(text) // 2)
            editor.setTextCursor(cursor)
            editor.viewport().repaint()
            for _ in range(keys):
                timed(spacing, "keystroke", lambda: QTest.keyClick(editor, Qt.Key.Key_A))
            for _ in range(keys // 2):
                timed(spacing, "page down", lambda: QTest.keyClick(editor, Qt.Key.Key_PageDown))
            editor.moveCursor(QTextCursor.MoveOperation.Start)
            started = time.perf_counter()
            counts = count_text(editor.toPlainText())
            results[spacing].setdefault("count all", []).append(time.perf_counter() - started)
            incremental = IncrementalCounter()
            incremental.count(editor.toPlainText())
            QTest.keyClick(editor, Qt.Key.Key_B)
            started = time.perf_counter()
            recount = incremental.count(editor.toPlainText())
            results[spacing].setdefault("count edit", []).append(time.perf_counter() - started)
            assert recount == count_text(editor.toPlainText())
            app.processEvents()

    print(
        f"{paragraphs:,} paragraphs, {len(text) / 1e6:.2f} MB, {counts.words:,} words; {rounds} rounds; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'':12} {'100% (ms)':>10} {'150% (ms)':>10} {'ratio':>7}")
    for name in ("keystroke", "page down", "open", "count all", "count edit"):
        plain, spaced = _median_ms(results[100][name]), _median_ms(results[150][name])
        print(f"{name:12} {plain:10.2f} {spaced:10.2f} {spaced / plain:7.2f}")
    editor.document().setModified(False)
    window.close()


if __name__ == "__main__":
    main()

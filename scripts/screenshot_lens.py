"""Take the README's likelihood-lens screenshot headless: the real window, a real model, the heat map on.

QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_lens.py --model FOLDER OUT.png [--theme dark]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

TEXT = (
    "Notes on the standard library\n\n"
    "The module provides a simple interface for working with files and folders. "
    "Each function takes a path and returns a list of the names it contains. "
    "Raises ValueError if the path is a purple elephant."
)


def with_tooltip(window, shot, word: str, wait_until):
    """The window's picture with the tooltip of hovering `word` drawn where Qt shows it."""
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent, QPainter
    from PySide6.QtWidgets import QApplication

    editor = window.editor
    cursor = editor.textCursor()
    cursor.setPosition(TEXT.index(word) + 1)
    rect = editor.cursorRect(cursor)
    point = QPoint(rect.x() + 2, rect.center().y())
    viewport = editor.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point)))
    wait_until(lambda: False, 0.6)  # the tooltip fades in
    tips = [w for w in QApplication.topLevelWidgets() if w.inherits("QLabel") and w.isVisible()]
    if not tips:
        return shot
    tip = tips[0]
    painter = QPainter(shot)
    painter.drawPixmap(window.mapFromGlobal(tip.mapToGlobal(QPoint(0, 0))), tip.grab())
    painter.end()
    return shot


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", required=True)
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    parser.add_argument("--coloring", default="rank", choices=("rank", "surprisal"))
    parser.add_argument("--hover", default="", help="a word of the text to hover, showing its tooltip")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["GPT2_STUDIO_HOME"] = tempfile.mkdtemp(prefix="gpt2-studio-shot-")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.editor.document_text import set_exact_text
    from gpt2_studio.gui.launch import create_window, parse_args

    app = QApplication([])
    window, worker, _ = create_window(parse_args([]))
    window.set_theme(args.theme)
    window.settings.ghost_enabled = False
    window.controller.set_enabled(False)  # the heat map alone, no ghost
    window.panel.hide()
    window.resize(980, 420)
    window.show()

    def wait_until(condition, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()

    window.load_model(args.model)
    wait_until(lambda: window.controller.model_ready)
    set_exact_text(window.editor, TEXT)
    window.main_menu.likelihood_action.setChecked(True)
    window.lens.set_coloring(args.coloring)
    wait_until(lambda: not window.lens.pending)
    wait_until(lambda: False, 0.4)  # let the status bar settle
    shot = window.grab()
    if args.hover:
        shot = with_tooltip(window, shot, args.hover, wait_until)
    shot.save(args.out)
    window.editor.document().setModified(False)
    window.close()
    worker.stop()
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Take the README's screenshot headless: the real window, a real model, a real ghost suggestion.

QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py --model FOLDER docs/screenshot.png
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
    "Each function takes a path and returns"
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", required=True)
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["GPT2_STUDIO_HOME"] = tempfile.mkdtemp(prefix="gpt2-studio-shot-")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.launch import create_window, parse_args

    app = QApplication([])
    window, worker, _ = create_window(parse_args([]))
    window.set_theme(args.theme)
    window.resize(1200, 640)
    window.show()

    def wait_until(condition, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()

    window.load_model(args.model)
    wait_until(lambda: window.controller.model_ready)
    window.panel.set_settings(window.settings.sampling.replace(seed=args.seed))
    window.controller.settings = window.panel.settings()
    window.editor.insertPlainText(TEXT)
    window.controller.suggest_now()
    wait_until(lambda: not window.controller.in_flight)
    wait_until(lambda: False, 0.4)  # let the status bar settle
    window.grab().save(args.out)
    print(f"ghost: {window.editor.ghost_text()!r}")
    window.editor.document().setModified(False)
    window.close()
    worker.stop()
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

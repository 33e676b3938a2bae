"""Screenshots of a mid-line ghost suggestion and of the status bar, in the light and the dark theme.

QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_midline.py docs/screenshots

The model is a tiny random GPT-2 built in a temporary folder, so the suggestion is gibberish: what the
pictures show is where it goes (the rest of the line moves aside, nothing is hidden) and that the status
bar follows the theme.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

LINE = "The cat sat on the mat and the rest of this line stays visible.\nSecond line."
CURSOR = len("The cat sat on the mat")


def main(argv: list[str]) -> int:
    """Write midline-ghost-{light,dark}.png and status-bar-{light,dark}.png into the folder argv[0]."""
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["GPT2_STUDIO_HOME"] = tempfile.mkdtemp(prefix="gpt2-studio-shot-")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint
    from gpt2_studio.gui.launch import create_window, parse_args

    model = Path(tempfile.mkdtemp()) / "tiny"
    build_tiny_checkpoint(model)
    app = QApplication([])
    window, worker, _ = create_window(parse_args([]))

    def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()

    window.resize(1000, 420)
    window.show()
    window.load_model(str(model))
    wait_until(lambda: window.controller.model_ready)
    window.panel.set_settings(window.settings.sampling.replace(seed=5, max_new_tokens=12))
    window.controller.settings = window.panel.settings()
    window.editor.insertPlainText(LINE)
    cursor = window.editor.textCursor()
    cursor.setPosition(CURSOR)
    window.editor.setTextCursor(cursor)
    for theme in ("light", "dark"):
        window.set_theme(theme)
        window.controller.suggest_now()
        wait_until(lambda: not window.controller.in_flight)
        wait_until(lambda: False, 0.4)  # let the status bar settle
        window.grab().save(str(out / f"midline-ghost-{theme}.png"))
        window.status_bar.grab().save(str(out / f"status-bar-{theme}.png"))
        print(f"{theme}: ghost {window.editor.ghost_text()!r}")
    window.editor.document().setModified(False)
    window.close()
    worker.stop()
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

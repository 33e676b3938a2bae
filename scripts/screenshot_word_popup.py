"""Take the README's word-popup screenshot headless: the real window, a real model, a word Alt+clicked.

QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_word_popup.py --model FOLDER OUT.png
    [--word simple] [--theme dark]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from screenshot_lens import TEXT


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", required=True)
    parser.add_argument("--word", default="simple", help="the word of the text to ask about")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["GPT2_STUDIO_HOME"] = tempfile.mkdtemp(prefix="gpt2-studio-shot-")

    from PySide6.QtCore import QEventLoop, QPoint, Qt, QTimer
    from PySide6.QtGui import QPainter, QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.editor.document_text import set_exact_text
    from gpt2_studio.gui.launch import create_window, parse_args

    app = QApplication([])
    window, worker, _ = create_window(parse_args([]))
    window.set_theme(args.theme)
    window.settings.ghost_enabled = False
    window.controller.set_enabled(False)  # no ghost: the popup alone
    window.panel.hide()
    window.resize(980, 460)
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
    wait_until(lambda: not window.lens.pending)
    editor = window.editor
    cursor = QTextCursor(editor.document())
    cursor.setPosition(TEXT.index(args.word) + 1)
    rect = editor.cursorRect(cursor)
    QTest.mouseClick(
        editor.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.AltModifier,
        QPoint(rect.x() + 2, rect.center().y()),
    )
    popup = window.word_popup
    wait_until(lambda: popup.menu is not None and popup.menu.isVisible())
    QTest.keyClick(popup.menu, Qt.Key.Key_Down)  # show the highlight moving, as the keyboard does
    wait_until(lambda: False, 0.4)
    shot = window.grab()
    menu = popup.menu
    if menu is not None:
        painter = QPainter(shot)
        painter.drawPixmap(window.mapFromGlobal(menu.mapToGlobal(QPoint(0, 0))), menu.grab())
        painter.end()
        menu.close()
    shot.save(args.out)
    editor.document().setModified(False)
    window.close()
    worker.stop()
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

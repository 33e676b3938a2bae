"""Take the README's screenshots headless: the real window, a real model, a real ghost suggestion.

One shot:
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py --model FOLDER OUT.png
        [--theme light|dark] [--spell-menu] [--focus] [--seed N] [--size 1200x680] [--settle 2.5]
Every README shot into a folder (writing-light.png, writing-dark.png, spell-menu.png, focus-mode.png):
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py --model FOLDER --all docs/screenshots

Every shot shows the text below with a ghost suggestion after the cursor. --spell-menu writes a
misspelled word into a paragraph below the cursor and right-clicks it, the way a user opens the
spelling menu, and draws the menu the window shows into the picture; --focus triggers the window's
"Focus Mode" action. The script drives whatever the window has: it finds actions by their names at run
time and says which shot it had to skip (a window without focus mode) or what the menu held (without
spell checking, Qt's own menu).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

#: The checkout this script lives in, first on the path: its gpt2_studio, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEXT = (
    "Notes on the standard library\n\n"
    "The module provides a simple interface for working with files and folders. "
    "It was written to be small and easy to read.\n\n"
    "Each function takes a path and returns"
)
#: The spelling shot: the ghost at the end of the second paragraph, and below it (where the menu opens
#: downwards without covering the ghost) a paragraph with one misspelled word, the one right-clicked.
MISSPELLED = "writen"
SPELL_CURSOR = "Each function takes a path and returns"
SPELL_TEXT = (
    "Notes on the standard library\n\n"
    "The module provides a simple interface for working with files and folders. "
    f"{SPELL_CURSOR}\n\n"
    f"It was {MISSPELLED} to be small and easy to read."
)
ALL_SHOTS = {
    "writing-light.png": {"theme": "light"},
    "writing-dark.png": {"theme": "dark"},
    "spell-menu.png": {"theme": "light", "spell_menu": True},
    "focus-mode.png": {"theme": "dark", "focus": True},
}


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> bool:
    """Run the event loop until condition() holds or ``seconds`` pass; whether it holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
    return condition()


def find_action(window, name: str):
    """The window's enabled QAction called ``name`` (mnemonics, "…" and case ignored), or None."""
    from PySide6.QtGui import QAction

    wanted = name.replace("&", "").lower()
    for action in window.findChildren(QAction):
        if action.text().replace("&", "").rstrip(".…").strip().lower() == wanted and action.isEnabled():
            return action
    return None


def show_ghost(window, text: str, cursor_at: int | None = None) -> str:
    """Put ``text`` in the editor, the cursor at ``cursor_at`` (None: the end), ask for a suggestion and
    wait for it; the ghost's text."""
    from gpt2_studio.gui.editor.document_text import set_exact_text

    set_exact_text(window.editor, text)
    cursor = window.editor.textCursor()
    cursor.setPosition(len(text) if cursor_at is None else cursor_at)
    window.editor.setTextCursor(cursor)
    window.controller.suggest_now()
    wait_until(lambda: not window.controller.in_flight)
    wait_until(lambda: False, 0.5)  # spelling, status bar and focus dimming settle
    return window.editor.ghost_text()


def grab_with_popup(window, open_popup: Callable[[], None], settle: float = 1.5):
    """The window's picture with the menu that ``open_popup`` opens drawn where Qt shows it.

    A context menu may run its own event loop (QMenu.exec) until it closes, so the picture is taken
    from a timer while the menu is open; ``settle`` seconds let a menu that fills in later (model
    ordering) finish. Returns (picture, the menu's item texts or None when no menu opened).
    """
    from PySide6.QtCore import QPoint, QTimer
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication, QMenu

    result: dict = {"shot": None, "items": None}
    deadline = time.monotonic() + 10

    def open_menu() -> QMenu | None:
        menus = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
        return menus[-1] if menus else None

    def poll(seen_at: list[float]) -> None:
        menu = open_menu()
        if menu is None and time.monotonic() < deadline:
            QTimer.singleShot(50, lambda: poll(seen_at))
            return
        if menu is not None and not seen_at:
            seen_at.append(time.monotonic())
        if menu is not None and time.monotonic() - seen_at[0] < settle:
            QTimer.singleShot(50, lambda: poll(seen_at))
            return
        shot = window.grab()
        if menu is not None:
            painter = QPainter(shot)
            painter.drawPixmap(window.mapFromGlobal(menu.mapToGlobal(QPoint(0, 0))), menu.grab())
            painter.end()
            result["items"] = [a.text() if not a.isSeparator() else "—" for a in menu.actions()]
            menu.close()
        result["shot"] = shot

    QTimer.singleShot(50, lambda: poll([]))
    open_popup()
    wait_until(lambda: result["shot"] is not None, 15)
    return result["shot"], result["items"]


def right_click_word(window, text: str, word: str) -> None:
    """Right-click the middle of ``word`` in the editor: the context-menu event a mouse's right button
    makes (Qt's window sends it to the widget under the mouse; QTest's clicks do not)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QContextMenuEvent, QTextCursor
    from PySide6.QtWidgets import QApplication

    editor = window.editor
    cursor = QTextCursor(editor.document())
    cursor.setPosition(text.index(word) + len(word) // 2)
    rect = editor.cursorRect(cursor)
    point = QPoint(rect.x(), rect.center().y())
    viewport = editor.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)


def take(
    window, out: Path, *, theme: str, spell_menu: bool = False, focus: bool = False, settle: float = 2.5
) -> bool:
    """One shot into ``out``; False (and a sentence on stderr) when the window lacks what it shows."""
    window.set_theme(theme)
    focus_action = None
    if focus:
        focus_action = find_action(window, "Focus Mode")
        if focus_action is None:
            print(f"{out.name}: skipped, this window has no Focus Mode action", file=sys.stderr)
            return False
        focus_action.trigger()
    try:
        if spell_menu:
            text = SPELL_TEXT
            ghost = show_ghost(window, text, text.index(SPELL_CURSOR) + len(SPELL_CURSOR))
        else:
            text = TEXT
            ghost = show_ghost(window, text)
        if spell_menu:
            shot, items = grab_with_popup(window, lambda: right_click_word(window, text, MISSPELLED), settle)
            print(f"{out.name}: menu {items!r}")
        else:
            shot = window.grab()
        shot.save(str(out))
        print(f"{out.name}: {theme}, ghost {ghost!r}, {out.stat().st_size // 1024} KB")
    finally:
        if focus_action is not None and focus_action.isCheckable() and focus_action.isChecked():
            focus_action.trigger()  # leave focus mode for the next shot
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the PNG to write (with --all: the folder)")
    parser.add_argument("--model", required=True, help="a GPT-2 folder, e.g. the demo model's")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    parser.add_argument("--spell-menu", action="store_true", help="right-click a misspelled word")
    parser.add_argument("--focus", action="store_true", help="turn on focus mode")
    parser.add_argument("--settle", type=float, default=2.5, help="seconds for the spelling menu to fill in")
    parser.add_argument("--all", action="store_true", help="every README shot into the folder OUT")
    parser.add_argument("--seed", type=int, default=6, help="the sampling seed (the ghost's words)")
    parser.add_argument("--size", default="1200x680", help="the window's size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["GPT2_STUDIO_HOME"] = tempfile.mkdtemp(prefix="gpt2-studio-shot-")

    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.launch import create_window, parse_args

    app = QApplication.instance() or QApplication([])
    window, worker, _ = create_window(parse_args([]))
    window.resize(width, height)
    window.show()
    window.load_model(args.model)
    if not wait_until(lambda: window.controller.model_ready, 120):
        print(f"the model at {args.model} did not load", file=sys.stderr)
        return 1
    window.panel.set_settings(window.settings.sampling.replace(seed=args.seed))
    window.controller.settings = window.panel.settings()
    if args.all:
        args.out.mkdir(parents=True, exist_ok=True)
        shots = [(args.out / name, options) for name, options in ALL_SHOTS.items()]
    else:
        shots = [(args.out, {"theme": args.theme, "spell_menu": args.spell_menu, "focus": args.focus})]
    taken = [take(window, out, settle=args.settle, **options) for out, options in shots]
    window.editor.document().setModified(False)
    window.close()
    worker.stop()
    app.quit()
    return 0 if all(taken) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

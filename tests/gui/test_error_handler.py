"""The last-resort error handler: an exception nothing caught is logged and shown, and the app keeps going.

pytest-qt installs its own sys.excepthook to fail a test on such an exception; these tests turn that
off (``qt_no_exception_capture``) so that the app's handler is the one that meets the exception.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from gpt2_studio.gui.error_handler import ErrorHandler, log_file
from gpt2_studio.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def handler(qapp) -> Iterator[ErrorHandler]:
    """The handler as launch() installs it; the hooks are given back after the test."""
    before = (sys.excepthook, threading.excepthook)
    errors = ErrorHandler()
    errors.install()
    yield errors
    errors.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


@pytest.fixture
def typed_window(make_window, qtbot) -> MainWindow:
    """A window (no model needed) with unsaved text in the editor and its own recovery timers stopped."""
    window = make_window(load=False)
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "Dear diary, ")
    # Stopped so that a recovery copy on disk can only come from the error handler.
    window.session.recovery_timer.stop()
    window.session.first_copy_timer.stop()
    return window


def _recovery_copies(window: MainWindow) -> list[bytes]:
    folder = window.session.recovery.folder
    return [path.read_bytes() for path in folder.iterdir()] if folder.is_dir() else []


def test_an_exception_in_a_slot_is_logged_and_shown_and_the_app_keeps_running(
    handler: ErrorHandler, typed_window: MainWindow, qtbot
) -> None:
    window = typed_window
    handler.save_work = window.write_recovery

    def broken_slot() -> None:
        raise ValueError("the widget broke")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5_000)
    dialog = handler.dialog
    assert dialog is not None

    sentence = dialog.message.text()
    assert "ValueError: the widget broke" in sentence
    assert str(log_file()) in sentence
    assert "Traceback" not in sentence  # one sentence, no traceback
    assert "\n" not in sentence
    assert not dialog.details.isVisible()  # the details are folded away until asked for
    assert "broken_slot" in dialog.details.toPlainText()

    logged = log_file().read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in logged
    assert "in broken_slot\n" in logged  # the frame that raised, not only the message
    assert "ValueError: the widget broke\n" in logged

    # The user's text is intact, a recovery copy of it was written, and typing still works.
    assert window.editor.toPlainText() == "Dear diary, "
    qtbot.waitUntil(lambda: any(b"Dear diary, " in copy for copy in _recovery_copies(window)), timeout=5_000)
    qtbot.keyClicks(window.editor, "still here")
    assert window.editor.toPlainText() == "Dear diary, still here"
    fired = []
    QTimer.singleShot(0, lambda: fired.append(True))
    qtbot.waitUntil(lambda: fired == [True], timeout=5_000)


def test_an_exception_in_a_slot_connected_to_typing_does_not_stop_the_typing(
    handler: ErrorHandler, typed_window: MainWindow, qtbot
) -> None:
    window = typed_window
    calls = []

    def broken_slot() -> None:
        calls.append(window.editor.toPlainText())
        raise AttributeError("a slot that breaks on every keystroke")

    window.editor.textChanged.connect(broken_slot)
    qtbot.keyClicks(window.editor, "abc")
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5_000)
    assert len(calls) == 3
    assert window.editor.toPlainText() == "Dear diary, abc"
    assert handler.dialog.details.toPlainText().count("AttributeError: a slot that breaks") == 3
    window.editor.textChanged.disconnect(broken_slot)


def test_the_dialog_folds_its_details_and_copies_them(handler: ErrorHandler, qtbot) -> None:
    def broken_slot() -> None:
        raise KeyError("missing")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5_000)
    dialog = handler.dialog
    assert dialog is not None
    dialog.details_button.click()
    assert dialog.details.isVisible()
    dialog.details_button.click()
    assert not dialog.details.isVisible()

    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(dialog.message.text())
    assert "KeyError: 'missing'" in copied
    assert "broken_slot" in copied

    dialog.close_button.click()
    assert not dialog.isVisible()


def test_a_second_error_adds_to_the_open_dialog(handler: ErrorHandler, qtbot) -> None:
    def first() -> None:
        raise RuntimeError("first")

    def second() -> None:
        raise OSError("second")

    QTimer.singleShot(0, first)
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5_000)
    dialog = handler.dialog
    QTimer.singleShot(0, second)
    qtbot.waitUntil(lambda: "OSError: second" in dialog.message.text(), timeout=5_000)
    assert handler.dialog is dialog
    details = dialog.details.toPlainText()
    assert "RuntimeError: first" in details
    assert "OSError: second" in details


def test_an_exception_on_another_thread_is_shown_on_the_gui_thread(
    handler: ErrorHandler, typed_window: MainWindow, qtbot
) -> None:
    window = typed_window
    saved_on: list[threading.Thread] = []
    handler.save_work = lambda: (saved_on.append(threading.current_thread()), window.write_recovery())

    def work() -> None:
        raise ZeroDivisionError("division by zero in a worker")

    thread = threading.Thread(target=work, name="a-worker")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5_000)
    assert "ZeroDivisionError: division by zero in a worker" in handler.dialog.message.text()
    assert saved_on == [threading.main_thread()]  # widgets and the document are read on the GUI thread
    logged = log_file().read_text(encoding="utf-8")
    assert "Unexpected error in a-worker" in logged
    assert "in work\n" in logged
    assert "ZeroDivisionError: division by zero in a worker" in logged
    assert window.editor.toPlainText() == "Dear diary, "


def test_an_unwritable_log_still_shows_the_dialog(
    handler: ErrorHandler, qtbot, monkeypatch, tmp_path
) -> None:
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    monkeypatch.setattr("gpt2_studio.gui.error_handler.log_file", lambda: blocked / "gpt2-studio.log")

    def broken_slot() -> None:
        raise ValueError("no log")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5_000)
    assert "ValueError: no log" in handler.dialog.message.text()
    assert "the details are below" in handler.dialog.message.text()
    assert "broken_slot" in handler.dialog.details.toPlainText()


def test_keyboard_interrupt_goes_to_the_previous_hook(qapp, monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc_info: seen.append(exc_info[0]))
    errors = ErrorHandler()
    errors.install()
    try:
        sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    finally:
        errors.uninstall()
    assert seen == [KeyboardInterrupt]
    assert errors.dialog is None


_LAUNCHED_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gpt2_studio.gui import launch

def check(window):
    app = QApplication.instance()
    shown = [w for w in app.topLevelWidgets() if w.objectName() == "error-dialog" and w.isVisible()]
    print("DIALOG:", shown[0].message.text() if shown else None)
    print("HOOK:", type(getattr(sys.excepthook, "__self__", None)).__name__)
    print("TEXT:", window.editor.toPlainText())
    app.quit()

def start_model(window, model_ref):
    window.editor.setPlainText("the user's draft")
    QTimer.singleShot(300, lambda: check(window))
    raise ValueError("a slot broke at start-up")

launch.start_model = start_model
sys.exit(launch.launch([]))
"""


def test_launch_installs_the_handler() -> None:
    """The real start-up path: launch() puts the handler in place before the first slot runs."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHED_APP], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "DIALOG: GPT-2 Studio met an unexpected error (ValueError: a slot broke" in done.stdout
    assert "HOOK: ErrorHandler" in done.stdout
    assert "TEXT: the user's draft" in done.stdout
    assert "Traceback" not in done.stderr  # logged to the file, not printed
    assert "a slot broke at start-up" in log_file().read_text(encoding="utf-8")

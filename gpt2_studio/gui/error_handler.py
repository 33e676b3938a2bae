"""The last resort for an exception nothing caught: write it to the log, say so in one sentence, keep going.

PySide6 hands an exception raised in a slot or an event handler to ``sys.excepthook`` and carries on, so
without this the user sees nothing (or a traceback on a console). Modelled on novelWriter's ``error.py``.
"""

from __future__ import annotations

import datetime
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio import paths
from gpt2_studio.std_streams import LOG_NAME

log = logging.getLogger(__name__)

_MESSAGE_CHARS = 200  # of the exception's own message, in the dialog's one sentence


def log_file() -> Path:
    """The app's log file, ``<cache>/gpt2-studio.log`` (windowed builds also send stdout/stderr there)."""
    return paths.cache_dir() / LOG_NAME


class ErrorDialog(QDialog):
    """One sentence about the error, the traceback behind a Details button, and Copy / Close."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error-dialog")
        self.setWindowTitle("GPT-2 Studio: unexpected error")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setVisible(False)
        buttons = QDialogButtonBox()
        self.details_button = QPushButton("&Details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._show_details)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def add_error(self, sentence: str, details: str) -> None:
        """Show the latest error's sentence; the details keep every error since the dialog opened."""
        self.message.setText(sentence)
        previous = self.details.toPlainText()
        self.details.setPlainText(f"{previous}\n{details}" if previous else details)

    def copy_details(self) -> None:
        """Put the sentence and the tracebacks on the clipboard, for a bug report."""
        QGuiApplication.clipboard().setText(f"{self.message.text()}\n\n{self.details.toPlainText()}")

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.adjustSize()


class ErrorHandler(QObject):
    """Installed as ``sys.excepthook`` and ``threading.excepthook`` while the GUI runs.

    An error on any thread is written to the log at once; the dialog and the recovery copy happen on the
    GUI thread (a queued signal), since widgets may only be touched there. ``save_work`` is asked to
    write a recovery copy of the user's text, in case the error left the app in a state that loses it.
    """

    _reported = Signal(str, str)  # the one sentence, the traceback

    def __init__(self, save_work: Callable[[], object] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.save_work = save_work
        self.dialog: ErrorDialog | None = None
        self._log_lock = threading.Lock()
        self._handling = threading.local()
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._installed = False
        self._reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        """Take over both hooks (the previous ones come back with uninstall())."""
        if self._installed:
            return
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self.handle
        threading.excepthook = self._handle_thread
        self._installed = True

    def uninstall(self) -> None:
        """Give the hooks back (unless someone replaced ours since) and close the dialog."""
        if not self._installed:
            return
        if sys.excepthook == self.handle:
            sys.excepthook = self._previous_hook
        if threading.excepthook == self._handle_thread:
            threading.excepthook = self._previous_thread_hook
        self._installed = False
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def handle(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Log the exception to the log file and report it in the error dialog (any thread)."""
        if issubclass(exc_type, KeyboardInterrupt) or getattr(self._handling, "active", False):
            # Ctrl+C keeps its meaning; an error inside this handler must not call it again.
            self._previous_hook(exc_type, exc, tb)
            return
        self._handling.active = True
        try:
            details = "".join(traceback.format_exception(exc_type, exc, tb))
            where = self._write_log(details)
            self._reported.emit(_sentence(exc_type, exc, where), details)
        finally:
            self._handling.active = False

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:  # as threading's own hook: a thread may end that way
            return
        assert args.exc_value is not None  # always set for an exception a thread raised
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    def _write_log(self, details: str) -> Path | None:
        """Append the traceback to the log file; None when it cannot be written (then it goes to logging)."""
        path = log_file()
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        try:
            with self._log_lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8", errors="backslashreplace") as stream:
                    stream.write(f"\n[{stamp}] Unexpected error in {threading.current_thread().name}:\n")
                    stream.write(details)
        except OSError as error:
            log.error("Unexpected error (the log file %s cannot be written: %s):\n%s", path, error, details)
            return None
        log.error("Unexpected error; the traceback is in %s", path)
        return path

    @Slot(str, str)
    def _show(self, sentence: str, details: str) -> None:
        if self.save_work is not None:
            try:
                self.save_work()
            except Exception:  # the error may have broken the window too; the dialog still shows
                self._write_log(f"The recovery copy after it failed:\n{traceback.format_exc()}")
        if QApplication.instance() is None:
            return
        if self.dialog is None:
            # No parent: the dialog must outlive a window that the error may close.
            self.dialog = ErrorDialog()
        self.dialog.add_error(sentence, details)
        # Not modal and not exec(): the app keeps running, and a second error adds to this dialog.
        self.dialog.show()
        self.dialog.activateWindow()


def _sentence(exc_type: type[BaseException], exc: BaseException, log_path: Path | None) -> str:
    """What the user reads: what happened, that the text is safe, where the details are."""
    message = " ".join(str(exc).split())
    if len(message) > _MESSAGE_CHARS:
        message = message[: _MESSAGE_CHARS - 1] + "…"
    what = f"{exc_type.__name__}: {message}" if message else exc_type.__name__
    where = f"the details are in {log_path}" if log_path else "the details are below"
    return f"GPT-2 Studio met an unexpected error ({what}) and keeps running; your text is kept, and {where}."

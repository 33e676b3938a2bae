"""The training child process: its JSON lines become Qt signals, its end one ``finished`` signal.

QProcess reads the child's pipes on the GUI thread's event loop without blocking it; a line split across
two reads is joined before it is parsed.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from gpt2_studio.gui.training.events import ErrorEvent, TrainingEvent, parse_event
from gpt2_studio.gui.training.request import cli_command

log = logging.getLogger(__name__)

EXIT_INTERRUPTED = 130
# After Cancel the command finishes its step and saves a checkpoint; a 124M step on a slow CPU takes
# seconds, the save a few more. Past this, the process is killed (the previous checkpoint remains).
STOP_GRACE_MS = 90_000
_ERROR_PREFIX = "gpt2-studio: error: "
_STDERR_KEEP = 8192


class TrainingProcess(QObject):
    """Runs one ``gpt2-studio`` command at a time and reports what it prints."""

    event = Signal(object)  # a TrainingEvent, as each line arrives
    # (exit status, one sentence): status -1 when the process could not start or crashed; the sentence
    # is the "error" event's message, else the last line of standard error, "" when all went well.
    finished = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process: QProcess | None = None
        self.arguments: list[str] = []
        self._buffer = b""
        self._stderr = b""
        self._error_message = ""
        self._stop_timer = QTimer(self)
        self._stop_timer.setSingleShot(True)
        self._stop_timer.setInterval(STOP_GRACE_MS)
        self._stop_timer.timeout.connect(self.kill)

    @property
    def running(self) -> bool:
        """True from start() until ``finished`` is emitted."""
        return self.process is not None

    def start(self, arguments: list[str]) -> None:
        """Run ``gpt2-studio ARGUMENTS`` (see request.py); refuses while a command runs."""
        if self.process is not None:
            raise RuntimeError("a training command is already running")
        program, args = cli_command(arguments)
        self.start_program(program, args)
        self.arguments = list(arguments)

    def start_program(self, program: str, arguments: list[str]) -> None:
        """Run any program that speaks the protocol (tests run ``python -c`` with recorded lines)."""
        if self.process is not None:
            raise RuntimeError("a training command is already running")
        self._buffer, self._stderr, self._error_message = b"", b"", ""
        process = QProcess(self)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        log.info("Starting %s %s", program, " ".join(arguments))
        process.start(program, arguments)

    def stop(self) -> None:
        """Ask the command to stop after its current step and save a checkpoint (SIGTERM).

        Windows has no SIGTERM for a console program: there the process is killed, and the run resumes
        from its last interval checkpoint.
        """
        if self.process is None:
            return
        if sys.platform == "win32":
            self.kill()
            return
        self.process.terminate()
        self._stop_timer.start()

    def kill(self) -> None:
        """End the process now (it saves nothing)."""
        if self.process is not None:
            self.process.kill()

    def wait(self, milliseconds: int) -> bool:
        """Block until the process ends (closing the app); True when it did."""
        if self.process is None:
            return True
        return self.process.waitForFinished(milliseconds)

    def _read_stdout(self) -> None:
        if self.process is None:
            return
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._line(line)

    def _read_stderr(self) -> None:
        if self.process is None:
            return
        self._stderr = (self._stderr + bytes(self.process.readAllStandardError().data()))[-_STDERR_KEEP:]

    def _line(self, raw: bytes) -> None:
        event: TrainingEvent | None = parse_event(raw.decode("utf-8", "replace"))
        if event is None:
            return
        if isinstance(event, ErrorEvent):
            self._error_message = event.message
        self.event.emit(event)

    def _last_error_line(self) -> str:
        lines = [line.strip() for line in self._stderr.decode("utf-8", "replace").splitlines()]
        lines = [line for line in lines if line]
        errors = [line for line in lines if line.startswith(_ERROR_PREFIX)]
        line = (errors or lines or [""])[-1]
        return line.removeprefix(_ERROR_PREFIX)

    def _finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        process = self.process
        if process is None:
            return
        self._read_stdout()
        self._read_stderr()
        if self._buffer.strip():
            self._line(self._buffer)
            self._buffer = b""
        crashed = status == QProcess.ExitStatus.CrashExit
        code = -1 if crashed else exit_code
        message = self._error_message
        if not message and code not in (0, EXIT_INTERRUPTED):
            message = self._last_error_line()
            if crashed:
                message = "The training process stopped unexpectedly" + (f" ({message})." if message else ".")
            elif not message:
                message = f"The training process ended with status {code}."
        self._end(code, message)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error != QProcess.ProcessError.FailedToStart or self.process is None:
            return  # a crash is reported by finished, which follows
        reason = self.process.errorString()
        self._end(-1, f"The training process could not start ({reason}).")

    def _end(self, code: int, message: str) -> None:
        self._stop_timer.stop()
        process, self.process = self.process, None
        if process is not None:
            process.deleteLater()
        if message:
            log.warning("train: %s", message)
        self.finished.emit(code, message)

"""The download worker: plans and downloads one model on a QThread it owns, reporting through signals.

Progress callbacks arrive on the hub's download threads; only the latest report is kept and it reaches
the GUI thread through a queued signal, coalesced to about ten a second. Each start is an attempt with
its own number, so a result still queued from an attempt that was stopped is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, SignalInstance, Slot

from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.downloads import (
    DownloadCancelled,
    DownloadPlan,
    DownloadProgress,
    download_model,
    plan_download,
)

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # at most ~10 repaints a second, however fast the callbacks come


class _DownloadThread(QThread):
    """Runs one callable; the worker that owns it keeps it until it has finished."""

    def __init__(self, target: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._target = target

    def run(self) -> None:
        self._target()


class DownloadWorker(QObject):
    """Downloads one model on its own QThread; lives on the GUI thread, where its signals arrive.

    Signals, all on the GUI thread and only for the current attempt: ``planned(DownloadPlan)``,
    ``progress(DownloadProgress)`` (the latest report, at most ~10 a second), then exactly one of
    ``finished(folder)``, ``failed(one-sentence message)`` or ``cancelled()``.
    """

    planned = Signal(object)  # DownloadPlan
    progress = Signal(object)  # DownloadProgress
    finished = Signal(str)  # the installed folder
    failed = Signal(str)  # one sentence for the user
    cancelled = Signal()

    # Emitted on the download thread; queued to this object's slots on the GUI thread.
    _planned_on_thread = Signal(int, object)  # attempt, DownloadPlan
    _progress_ready = Signal()
    _ended_on_thread = Signal(int, str, str, bool)  # attempt, folder, error message, cancelled

    def __init__(self, name: str, *, token: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model_name = name
        self.token = token or None
        self._attempt = 0
        self._cancel = threading.Event()
        self._thread: _DownloadThread | None = None
        self._lock = threading.Lock()
        self._latest: DownloadProgress | None = None
        self._pending = False
        self._last_shown = 0.0
        self._planned_on_thread.connect(self._on_planned)
        self._progress_ready.connect(self._on_progress_ready)
        self._ended_on_thread.connect(self._on_ended)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.timeout.connect(self._send_latest)

    def start(self) -> bool:
        """Start a new attempt (plan, then download); False if one is still running."""
        if self.is_running():
            return False
        self._join()
        self._attempt += 1
        self._cancel = threading.Event()
        with self._lock:
            self._latest, self._pending = None, False
        attempt, cancel = self._attempt, self._cancel
        self._thread = _DownloadThread(lambda: self._run(attempt, cancel))
        self._thread.setObjectName(f"download-{self.model_name}")
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Ask the download to stop at its next chunk (thread-safe); ``cancelled`` follows."""
        self._cancel.set()

    def is_running(self) -> bool:
        """Whether the download thread is still working."""
        return self._thread is not None and self._thread.isRunning()

    def stop(self, timeout_s: float = 60) -> None:
        """Cancel and wait for the thread; whatever the stopped attempt still had queued is dropped."""
        if self._thread is None:
            return
        self._cancel.set()
        if not self._thread.wait(int(timeout_s * 1000)):
            log.warning("The download of %s did not stop within %s s", self.model_name, timeout_s)
            return  # keep the reference: destroying a running QThread aborts the process
        self._thread = None
        self._progress_timer.stop()
        self._attempt += 1  # its result, still queued, is for nobody now

    def _join(self) -> None:
        """Forget a thread that has finished (it has only returned from its last emit)."""
        if self._thread is not None:
            self._thread.wait()
            self._thread = None

    # -- GUI thread ------------------------------------------------------------------------------
    @Slot(int, object)
    def _on_planned(self, attempt: int, plan: DownloadPlan) -> None:
        if attempt == self._attempt:
            self.planned.emit(plan)

    @Slot()
    def _on_progress_ready(self) -> None:
        wait = PROGRESS_INTERVAL_S - (time.monotonic() - self._last_shown)
        if wait > 0:
            if not self._progress_timer.isActive():
                self._progress_timer.start(int(wait * 1000) + 1)
            return
        self._send_latest()

    def _send_latest(self) -> None:
        with self._lock:
            progress, self._latest, self._pending = self._latest, None, False
        if progress is None:
            return
        self._last_shown = time.monotonic()
        self.progress.emit(progress)

    @Slot(int, str, str, bool)
    def _on_ended(self, attempt: int, folder: str, error: str, cancelled: bool) -> None:
        if attempt != self._attempt:
            return
        self._progress_timer.stop()
        self._send_latest()  # the last report is never lost
        self._join()
        if folder:
            self.finished.emit(folder)
        elif cancelled:
            self.cancelled.emit()
        else:
            self.failed.emit(error)

    # -- download thread ------------------------------------------------------------------------
    def _run(self, attempt: int, cancel: threading.Event) -> None:
        folder, error, was_cancelled = "", "", False
        try:
            plan = plan_download(self.model_name, token=self.token)
            self._emit(self._planned_on_thread, attempt, plan)
            if cancel.is_set():
                raise DownloadCancelled("Cancelled before the download started.")
            folder = str(download_model(plan, token=self.token, progress=self._on_progress, cancel=cancel))
        except DownloadCancelled:
            was_cancelled = True
        except StudioError as exc:
            error = str(exc)
        except Exception as exc:  # a background thread must report anything, not die silently
            log.exception("Downloading %s failed", self.model_name)
            error = f"The download of {self.model_name} failed: {exc}"
        self._emit(self._ended_on_thread, attempt, folder, error, was_cancelled)

    def _on_progress(self, progress: DownloadProgress) -> None:
        """Called on download threads: keep only the latest report; one signal per repaint at most."""
        with self._lock:
            self._latest = progress
            if self._pending:
                return
            self._pending = True
        self._emit(self._progress_ready)

    @staticmethod
    def _emit(signal: SignalInstance, *args: object) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the worker was destroyed without being stopped: nobody is listening
            log.debug("A download signal found its worker gone")

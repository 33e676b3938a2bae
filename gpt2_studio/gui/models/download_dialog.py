"""The download dialog: one model download on a background thread, with progress, cancel and retry.

Progress callbacks arrive on download threads; they reach the GUI thread through queued signals,
coalesced to about ten updates a second.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance, Slot
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.catalog import find_catalog_model
from gpt2_studio.core.models.downloads import (
    DownloadCancelled,
    DownloadPlan,
    DownloadProgress,
    download_model,
    plan_download,
)
from gpt2_studio.core.models.memory import format_bytes

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # at most ~10 repaints a second, however fast the callbacks come
CANCELLED_TEXT = "Cancelled — the files already fetched are kept; Retry continues."


class _Relay(QObject):
    """Lives on the GUI thread; its signals, emitted on the download thread, arrive there queued."""

    planned = Signal(int, object)  # attempt, DownloadPlan
    progress_ready = Signal()
    finished = Signal(int, str, str, bool)  # attempt, folder, error message, cancelled


class DownloadDialog(QDialog):
    """Downloads one model on a background thread, with progress, Cancel and Retry."""

    downloaded = Signal(str, str)  # model name, folder
    progress_changed = Signal(object)  # DownloadProgress, on the GUI thread, at most ~10 a second

    def __init__(self, name: str, *, token: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_name = name
        self.token = token or None
        self.state = "idle"  # running, cancelling, cancelled, failed, done
        self.message = ""
        self.plan: DownloadPlan | None = None
        self._attempt = 0
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest: DownloadProgress | None = None
        self._pending = False
        self._last_shown = 0.0
        self._relay = _Relay(self)
        self._relay.planned.connect(self._on_planned)
        self._relay.progress_ready.connect(self._on_progress_ready)
        self._relay.finished.connect(self._on_finished)
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.timeout.connect(self._show_latest)

        entry = find_catalog_model(name)
        self.setWindowTitle(f"Downloading {name}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.title_label = QLabel(f"<b>{name}</b>" + (f" from {entry.repo_id}" if entry else ""))
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        grid = QGridLayout()
        self.bytes_label, self.speed_label, self.left_label, self.file_label = (QLabel() for _ in range(4))
        for position, (caption, label) in enumerate(
            (("Done:", self.bytes_label), ("Speed:", self.speed_label), ("Time left:", self.left_label),
             ("File:", self.file_label))
        ):  # fmt: skip
            grid.addWidget(QLabel(caption), position, 0)
            grid.addWidget(label, position, 1)
        grid.setColumnStretch(1, 1)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.retry_button = QPushButton("Retry")
        self.cancel_button = QPushButton("Cancel")
        self.close_button = QPushButton("Close")
        for button, slot in (
            (self.retry_button, self.start),
            (self.cancel_button, self.cancel),
            (self.close_button, self.reject),
        ):
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        for part in (self.title_label, self.progress_bar):
            layout.addWidget(part)
        layout.addLayout(grid)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self._show_state()

    # -- GUI thread ------------------------------------------------------------------------------
    def start(self) -> None:
        """Plan and download on a new thread (also what Retry does); verified files are kept."""
        if self.is_running():
            return
        self._attempt += 1
        self._cancel = threading.Event()
        with self._lock:
            self._latest, self._pending = None, False
        self.state, self.message = "running", "Asking the Hugging Face Hub for the file list…"
        self.progress_bar.setRange(0, 0)  # busy until the plan says how many bytes
        for label in (self.bytes_label, self.speed_label, self.left_label, self.file_label):
            label.clear()
        self._thread = threading.Thread(
            target=self._run,
            args=(self._attempt, self._cancel),
            name=f"download-{self.model_name}",
            daemon=True,
        )
        self._thread.start()
        self._show_state()

    def cancel(self) -> None:
        """Stop the download at its next chunk; the files already verified stay for Retry."""
        if self.state == "running":
            self._cancel.set()
            self.state, self.message = "cancelling", "Cancelling…"
            self._show_state()

    def is_running(self) -> bool:
        """Whether the download thread is still working (or winding down after a cancel)."""
        return self._thread is not None and self._thread.is_alive()

    def done(self, result: int) -> None:  # noqa: N802 - Qt's name
        """Closing while downloading cancels and waits, so that no thread outlives the dialog."""
        self._stop_thread()
        super().done(result)

    def _stop_thread(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._cancel.set()
        thread.join(timeout=60)
        if thread.is_alive():
            log.warning("The download of %s did not stop within 60 s", self.model_name)
        self._repaint_timer.stop()
        if self.state in ("running", "cancelling"):
            self._attempt += 1  # its result, still queued, is for nobody now
            self.state, self.message = "cancelled", CANCELLED_TEXT

    def _show_state(self) -> None:
        running = self.state in ("running", "cancelling")
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(self.state == "running")
        self.retry_button.setVisible(self.state in ("cancelled", "failed"))
        self.close_button.setVisible(not running)
        self.status_label.setText(self.message)
        if self.state in ("cancelled", "failed"):
            self.retry_button.setDefault(True)

    @Slot(int, object)
    def _on_planned(self, attempt: int, plan: DownloadPlan) -> None:
        if attempt != self._attempt:
            return
        self.plan = plan
        size = format_bytes(plan.total_bytes)
        self.title_label.setText(f"<b>{plan.name}</b> from {plan.repo_id} · {len(plan.files)} files, {size}")
        self.progress_bar.setRange(0, 1000)
        if self.state == "running":
            self.message = "Downloading…"
            self._show_state()

    @Slot()
    def _on_progress_ready(self) -> None:
        wait = PROGRESS_INTERVAL_S - (time.monotonic() - self._last_shown)
        if wait > 0:
            if not self._repaint_timer.isActive():
                self._repaint_timer.start(int(wait * 1000) + 1)
            return
        self._show_latest()

    def _show_latest(self) -> None:
        with self._lock:
            progress, self._latest, self._pending = self._latest, None, False
        if progress is None:
            return
        self._last_shown = time.monotonic()
        total = max(1, progress.total_bytes)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(int(1000 * min(progress.done_bytes, total) / total))
        self.bytes_label.setText(
            f"{format_bytes(progress.done_bytes)} of {format_bytes(progress.total_bytes)}"
        )
        speed = progress.bytes_per_second
        self.speed_label.setText(f"{format_bytes(int(speed))}/s" if speed > 0 else "")
        self.left_label.setText(_duration(progress.seconds_left))
        self.file_label.setText(progress.file)
        self.progress_changed.emit(progress)

    @Slot(int, str, str, bool)
    def _on_finished(self, attempt: int, folder: str, error: str, cancelled: bool) -> None:
        if attempt != self._attempt:
            return
        self._repaint_timer.stop()
        self._show_latest()
        if self._thread is not None:
            self._thread.join()  # it has only the emit left to return from
        if folder:
            self.state, self.message = "done", f"Installed in {folder}"
            self.progress_bar.setValue(1000)
            self._show_state()
            self.accept()
            self.downloaded.emit(self.model_name, folder)
            return
        self.state, self.message = ("cancelled", CANCELLED_TEXT) if cancelled else ("failed", error)
        self.left_label.clear()
        self.speed_label.clear()
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1000)
        self._show_state()

    # -- download thread ------------------------------------------------------------------------
    def _run(self, attempt: int, cancel: threading.Event) -> None:
        folder, error, cancelled = "", "", False
        try:
            plan = plan_download(self.model_name, token=self.token)
            self._emit(self._relay.planned, attempt, plan)
            if cancel.is_set():
                raise DownloadCancelled("Cancelled before the download started.")
            folder = str(download_model(plan, token=self.token, progress=self._on_progress, cancel=cancel))
        except DownloadCancelled:
            cancelled = True
        except StudioError as exc:
            error = str(exc)
        except Exception as exc:  # a background thread must report anything, not die silently
            log.exception("Downloading %s failed", self.model_name)
            error = f"The download of {self.model_name} failed: {exc}"
        self._emit(self._relay.finished, attempt, folder, error, cancelled)

    def _on_progress(self, progress: DownloadProgress) -> None:
        """Called on download threads: keep only the latest report; one signal per repaint at most."""
        with self._lock:
            self._latest = progress
            if self._pending:
                return
            self._pending = True
        self._emit(self._relay.progress_ready)

    @staticmethod
    def _emit(signal: SignalInstance, *args: object) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the dialog was destroyed without being closed: nobody is listening
            log.debug("A download signal found its dialog gone")


def _duration(seconds: float | None) -> str:
    """'about 2 min', '12 s', or '' when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"about {minutes} min" if minutes < 60 else f"about {minutes / 60:.1f} h"

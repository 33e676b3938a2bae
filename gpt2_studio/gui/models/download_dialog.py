"""The download dialog: shows one model download run by a DownloadWorker, with progress, cancel and retry.

The worker owns the thread and coalesces progress to about ten updates a second; the dialog only shows
what it reports and forwards the user's Cancel and Retry.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
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

from gpt2_studio.core.models.catalog import find_catalog_model
from gpt2_studio.core.models.downloads import DownloadPlan, DownloadProgress
from gpt2_studio.core.models.memory import format_bytes
from gpt2_studio.gui.models.download_worker import DownloadWorker

CANCELLED_TEXT = "Cancelled — the files already fetched are kept; Retry continues."


class DownloadDialog(QDialog):
    """Shows one model download (run by a DownloadWorker) with progress, Cancel and Retry."""

    downloaded = Signal(str, str)  # model name, folder
    progress_changed = Signal(object)  # DownloadProgress, on the GUI thread, at most ~10 a second

    def __init__(self, name: str, *, token: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_name = name
        self.token = token or None
        self.state = "idle"  # running, cancelling, cancelled, failed, done
        self.message = ""
        self.plan: DownloadPlan | None = None
        self.worker = DownloadWorker(name, token=self.token, parent=self)
        self.worker.planned.connect(self._on_planned)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)

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
        """Plan and download on the worker's thread (also what Retry does); verified files are kept."""
        if not self.worker.start():
            return
        self.state, self.message = "running", "Asking the Hugging Face Hub for the file list…"
        self.progress_bar.setRange(0, 0)  # busy until the plan says how many bytes
        for label in (self.bytes_label, self.speed_label, self.left_label, self.file_label):
            label.clear()
        self._show_state()

    def cancel(self) -> None:
        """Stop the download at its next chunk; the files already verified stay for Retry."""
        if self.state == "running":
            self.worker.cancel()
            self.state, self.message = "cancelling", "Cancelling…"
            self._show_state()

    def is_running(self) -> bool:
        """Whether the download thread is still working."""
        return self.worker.is_running()

    def done(self, result: int) -> None:  # noqa: N802 - Qt's name
        """Closing while downloading cancels and waits, so that no thread outlives the dialog."""
        self.worker.stop()
        if self.state in ("running", "cancelling"):
            self.state, self.message = "cancelled", CANCELLED_TEXT
        super().done(result)

    def _show_state(self) -> None:
        running = self.state in ("running", "cancelling")
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(self.state == "running")
        self.retry_button.setVisible(self.state in ("cancelled", "failed"))
        self.close_button.setVisible(not running)
        self.status_label.setText(self.message)
        if self.state in ("cancelled", "failed"):
            self.retry_button.setDefault(True)

    @Slot(object)
    def _on_planned(self, plan: DownloadPlan) -> None:
        self.plan = plan
        size = format_bytes(plan.total_bytes)
        self.title_label.setText(f"<b>{plan.name}</b> from {plan.repo_id} · {len(plan.files)} files, {size}")
        self.progress_bar.setRange(0, 1000)
        if self.state == "running":
            self.message = "Downloading…"
            self._show_state()

    @Slot(object)
    def _on_progress(self, progress: DownloadProgress) -> None:
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

    @Slot(str)
    def _on_finished(self, folder: str) -> None:
        self.state, self.message = "done", f"Installed in {folder}"
        self.progress_bar.setValue(1000)
        self._show_state()
        self.accept()
        self.downloaded.emit(self.model_name, folder)

    @Slot(str)
    def _on_failed(self, error: str) -> None:
        self._stopped("failed", error)

    @Slot()
    def _on_cancelled(self) -> None:
        self._stopped("cancelled", CANCELLED_TEXT)

    def _stopped(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.left_label.clear()
        self.speed_label.clear()
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1000)
        self._show_state()


def _duration(seconds: float | None) -> str:
    """'about 2 min', '12 s', or '' when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"about {minutes} min" if minutes < 60 else f"about {minutes / 60:.1f} h"

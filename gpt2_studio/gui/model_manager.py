"""The model manager: the GPT-2 family and the installed models in one table, with downloads.

`ModelManagerDialog` lists what can be downloaded and what is on this computer, with what each model
costs in memory; `DownloadDialog` runs one download on a background thread, shows its progress and lets
the user cancel and retry. Both call the Qt-free core (catalog, model_store, downloads, memory).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.core.catalog import CATALOG, CatalogModel, find_catalog_model
from gpt2_studio.core.downloads import (
    DownloadCancelled,
    DownloadPlan,
    DownloadProgress,
    download_model,
    plan_download,
)
from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.memory import format_bytes, free_ram_bytes, free_vram_bytes
from gpt2_studio.core.model_store import (
    InstalledModel,
    import_checkpoint,
    list_installed,
    models_root,
    remove_model,
)
from gpt2_studio.gui.dialogs import Dialogs

log = logging.getLogger(__name__)

COLUMNS = ("Model", "Parameters", "Size", "RAM needed", "GPU memory", "Fits", "Status", "Source")
DEVICES = (("Auto", "auto"), ("CPU", "cpu"), ("CUDA (GPU)", "cuda"))
TOO_BIG_COLOR = QColor("#c0392b")
PROGRESS_INTERVAL_S = 0.1  # at most ~10 repaints a second, however fast the callbacks come
CANCELLED_TEXT = "Cancelled — the files already fetched are kept; Retry continues."


@dataclass(frozen=True)
class ModelRow:
    """One line of the manager's table: a catalog model, an installed model, or both."""

    name: str
    parameters: int | None
    size_bytes: int  # the download for a catalog model not yet here, the folder otherwise
    ram_bytes: int | None
    vram_bytes: int | None
    source: str
    installed: bool
    current: bool
    folder: Path | None = None
    problem: str = ""  # why an installed folder cannot be used


def format_parameters(count: int | None) -> str:
    """124M, 1.56B, 52K: how model sizes are usually written."""
    if count is None:
        return "?"
    if count >= 1e9:
        return f"{count / 1e9:.2f}B"
    return f"{count / 1e6:.0f}M" if count >= 1e6 else f"{count / 1e3:.0f}K"


def _verdict(need: int | None, free: int | None) -> str:
    if need is None or free is None:
        return "?"
    return "fits" if need <= free else "too big"


def _is_current(current: str | None, name: str, folder: Path | None) -> bool:
    """Whether `current` (a name, repo id or folder, as the settings keep it) means this model."""
    if not current:
        return False
    if name in (current, current.replace("/", "--")):  # a name, or a repo id's folder name
        return True
    entry = find_catalog_model(current)
    if entry is not None and entry.name == name:
        return True
    if folder is None:
        return False
    try:
        return Path(current).expanduser().resolve() == folder.resolve()
    except OSError:
        return False


def _installed_costs(model: InstalledModel) -> tuple[int | None, int | None, int | None, str]:
    """(parameters, RAM, GPU memory, problem) of an installed folder, from its config and weights' header."""
    from gpt2_studio.core.checkpoint import inspect_checkpoint

    try:
        info = inspect_checkpoint(model.folder)
    except StudioError as exc:
        return None, None, None, str(exc)
    entry = CatalogModel(model.name, model.source, info.parameters, model.size_bytes, info.n_layer,
                         info.n_embd, "")  # fmt: skip
    return info.parameters, entry.cpu_memory_bytes(), entry.gpu_memory_bytes(), ""


def build_rows(current: str | None) -> list[ModelRow]:
    """The catalog in its order, then every other installed model by name."""
    installed = {model.name: model for model in list_installed()}
    rows = []
    for entry in CATALOG:
        model = installed.pop(entry.name, None)
        folder = model.folder if model else None
        rows.append(
            ModelRow(
                name=entry.name,
                parameters=entry.parameters,
                size_bytes=model.size_bytes if model else entry.download_bytes,
                ram_bytes=entry.cpu_memory_bytes(),
                vram_bytes=entry.gpu_memory_bytes(),
                source=model.source if model else entry.repo_id,
                installed=model is not None,
                current=_is_current(current, entry.name, folder),
                folder=folder,
            )
        )
    for model in installed.values():
        parameters, ram, vram, problem = _installed_costs(model)
        rows.append(
            ModelRow(model.name, parameters, model.size_bytes, ram, vram, model.source, True,
                     _is_current(current, model.name, model.folder), model.folder, problem)
        )  # fmt: skip
    return rows


def _ask_delete_model(parent: QWidget, name: str) -> bool:
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        "Delete model",
        f"Delete the model {name} and its files from this computer?",
        buttons.Yes | buttons.No,
        buttons.No,
    )
    return answer == buttons.Yes


class ManagerDialogs(Dialogs):
    """The app's questions plus the one only the model manager asks."""

    def ask_delete_model(self, name: str) -> bool:
        """Delete an installed model's files?"""
        return _ask_delete_model(self.parent, name)


class ModelManagerDialog(QDialog):
    """Download, import, choose and delete models; shows what each costs and whether it fits."""

    model_chosen = Signal(str)  # a name the model loader resolves in the models folder
    device_chosen = Signal(str)  # "auto", "cpu" or "cuda"

    def __init__(
        self,
        current: str | None,
        parent: QWidget | None = None,
        dialogs: ManagerDialogs | None = None,
        *,
        first_start: bool = False,
        device: str = "auto",
    ) -> None:
        super().__init__(parent)
        self.current = current
        self.first_start = first_start
        self.dialogs = dialogs if dialogs is not None else ManagerDialogs(self)
        self.rows: list[ModelRow] = []
        self.download_dialog: DownloadDialog | None = None
        self.open_url = QDesktopServices.openUrl  # tests replace it: nothing opens a file manager
        self.setWindowTitle("Models")
        self.resize(980, 440)

        layout = QVBoxLayout(self)
        gpt2 = find_catalog_model("gpt2")
        self.intro = QLabel(
            f"No model on this computer yet: GPT-2 ({gpt2.parameters / 1e6:.0f}M, "
            f"{format_bytes(gpt2.download_bytes)}) is a good start. Download it, or import a GPT-2 "
            "folder you already have."
        )
        self.intro.setWordWrap(True)
        self.intro.setVisible(first_start)
        layout.addWidget(self.intro)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Source"), QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_selected())
        layout.addWidget(self.table)
        self.memory_label = QLabel()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        layout.addWidget(self.memory_label)
        layout.addWidget(self.message_label)

        options = QHBoxLayout()
        self.device_combo = QComboBox()
        for text, value in DEVICES:
            self.device_combo.addItem(text, value)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(device)))
        self.device_combo.currentIndexChanged.connect(
            lambda _i: self.device_chosen.emit(self.device_combo.currentData())
        )
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("only for gated or private repos; not stored")
        options.addWidget(QLabel("Run on:"))
        options.addWidget(self.device_combo)
        options.addSpacing(16)
        options.addWidget(QLabel("Access token:"))
        options.addWidget(self.token_edit, 1)
        layout.addLayout(options)

        buttons = QHBoxLayout()
        self.download_button = self._button(buttons, "Download", self.download_selected)
        self.use_button = self._button(buttons, "Use", self.use_selected)
        self.delete_button = self._button(buttons, "Delete", self.delete_selected)
        self.open_button = self._button(buttons, "Open Folder", self.open_folder)
        self.import_button = self._button(buttons, "Import Folder…", self.import_folder)
        buttons.addStretch(1)
        self.close_button = self._button(buttons, "Close", self.reject)
        layout.addLayout(buttons)

        self.refresh()
        self.select("gpt2" if first_start else (self._current_name() or "gpt2"))
        (self.download_button if first_start else self.use_button).setDefault(True)

    def _button(self, layout: QHBoxLayout, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        layout.addWidget(button)
        return button

    # -- the table ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the models folder and free memory; keep the selection."""
        selected = self.selected_name()
        free_ram, free_vram = free_ram_bytes(), free_vram_bytes()
        self.rows = build_rows(self.current)
        self.table.setRowCount(len(self.rows))
        for index, row in enumerate(self.rows):
            self._fill_row(index, row, free_ram, free_vram)
        gpu = "no CUDA GPU" if free_vram is None else f"{format_bytes(free_vram)} free on the GPU"
        summary = (
            f"This computer: {format_bytes(free_ram)} of memory free · {gpu} · models in {models_root()}"
        )
        if self.current and not any(row.current for row in self.rows):
            summary += f"\nIn use: {self.current} (not in the models folder)"
        self.memory_label.setText(summary)
        self.table.setColumnHidden(COLUMNS.index("GPU memory"), free_vram is None)
        cuda = self.device_combo.model().item(2)
        cuda.setEnabled(free_vram is not None)
        cuda.setToolTip("" if free_vram is not None else "No CUDA GPU is available to this program.")
        self.select(selected)
        self._update_buttons()

    def _fill_row(self, index: int, row: ModelRow, free_ram: int | None, free_vram: int | None) -> None:
        fits = _verdict(row.ram_bytes, free_ram)
        if free_vram is not None:
            fits = f"CPU: {fits} · GPU: {_verdict(row.vram_bytes, free_vram)}"
        status = ("Installed" if row.installed else "Not downloaded") if not row.problem else "Damaged"
        if row.current:
            status += " · in use"
        size = format_bytes(row.size_bytes) + ("" if row.installed else " download")
        cells = (
            row.name,
            format_parameters(row.parameters),
            size,
            format_bytes(row.ram_bytes),
            format_bytes(row.vram_bytes),
            fits,
            status,
            row.source,
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column in (1, 2, 3, 4):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row.current:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(index, column, item)
        fits_item = self.table.item(index, COLUMNS.index("Fits"))
        if "too big" in fits:
            fits_item.setForeground(TOO_BIG_COLOR)
            fits_item.setToolTip(
                "Not enough free memory now; close other programs or choose a smaller model."
            )
        entry = find_catalog_model(row.name)
        self.table.item(index, 0).setToolTip(entry.description if entry else str(row.folder))
        self.table.item(index, COLUMNS.index("Status")).setToolTip(row.problem)
        self.table.item(index, COLUMNS.index("Source")).setToolTip(row.source)

    def row(self, name: str) -> ModelRow | None:
        """The table's line for a model name."""
        return next((row for row in self.rows if row.name == name), None)

    def selected_name(self) -> str | None:
        indexes = self.table.selectionModel().selectedRows()
        return self.rows[indexes[0].row()].name if indexes and self.rows else None

    def select(self, name: str | None) -> None:
        """Select a model's line (nothing when it is not listed)."""
        for index, row in enumerate(self.rows):
            if row.name == name:
                self.table.selectRow(index)
                return
        self.table.clearSelection()

    def _current_name(self) -> str | None:
        return next((row.name for row in self.rows if row.current), None)

    def _update_buttons(self) -> None:
        row = self.row(self.selected_name() or "")
        downloadable = row is not None and not row.installed and find_catalog_model(row.name) is not None
        self.download_button.setEnabled(downloadable)
        self.use_button.setEnabled(row is not None and row.installed and not row.problem)
        self.delete_button.setEnabled(row is not None and row.installed and not row.current)
        self.delete_button.setToolTip(
            "In use: choose another model before deleting this one." if row and row.current else ""
        )
        self.open_button.setEnabled(row is not None)

    # -- actions --------------------------------------------------------------------------------
    def use_selected(self) -> None:
        """Choose the selected installed model and close."""
        row = self.row(self.selected_name() or "")
        if row is None or not row.installed or row.problem:
            return
        self.model_chosen.emit(row.name)
        self.accept()

    def delete_selected(self) -> None:
        """Delete the selected model's files after asking."""
        name = self.selected_name()
        row = self.row(name or "")
        if row is None or not row.installed or row.current or not self.dialogs.ask_delete_model(name):
            return
        try:
            remove_model(name)
        except (StudioError, OSError) as exc:
            self.dialogs.error("Could not delete the model", str(exc))
        self.refresh()
        self.message_label.setText(f"Deleted {name}.")

    def folder_url(self, name: str | None) -> QUrl:
        """The folder Open Folder shows: the model's own, or the models folder when it is not here."""
        row = self.row(name or "")
        folder = row.folder if row is not None and row.folder is not None else models_root()
        return QUrl.fromLocalFile(str(folder))

    def open_folder(self) -> None:
        """Show the selected model's folder in the file manager."""
        if not self.open_url(self.folder_url(self.selected_name())):
            self.dialogs.error(
                "Could not open the folder", self.folder_url(self.selected_name()).toLocalFile()
            )

    def import_folder(self) -> None:
        """Copy a local GPT-2 checkpoint folder into the models folder (validated first)."""
        folder = self.dialogs.model_folder(str(Path.home()))
        if not folder:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            model = import_checkpoint(folder)
        except (StudioError, OSError) as exc:
            QGuiApplication.restoreOverrideCursor()
            self.dialogs.error("Could not import the model", str(exc))
            return
        QGuiApplication.restoreOverrideCursor()
        self.refresh()
        self.select(model.name)
        self.message_label.setText(f"Imported {model.name} ({format_bytes(model.size_bytes)}).")

    def download_selected(self) -> None:
        """Download the selected catalog model in a progress dialog."""
        name = self.selected_name()
        if not name or find_catalog_model(name) is None:
            return
        if self.download_dialog is not None:
            self.download_dialog.deleteLater()
        dialog = DownloadDialog(name, token=self.token_edit.text().strip() or None, parent=self)
        dialog.downloaded.connect(self._on_downloaded)
        dialog.finished.connect(lambda _result: self.refresh())
        self.download_dialog = dialog
        dialog.start()
        dialog.open()

    @Slot(str, str)
    def _on_downloaded(self, name: str, _folder: str) -> None:
        self.refresh()
        self.select(name)
        self.message_label.setText(f"Downloaded {name}.")
        self.use_button.setDefault(True)
        if self.first_start:  # the user came for a model to write with: start using it
            self.model_chosen.emit(name)
            self.accept()

    def done(self, result: int) -> None:  # noqa: N802 - Qt's name
        """Closing the manager closes (and so cancels) a download still running."""
        if self.download_dialog is not None and self.download_dialog.isVisible():
            self.download_dialog.reject()
        super().done(result)


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
            self.downloaded.emit(self.model_name, folder)
            self.accept()
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
    def _emit(signal, *args) -> None:
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

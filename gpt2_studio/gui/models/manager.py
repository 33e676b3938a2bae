"""The model manager: the GPT-2 family and the installed models in one table, with downloads.

`ModelManagerDialog` lists what can be downloaded and what is on this computer, with what each model
costs in memory (its rows come from model_table.py); `DownloadDialog` (download_dialog.py) shows one
download run by a `DownloadWorker`. They call the Qt-free core (catalog, store, downloads, memory).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio import paths
from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.catalog import find_catalog_model
from gpt2_studio.core.models.memory import format_bytes, free_ram_bytes, free_vram_bytes
from gpt2_studio.core.models.store import (
    import_checkpoint,
    remove_model,
)
from gpt2_studio.gui.models.download_dialog import DownloadDialog
from gpt2_studio.gui.models.model_table import COLUMNS, TOO_BIG_ROLE, ModelRow, build_rows, fill_row
from gpt2_studio.gui.models.server_check import ServerCheck, ServerDetails
from gpt2_studio.gui.questions import Questions
from gpt2_studio.gui.themes import warning_color

if TYPE_CHECKING:
    from gpt2_studio.core.remote.engine import RemoteModel

log = logging.getLogger(__name__)

DEVICES = (("Auto", "auto"), ("CPU", "cpu"), ("CUDA (GPU)", "cuda"))


class ModelManagerDialog(QDialog):
    """Download, import, choose and delete models; shows what each costs and whether it fits."""

    model_chosen = Signal(str)  # a name the model loader resolves in the models folder
    device_chosen = Signal(str)  # "auto", "cpu" or "cuda"
    server_check_ended = Signal()  # "Add a Server…" is done: added, failed or cancelled

    def __init__(
        self,
        current: str | None,
        parent: QWidget | None = None,
        questions: Questions | None = None,
        *,
        first_start: bool = False,
        device: str = "auto",
    ) -> None:
        super().__init__(parent)
        self.current = current
        self.first_start = first_start
        self.questions = questions if questions is not None else Questions(self)
        self.rows: list[ModelRow] = []
        self.download_dialog: DownloadDialog | None = None
        self.server_check = ServerCheck(self)
        self.server_check.checked.connect(self._on_server_checked)
        self.server_check.failed.connect(self._on_server_check_failed)
        self.check_dialog: QProgressDialog | None = None
        self.open_url = QDesktopServices.openUrl  # tests replace it: nothing opens a file manager
        self.setWindowTitle("Model Manager")
        self.resize(1040, 420)

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
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long folder paths keep both ends
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
        self.server_button = self._button(buttons, "Add a Server…", self.add_server)
        buttons.addStretch(1)
        self.close_button = self._button(buttons, "Close", self.reject)
        layout.addLayout(buttons)

        self.refresh()
        self.select("gpt2" if first_start else (self._current_name() or "gpt2"))
        (self.download_button if first_start else self.use_button).setDefault(True)

    def _button(self, layout: QHBoxLayout, text: str, slot: Callable[[], object]) -> QPushButton:
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
        warning = warning_color(self.palette())
        for index, row in enumerate(self.rows):
            fill_row(self.table, index, row, free_ram, free_vram, warning)
        gpu = "no CUDA GPU" if free_vram is None else f"{format_bytes(free_vram)} free on the GPU"
        summary = (
            f"This computer: {format_bytes(free_ram)} of memory free · {gpu} · models in {paths.models_dir()}"
        )
        if self.current and not any(row.current for row in self.rows):
            summary += f"\nIn use: {self.current} (not in the models folder)"
        self.memory_label.setText(summary)
        self.table.setColumnHidden(COLUMNS.index("GPU memory"), free_vram is None)
        cuda = self.device_combo.model().item(self.device_combo.findData("cuda"))
        cuda.setEnabled(free_vram is not None)
        cuda.setToolTip("" if free_vram is not None else "No CUDA GPU is available to this program.")
        self.select(selected)
        self._update_buttons()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Recolour the "too big" cells in the new theme's red when the palette changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "table"):
            color = warning_color(self.palette())  # "too big" in the red of the new theme
            for index in range(self.table.rowCount()):
                item = self.table.item(index, COLUMNS.index("Fits"))
                if item is not None and item.data(TOO_BIG_ROLE):
                    item.setForeground(color)

    def row(self, name: str) -> ModelRow | None:
        """The table's line for a model name."""
        return next((row for row in self.rows if row.name == name), None)

    def selected_name(self) -> str | None:
        """The name of the selected model, or None."""
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
        self.open_button.setEnabled(row is not None and not row.server)

    # -- actions --------------------------------------------------------------------------------
    def use_selected(self) -> None:
        """Choose the selected installed model and close."""
        row = self.row(self.selected_name() or "")
        if row is None or not row.installed or row.problem:
            return
        self.model_chosen.emit(row.ref or row.name)
        self.accept()

    def add_server(self) -> None:
        """Ask for a server, check off the GUI thread that it answers, then save it (key in the keyring).

        While the check waits for the network, a "Checking…" dialog can cancel it; the editor and this
        manager keep working (a slow server must not freeze them).
        """
        from gpt2_studio.core.remote.servers import check_server_name, default_server_name

        details = self.questions.server_details()
        if not details:
            return
        server = ServerDetails.from_form(details)
        try:  # a name the user must change is said before waiting for the server, as the CLI does
            check_server_name(server.name or default_server_name(server.url))
        except StudioError as exc:
            self.questions.error("Could not add the server", _in_gui_words(exc))
            return
        self.server_check.start(server)
        if self.check_dialog is not None:
            self.check_dialog.deleteLater()
        dialog = QProgressDialog(f"Checking the server at {server.url}…", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Add a Server")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel_server_check)
        self.check_dialog = dialog
        self.server_button.setEnabled(False)
        dialog.open()

    def cancel_server_check(self) -> None:
        """Stop waiting for the server being checked; its answer, if it comes, is dropped."""
        if not self.server_check.is_pending():
            return
        self.server_check.cancel()
        self._end_server_check()
        self.message_label.setText("Stopped checking the server; nothing was added.")
        self.server_check_ended.emit()

    def _end_server_check(self) -> None:
        dialog, self.check_dialog = self.check_dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel_server_check)
            dialog.close()
            dialog.deleteLater()
        self.server_button.setEnabled(True)

    @Slot(object, object)
    def _on_server_checked(self, details: ServerDetails, model: RemoteModel) -> None:
        from gpt2_studio.core.remote.servers import SavedServer, default_server_name
        from gpt2_studio.core.remote.servers import add_server as save_server

        self._end_server_check()
        name = details.name or default_server_name(model.url)
        server = SavedServer(name, model.url, model=model.name, window=details.window)
        try:
            save_server(server, api_key=details.api_key or None)
        except StudioError as exc:  # a name taken meanwhile, a key no keyring can keep
            self.questions.error("Could not add the server", _in_gui_words(exc))
        else:
            self.refresh()
            self.select(server.name)
            self.message_label.setText(
                f"Added the server {server.name}: {model.name} ({model.kind.label}), a window of "
                f"{model.n_positions} tokens."
            )
        self.server_check_ended.emit()

    @Slot(str)
    def _on_server_check_failed(self, message: str) -> None:
        self._end_server_check()
        self.questions.error("Could not add the server", message)
        self.server_check_ended.emit()

    def delete_selected(self) -> None:
        """Delete the selected model's files after asking."""
        name = self.selected_name()
        row = self.row(name or "")
        if row is None or not row.installed or row.current or not self.questions.ask_delete_model(name):
            return
        try:
            if row.server:
                from gpt2_studio.core.remote.servers import remove_server

                remove_server(row.name)  # and its key
            else:
                remove_model(name)
        except (StudioError, OSError) as exc:
            self.questions.error("Could not delete the model", str(exc))
        else:
            self.message_label.setText(f"Deleted {name}.")
        self.refresh()

    def folder_url(self, name: str | None) -> QUrl:
        """The folder Open Folder shows: the model's own, or the models folder when it is not here."""
        row = self.row(name or "")
        folder = row.folder if row is not None and row.folder is not None else paths.models_dir()
        return QUrl.fromLocalFile(str(folder))

    def open_folder(self) -> None:
        """Show the selected model's folder in the file manager."""
        if not self.open_url(self.folder_url(self.selected_name())):
            self.questions.error(
                "Could not open the folder", self.folder_url(self.selected_name()).toLocalFile()
            )

    def import_folder(self) -> None:
        """Copy a local GPT-2 checkpoint folder into the models folder (validated first)."""
        folder = self.questions.model_folder(str(Path.home()))
        if not folder:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            model = import_checkpoint(folder)
        except (StudioError, OSError) as exc:
            QGuiApplication.restoreOverrideCursor()
            self.questions.error("Could not import the model", str(exc))
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
        """Closing the manager closes (and so cancels) a download still running, and a server check."""
        self.cancel_server_check()
        dialog = self.download_dialog
        if dialog is not None and (dialog.isVisible() or dialog.is_running()):
            dialog.reject()
        super().done(result)


def _in_gui_words(error: StudioError) -> str:
    """A refusal as the GUI says it: a taken server name is replaced by deleting that server here."""
    from gpt2_studio.core.remote.servers import NameTakenError

    if isinstance(error, NameTakenError):
        return str(error.hinted("delete that server first (select it in this list, then Delete)"))
    return str(error)

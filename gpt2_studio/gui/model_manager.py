"""The model manager: the GPT-2 family and the installed models in one table, with downloads.

`ModelManagerDialog` lists what can be downloaded and what is on this computer, with what each model
costs in memory; `DownloadDialog` (download_dialog.py) runs one download. Both call the Qt-free core
(catalog, model_store, downloads, memory).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio import paths
from gpt2_studio.core.catalog import CATALOG, CatalogModel, find_catalog_model
from gpt2_studio.core.checkpoint import expand_user, shown_path
from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.memory import format_bytes, free_ram_bytes, free_vram_bytes
from gpt2_studio.core.model_store import (
    InstalledModel,
    import_checkpoint,
    list_installed,
    remove_model,
)
from gpt2_studio.gui.dialogs import Dialogs
from gpt2_studio.gui.download_dialog import DownloadDialog
from gpt2_studio.gui.themes import warning_color

log = logging.getLogger(__name__)

COLUMNS = ("Model", "Parameters", "Size", "RAM needed", "GPU memory", "Fits", "Status", "Source")
DEVICES = (("Auto", "auto"), ("CPU", "cpu"), ("CUDA (GPU)", "cuda"))
_TOO_BIG = Qt.ItemDataRole.UserRole + 1  # a Fits cell that says a model is too big for free memory


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
        return expand_user(current).resolve() == folder.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic-link loop
        return False


def _installed_costs(model: InstalledModel) -> tuple[int | None, int | None, int | None, str]:
    """(parameters, RAM, GPU memory, problem) of an installed folder, from its config and weights' header."""
    from gpt2_studio.core.checkpoint import inspect_checkpoint

    if model.problem:
        return None, None, None, model.problem
    try:
        info = inspect_checkpoint(model.folder)
    except StudioError as exc:
        return None, None, None, str(exc)
    entry = CatalogModel(model.name, model.source, info.parameters, model.size_bytes, info.n_layer,
                         info.n_embd, "")  # fmt: skip
    return info.parameters, entry.cpu_memory_bytes(), entry.gpu_memory_bytes(), ""


def build_rows(current: str | None) -> list[ModelRow]:
    """The catalog in its order, then every other installed model by name."""
    installed = {model.name: model for model in list_installed(include_damaged=True)}
    rows = []
    for entry in CATALOG:
        model = installed.pop(entry.name, None)
        folder = model.folder if model else None
        problem = model.problem if model else ""
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
                problem=problem,
            )
        )
    for model in installed.values():
        parameters, ram, vram, problem = _installed_costs(model)
        rows.append(
            ModelRow(model.name, parameters, model.size_bytes, ram, vram, model.source, True,
                     _is_current(current, model.name, model.folder), model.folder, problem)
        )  # fmt: skip
    return rows


class ModelManagerDialog(QDialog):
    """Download, import, choose and delete models; shows what each costs and whether it fits."""

    model_chosen = Signal(str)  # a name the model loader resolves in the models folder
    device_chosen = Signal(str)  # "auto", "cpu" or "cuda"

    def __init__(
        self,
        current: str | None,
        parent: QWidget | None = None,
        dialogs: Dialogs | None = None,
        *,
        first_start: bool = False,
        device: str = "auto",
    ) -> None:
        super().__init__(parent)
        self.current = current
        self.first_start = first_start
        self.dialogs = dialogs if dialogs is not None else Dialogs(self)
        self.rows: list[ModelRow] = []
        self.download_dialog: DownloadDialog | None = None
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
            fits_item.setData(_TOO_BIG, True)
            fits_item.setForeground(warning_color(self.palette()))
            fits_item.setToolTip(
                "Not enough free memory now; close other programs or choose a smaller model."
            )
        entry = find_catalog_model(row.name)
        self.table.item(index, 0).setToolTip(entry.description if entry else shown_path(row.folder or ""))
        self.table.item(index, COLUMNS.index("Status")).setToolTip(row.problem)
        self.table.item(index, COLUMNS.index("Source")).setToolTip(row.source)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "table"):
            color = warning_color(self.palette())  # "too big" in the red of the new theme
            for index in range(self.table.rowCount()):
                item = self.table.item(index, COLUMNS.index("Fits"))
                if item is not None and item.data(_TOO_BIG):
                    item.setForeground(color)

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
        dialog = self.download_dialog
        if dialog is not None and (dialog.isVisible() or dialog.is_running()):
            dialog.reject()
        super().done(result)

"""The model manager's table: one row per catalog or installed model, with what it costs and whether it fits.

`build_rows` reads the catalog and the models folder (Qt-free core); `fill_row` writes a row's cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.catalog import CATALOG, CatalogModel, find_catalog_model
from gpt2_studio.core.models.checkpoint import expand_user, shown_path
from gpt2_studio.core.models.memory import format_bytes
from gpt2_studio.core.models.store import InstalledModel, list_installed

COLUMNS = ("Model", "Parameters", "Size", "RAM needed", "GPU memory", "Fits", "Status", "Source")
TOO_BIG_ROLE = Qt.ItemDataRole.UserRole + 1  # a Fits cell that says a model is too big for free memory


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
    cache_bytes: int = 0  # its quantized copies in the cache folder (removed with the model)
    server: bool = False  # a saved completions server (core/remote), loaded by ref
    ref: str = ""  # what the loader is given, when not the name ("server:NAME")


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
    from gpt2_studio.core.models.checkpoint import inspect_checkpoint

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
                cache_bytes=model.cache_bytes if model else 0,
            )
        )
    for model in installed.values():
        parameters, ram, vram, problem = _installed_costs(model)
        rows.append(
            ModelRow(model.name, parameters, model.size_bytes, ram, vram, model.source, True,
                     _is_current(current, model.name, model.folder), model.folder, problem,
                     model.cache_bytes)
        )  # fmt: skip
    return rows + _server_rows(current)


def _server_rows(current: str | None) -> list[ModelRow]:
    """The saved servers, after the local models: chosen like them, loaded as "server:NAME"."""
    from gpt2_studio.core.remote.servers import load_servers, server_ref

    servers, _warnings = load_servers()
    return [
        ModelRow(server.name, None, 0, None, None, server.url, True, current == server_ref(server.name),
                 server=True, ref=server_ref(server.name))
        for server in servers
    ]  # fmt: skip


def fill_row(
    table: QTableWidget,
    index: int,
    row: ModelRow,
    free_ram: int | None,
    free_vram: int | None,
    warning: QColor,
) -> None:
    """Write one row's cells into the table; a model too big for free memory is marked in `warning`."""
    if row.server:
        _fill_server_row(table, index, row)
        return
    fits = _verdict(row.ram_bytes, free_ram)
    if free_vram is not None:
        fits = f"CPU: {fits} · GPU: {_verdict(row.vram_bytes, free_vram)}"
    status = ("Installed" if row.installed else "Not downloaded") if not row.problem else "Damaged"
    if row.current:
        status += " · in use"
    size = format_bytes(row.size_bytes) + ("" if row.installed else " download")
    if row.cache_bytes:  # the int8/bf16 copies that make the next load fast; removed with the model
        size += f" + {format_bytes(row.cache_bytes)} copies"
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
        table.setItem(index, column, item)
    fits_item = table.item(index, COLUMNS.index("Fits"))
    if "too big" in fits:
        fits_item.setData(TOO_BIG_ROLE, True)
        fits_item.setForeground(warning)
        fits_item.setToolTip("Not enough free memory now; close other programs or choose a smaller model.")
    entry = find_catalog_model(row.name)
    table.item(index, 0).setToolTip(entry.description if entry else shown_path(row.folder or ""))
    table.item(index, COLUMNS.index("Status")).setToolTip(row.problem)
    table.item(index, COLUMNS.index("Source")).setToolTip(row.source)


def _fill_server_row(table: QTableWidget, index: int, row: ModelRow) -> None:
    """A server's line: it costs this computer nothing; its source is its address."""
    status = "Server" + (" · in use" if row.current else "")
    cells = (row.name, "?", "—", "—", "—", "remote", status, row.source)
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        if row.current:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
        table.setItem(index, column, item)
    table.item(index, 0).setToolTip(f"An OpenAI-compatible completions server at {row.source}")

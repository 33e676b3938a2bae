"""The per-user models folder: what is installed, importing a local checkpoint, removing one.

Each model is one folder ``<models>/<name>``. Work in progress lives under ``<models>/.partial`` and is
renamed into place only when complete, so a folder that is listed is always a whole model.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from gpt2_studio import paths
from gpt2_studio.core.errors import ModelError, StudioError
from gpt2_studio.core.jsonio import JsonFileError, read_json_file
from gpt2_studio.core.models.checkpoint import (
    BPE_FILES,
    CONFIG_FILE,
    WEIGHTS_INDEX_FILE,
    CheckpointInfo,
    inspect_checkpoint,
    shown_path,
)
from gpt2_studio.core.models.quantized_cache import model_cache_folder, remove_cached

log = logging.getLogger(__name__)

MANIFEST_FILE = ".gpt2-studio.json"
MANIFEST_MAX_BYTES = 256 * 1024
PARTIAL_DIR = ".partial"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_OPTIONAL_FILES = ("generation_config.json", "tokenizer.json", "tokenizer_config.json", *BPE_FILES)


@dataclass(frozen=True)
class InstalledModel:
    """A model in the models folder."""

    name: str
    folder: Path
    size_bytes: int
    source: str  # the repo id it was downloaded from, or the folder it was imported from
    problem: str = ""  # why the folder cannot be used ("" for a whole model)
    cache_bytes: int = 0  # its quantized copies (int8, bf16) in the cache folder, removed with it


def models_root() -> Path:
    """The models folder (created on demand)."""
    root = paths.models_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"Cannot create the models folder {shown_path(root)}: {exc.strerror or exc}."
        ) from None
    return root


def check_model_name(name: str) -> str:
    """A model name must be a plain folder name; say so otherwise."""
    if not _NAME.fullmatch(name):
        raise ModelError(
            f"{name!r} cannot be a model name: use letters, digits, '.', '_' or '-' (at most 100, no spaces)."
        )
    return name


def folder_size(folder: Path) -> int:
    """Bytes used by the files in folder (unreadable parts and symbolic links are not counted)."""
    total = 0
    for root, _dirs, files in os.walk(folder, onerror=lambda _exc: None):
        for name in files:
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(root, name))
                total += info.st_size if stat.S_ISREG(info.st_mode) else 0
    return total


def read_manifest(folder: Path) -> dict:
    """The app's note on where a model came from ({} when absent, unreadable or not a small JSON object)."""
    try:
        data = read_json_file(folder / MANIFEST_FILE, max_bytes=MANIFEST_MAX_BYTES, max_depth=8)
    except JsonFileError:
        return {}
    return data if isinstance(data, dict) else {}


def write_manifest(folder: Path, **fields: object) -> None:
    """Record where a model came from, beside its files."""
    data = {"written_at": time.time(), **fields}
    (folder / MANIFEST_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")


def _printable(text: str) -> str:
    """Text on one line: control characters (a newline in a folder name) become escapes such as ``\\n``."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def listed_name(folder: Path) -> str:
    """The name a models-folder entry is listed (and can be removed) under: printable, one line."""
    return _printable(shown_path(folder.name))


def _describe(folder: Path) -> InstalledModel:
    try:
        inspect_checkpoint(folder)
        problem = ""
    except StudioError as exc:
        problem = str(exc)
    manifest = read_manifest(folder)
    trained = manifest.get("trained_from")
    trained = f"{trained}, trained on your writing" if isinstance(trained, str) and trained else None
    source = manifest.get("repo_id") or manifest.get("imported_from") or trained or "copied in by hand"
    source = source if isinstance(source, str) else "copied in by hand"
    return InstalledModel(
        listed_name(folder),
        folder,
        folder_size(folder),
        _printable(source[:500]),
        _printable(problem),
        folder_size(model_cache_folder(folder)),
    )


def list_installed(*, include_damaged: bool = False) -> list[InstalledModel]:
    """Every model in the models folder that validates (config, weights, tokenizer), by name.

    With include_damaged, folders that do not validate are listed too, each with its problem: the
    Models dialog shows them so they can be inspected or removed; nothing else counts them as installed.
    """
    root = paths.models_dir()
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        if root.exists():
            log.warning("Cannot list the models folder %s: %s", shown_path(root), exc.strerror or exc)
        return []
    found = []
    for folder in entries:
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        model = _describe(folder)
        if include_damaged or not model.problem:
            found.append(model)
    return found


def installed_folder(name: str) -> Path | None:
    """The folder of a model in the models folder, whole or damaged, or None.

    ``name`` is a model name, or a folder's name as :func:`list_installed` shows it: folders copied in
    by hand may have any name (spaces, emoji, bytes that are not UTF-8) and must still be removable.
    """
    root = paths.models_dir()
    if not _NAME.fullmatch(name):
        with contextlib.suppress(OSError):
            for entry in root.iterdir():
                if (
                    not entry.name.startswith(".")
                    and name in (listed_name(entry), entry.name)
                    and entry.is_dir()
                ):
                    return entry
    folder = root / check_model_name(name)
    return folder if folder.is_dir() else None


def name_from_folder(folder: Path) -> str:
    """A model name made from a folder's name ("my model 🙂" → "my-model"), for imports without one."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", shown_path(folder.name)).strip("-._")[:100].strip("-._")
    return name or "model"


def partial_folder(name: str) -> Path:
    """Where a model is assembled before it is moved into place."""
    return models_root() / PARTIAL_DIR / check_model_name(name)


def move_into_place(staging: Path, name: str) -> Path:
    """Atomically make a complete staging folder the model `name`, replacing any older copy."""
    target = models_root() / check_model_name(name)
    old = None
    if target.exists():
        old = target.with_name(f".old-{name}-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def import_checkpoint(source: str | Path, name: str | None = None) -> InstalledModel:
    """Validate a local GPT-2 folder and copy what the app needs into the models folder.

    Pickle weights are refused (with how to convert them) by the validation; only safetensors,
    the config and tokenizer files are copied.
    """
    info: CheckpointInfo = inspect_checkpoint(source)
    name = check_model_name(name) if name else name_from_folder(info.folder.resolve())
    if installed_folder(name) is not None:
        raise ModelError(
            f"A model named {name!r} is already installed; choose another name or remove it first."
        )
    staging = partial_folder(name)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        names = [CONFIG_FILE, *(p.name for p in info.weight_files), *_OPTIONAL_FILES]
        if (info.folder / WEIGHTS_INDEX_FILE).is_file():
            names.append(WEIGHTS_INDEX_FILE)
        for file_name in dict.fromkeys(names):
            if (info.folder / file_name).is_file():
                shutil.copy2(info.folder / file_name, staging / file_name)
        inspect_checkpoint(staging)  # the copy is whole
        write_manifest(staging, imported_from=shown_path(info.folder.resolve()))
        folder = move_into_place(staging, name)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(
            f"Could not copy {info.folder} into {paths.models_dir()}: {exc.strerror or exc}."
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InstalledModel(name, folder, folder_size(folder), shown_path(info.folder.resolve()))


def remove_model(name: str) -> None:
    """Delete an installed model's folder and the quantized copies of its weights in the cache folder."""
    folder = installed_folder(name)
    if folder is None:
        raise ModelError(f"No model named {name!r} is installed in {paths.models_dir()}.")
    trash = folder.with_name(f".removing-{os.getpid()}-{time.monotonic_ns()}")
    try:
        folder.rename(trash)  # gone from the list at once, even if deleting the files takes a while
    except OSError as exc:
        raise ModelError(f"Could not remove {folder}: {exc.strerror or exc}.") from None
    remove_cached(folder)  # its quantized copies, which are keyed by the folder's path
    shutil.rmtree(trash, ignore_errors=True)

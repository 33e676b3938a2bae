"""Crash recovery: unsaved text is copied to a per-user folder and offered back after a crash."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from gpt2_studio import paths
from gpt2_studio.core.documents import atomic_write_bytes

logger = logging.getLogger(__name__)

RECOVERY_VERSION = 1
_DOC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class RecoveredDocument:
    """Unsaved text left behind by an instance of the app that is no longer running."""

    doc_id: str
    text: str
    source_path: str | None
    saved_at: float  # epoch seconds
    pid: int


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (PID reuse can give a false "yes")."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists but belongs to someone else
    except OSError:
        return False
    return True


def _windows_pid_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows, so ask the kernel instead.
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: exists, not ours
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259
    finally:
        kernel32.CloseHandle(handle)


class RecoveryStore:
    """One JSON file per open document with unsaved changes, written atomically on each autosave.

    A file is pending recovery when the process that wrote it is gone; files of running
    instances (this one included) are left alone.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else paths.data_dir() / "recovery"

    @staticmethod
    def new_doc_id() -> str:
        """A fresh id for a document, unique across instances."""
        return uuid.uuid4().hex

    def _file(self, doc_id: str) -> Path:
        if not _DOC_ID.fullmatch(doc_id):
            raise ValueError(f"doc_id must be 1-64 letters, digits, '_' or '-', not {doc_id!r}")
        return self.folder / f"{doc_id}.json"

    def save(self, doc_id: str, text: str, source_path: str | os.PathLike[str] | None) -> bool:
        """Keep a copy of unsaved text; returns False (and logs why) when it could not be written.

        Autosave must never interrupt typing, so disk errors are reported, not raised.
        """
        path = self._file(doc_id)
        record = {
            "version": RECOVERY_VERSION,
            "doc_id": doc_id,
            "text": text,
            "source_path": os.fspath(source_path) if source_path is not None else None,
            "saved_at": time.time(),
            "pid": os.getpid(),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Private: the copy holds the user's text, perhaps of a file only they may read.
            atomic_write_bytes(path, json.dumps(record).encode("utf-8"), new_file_mode=0o600)
        except OSError as error:
            logger.warning("Could not write the recovery file %s: %s", path, error)
            return False
        return True

    def discard(self, doc_id: str) -> None:
        """Forget the copy (the document was saved, closed without saving, or recovered)."""
        path = self._file(doc_id)
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            logger.warning("Could not remove the recovery file %s: %s", path, error)

    def pending(self) -> list[RecoveredDocument]:
        """Documents left by instances that are no longer running, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob("*.json"):
            document = self._load(path)
            if document is None or document.pid == os.getpid() or _pid_alive(document.pid):
                continue
            found.append(document)
        found.sort(key=lambda document: document.saved_at, reverse=True)
        return found

    @staticmethod
    def _load(path: Path) -> RecoveredDocument | None:
        try:
            record = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, ValueError) as error:  # JSON and UTF-8 errors are ValueErrors
            logger.warning("Skipped the unreadable recovery file %s: %s", path, error)
            return None
        if not isinstance(record, dict) or record.get("version") != RECOVERY_VERSION:
            logger.warning("Skipped the recovery file %s: not a version %d record", path, RECOVERY_VERSION)
            return None
        text, source, saved_at, pid = (record.get(k) for k in ("text", "source_path", "saved_at", "pid"))
        valid = (
            isinstance(text, str)
            and (source is None or isinstance(source, str))
            and isinstance(saved_at, (int, float))
            and not isinstance(saved_at, bool)
            and math.isfinite(saved_at)
            and isinstance(pid, int)
            and not isinstance(pid, bool)
        )
        if not valid:
            logger.warning("Skipped the recovery file %s: a field is missing or has the wrong type", path)
            return None
        return RecoveredDocument(path.stem, text, source, float(saved_at), pid)

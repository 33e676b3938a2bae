"""Crash recovery: unsaved text is copied to a per-user folder and offered back after a crash.

Each copy is one file: a line of JSON (the document's path, encoding, line ending and file stamp, and
the id of the instance that wrote it) followed by the text as UTF-8. Keeping the text out of the JSON
lets a background thread write a 50 MB copy without holding Python's lock for long.

A copy is pending recovery when the instance that wrote it no longer runs, told by its instance lock
(core.instance), which survives PID reuse, reboots and PID namespaces.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from gpt2_studio import paths
from gpt2_studio.core.documents import instance
from gpt2_studio.core.documents.savefile import atomic_write_bytes
from gpt2_studio.core.documents.text_files import NEWLINES, FileStamp
from gpt2_studio.core.jsonio import loads_bounded

logger = logging.getLogger(__name__)

RECOVERY_VERSION = 2
SUFFIX = ".recovery"
_DOC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HEADER_BYTES = 64 * 1024
_MAX_BYTES = 1024 * 1024 * 1024  # a 64 MB document in UTF-8 is at most 256 MB; anything far bigger is junk


@dataclass(frozen=True)
class RecoveredDocument:
    """Unsaved text left behind by an instance of the app that is no longer running."""

    doc_id: str
    text: str
    source_path: str | None
    saved_at: float  # epoch seconds
    pid: int
    encoding: str = "utf-8"
    newline: str = "\n"
    stamp: FileStamp | None = None  # the file as it was when opened or last saved, to notice others' changes
    instance_id: str = ""


def _stamp_record(stamp: FileStamp | None) -> dict[str, Any] | None:
    if stamp is None:
        return None
    return {"size": stamp.size, "mtime_ns": stamp.mtime_ns, "sha256": stamp.sha256}


def _stamp_from(value: Any) -> FileStamp | None:
    if not isinstance(value, dict):
        raise ValueError("stamp")
    size, mtime_ns, sha256 = (value.get(key) for key in ("size", "mtime_ns", "sha256"))
    if not (isinstance(size, int) and isinstance(mtime_ns, int) and isinstance(sha256, str)):
        raise ValueError("stamp")
    return FileStamp(size, mtime_ns, sha256)


class RecoveryStore:
    """One file per open document with unsaved changes, written atomically on each autosave.

    Copies written by running instances (this one included) are never offered.
    """

    def __init__(self, folder: Path | None = None, instances_folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else paths.data_dir() / "recovery"
        self.instances_folder = instances_folder

    @staticmethod
    def new_doc_id() -> str:
        """A fresh id for a document, unique across instances."""
        return uuid.uuid4().hex

    def _file(self, doc_id: str, suffix: str = SUFFIX) -> Path:
        if not _DOC_ID.fullmatch(doc_id):
            raise ValueError(f"doc_id must be 1-64 letters, digits, '_' or '-', not {doc_id!r}")
        return self.folder / f"{doc_id}{suffix}"

    def write(
        self,
        doc_id: str,
        text: str,
        source_path: str | os.PathLike[str] | None,
        *,
        encoding: str = "utf-8",
        newline: str = "\n",
        stamp: FileStamp | None = None,
    ) -> None:
        """Keep a copy of unsaved text with what is needed to save it back as it was; raises OSError."""
        path = self._file(doc_id)
        me = instance.current(self.instances_folder)
        header = {
            "version": RECOVERY_VERSION,
            "doc_id": doc_id,
            "source_path": os.fspath(source_path) if source_path is not None else None,
            "encoding": encoding,
            "newline": newline,
            "stamp": _stamp_record(stamp),
            "saved_at": time.time(),
            "instance": me.id if me else "",
            "pid": os.getpid(),
        }
        # json.dumps escapes "\n", so the header is exactly one line; surrogatepass keeps any lone
        # surrogate the editor holds instead of failing the copy.
        data = json.dumps(header).encode("ascii") + b"\n" + text.encode("utf-8", "surrogatepass")
        self.folder.mkdir(parents=True, exist_ok=True)
        # Private: the copy holds the user's text, perhaps of a file only they may read.
        atomic_write_bytes(path, data, new_file_mode=0o600)

    def save(
        self, doc_id: str, text: str, source_path: str | os.PathLike[str] | None, **details: Any
    ) -> bool:
        """Like write(), but returns False (and logs why) instead of raising: autosave never interrupts."""
        try:
            self.write(doc_id, text, source_path, **details)
        except OSError as error:
            logger.warning("Could not write the recovery file for %s: %s", doc_id, error)
            return False
        return True

    def discard(self, doc_id: str) -> None:
        """Forget the copy (the document was saved, closed without saving, or recovered)."""
        # The copy, and the provenance of its text (core/provenance/store.py).
        for path in (*(self._file(doc_id, s) for s in (SUFFIX, ".json")), self.provenance_file(doc_id)):
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                logger.warning("Could not remove the recovery file %s: %s", path, error)

    def provenance_file(self, doc_id: str) -> Path:
        """Where the provenance of the copy ``doc_id`` is kept (see core/provenance/store.py)."""
        return self._file(doc_id, ".json").parent / "provenance" / f"{doc_id}.json"

    def pending(self) -> list[RecoveredDocument]:
        """Documents left by instances that are no longer running, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in [*self.folder.glob(f"*{SUFFIX}"), *self.folder.glob("*.json")]:
            document = self._load(path)
            if document is None or self._still_running(document):
                continue
            found.append(document)
        found.sort(key=lambda document: document.saved_at, reverse=True)
        return found

    def _still_running(self, document: RecoveredDocument) -> bool:
        if document.instance_id:
            return instance.is_running(document.instance_id, self.instances_folder)
        return document.pid == os.getpid() or _pid_alive(document.pid)  # copies from version 1

    @staticmethod
    def _load(path: Path) -> RecoveredDocument | None:
        try:
            with path.open("rb") as file:
                data = file.read(_MAX_BYTES + 1)
            if len(data) > _MAX_BYTES:
                raise ValueError("it is too large")
            if path.suffix == ".json":
                return _from_version_1(
                    path, loads_bounded(data, f"The recovery file {path}", max_bytes=_MAX_BYTES)
                )
            head, separator, body = data.partition(b"\n")
            if not separator:
                raise ValueError("it has no header line")
            header = loads_bounded(head, f"The recovery file {path}", max_bytes=_HEADER_BYTES)
            return _from_header(path, header, body.decode("utf-8", "surrogatepass"))
        except (OSError, ValueError) as error:  # JsonFileError and UnicodeDecodeError are ValueErrors
            logger.warning("Skipped the unreadable recovery file %s: %s", path, error)
            return None


def _from_header(path: Path, header: Any, text: str) -> RecoveredDocument:
    if not isinstance(header, dict) or header.get("version") != RECOVERY_VERSION:
        raise ValueError(f"not a version {RECOVERY_VERSION} record")
    source, encoding, newline, saved_at, instance_id, pid = (
        header.get(key) for key in ("source_path", "encoding", "newline", "saved_at", "instance", "pid")
    )
    stamp = None if header.get("stamp") is None else _stamp_from(header.get("stamp"))
    # One condition in the `if`, so that the type checker narrows each field from it.
    if not (
        (source is None or isinstance(source, str))
        and isinstance(encoding, str)
        and isinstance(newline, str)
        and newline in NEWLINES
        and _is_time(saved_at)
        and isinstance(instance_id, str)
        and isinstance(pid, int)
    ):
        raise ValueError("a field is missing or has the wrong type")
    if source is not None and "\x00" in source:
        source = None  # no file can have that name: the text comes back as an untitled document
    return RecoveredDocument(
        path.stem, text, source, float(saved_at), pid, encoding, newline, stamp, instance_id
    )


def _is_time(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _from_version_1(path: Path, record: Any) -> RecoveredDocument:
    """Copies written by earlier releases: one JSON object, liveness by PID."""
    if not isinstance(record, dict) or record.get("version") != 1:
        raise ValueError("not a version 1 record")
    text, source, saved_at, pid = (record.get(k) for k in ("text", "source_path", "saved_at", "pid"))
    if not (
        isinstance(text, str)
        and (source is None or isinstance(source, str))
        and _is_time(saved_at)
        and isinstance(pid, int)
        and not isinstance(pid, bool)
    ):
        raise ValueError("a field is missing or has the wrong type")
    return RecoveredDocument(path.stem, text, source, float(saved_at), pid)


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (only for version 1 copies; PID reuse fools it)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return False  # old releases are not run beside new ones; offering beats losing the text
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists but belongs to someone else
    except OSError:
        return False
    return True

"""Which instances of the app are running, told by a lock each holds on its own file (not by PID).

A PID says nothing after a reboot (any process may hold it) or inside a PID namespace (Flatpak,
containers), where the app is PID 1 every time. Instead each running instance holds an exclusive lock
on ``instances/<id>.lock`` for as long as it lives; the kernel drops the lock when the process dies,
however it dies. An instance is alive exactly when its lock cannot be taken.

The same folder keeps a journal of the temporary files each instance is writing, so that temporaries
left beside documents by a killed save are removed at the next start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import uuid
from pathlib import Path

from gpt2_studio import paths

logger = logging.getLogger(__name__)

_ID = re.compile(r"[0-9a-f]{32}")
#: Every temporary file the app writes has this in its name (see core.savefile).
TEMP_MARK = ".gpt2studio-"
_journal_lock = threading.Lock()
_JOURNAL_PRUNE_BYTES = 64 * 1024


def instances_dir() -> Path:
    """The per-user folder of instance lock files and temporary-file journals."""
    return paths.data_dir() / "instances"


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file without waiting; False when another process holds it."""
    if sys.platform == "win32":  # not os.name: the type checker only understands sys.platform
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Instance:
    """This process's identity: an id and the lock that proves it is running."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.id = uuid.uuid4().hex
        folder.mkdir(parents=True, exist_ok=True)
        # The id is fresh, so nobody can probe this file before we hold its lock.
        self._fd = os.open(folder / f"{self.id}.lock", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        if not _try_lock(self._fd):
            raise OSError(f"Could not lock {folder / f'{self.id}.lock'}")

    @property
    def journal(self) -> Path:
        """The file that lists this instance's temporary files in flight."""
        return self.folder / f"{self.id}.temps"


_current: dict[Path, Instance] = {}
_current_lock = threading.Lock()


def current(folder: Path | None = None) -> Instance | None:
    """This process's instance for ``folder`` (default: the per-user one), created on first use.

    None when the folder cannot be written: the app still runs, it only cannot tell its liveness.
    """
    folder = folder or instances_dir()
    with _current_lock:
        instance = _current.get(folder)
        if instance is None:
            try:
                instance = Instance(folder)
            except OSError as error:
                logger.warning("Could not create the instance lock in %s: %s", folder, error)
                return None
            _current[folder] = instance
        return instance


def is_running(instance_id: str, folder: Path | None = None) -> bool:
    """Whether the instance with this id still runs (holds its lock)."""
    folder = folder or instances_dir()
    if not _ID.fullmatch(instance_id):
        return False
    mine = _current.get(folder)
    if mine is not None and mine.id == instance_id:
        return True
    try:
        fd = os.open(folder / f"{instance_id}.lock", os.O_RDWR)
    except OSError:
        return False  # no lock file: that instance is long gone
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)  # closing drops a lock we took


def note_temporary(path: Path) -> None:
    """Record a temporary file this instance is about to create (journal errors are only logged)."""
    instance = current()
    if instance is None:
        return
    line = (os.fspath(path) + "\n").encode("utf-8", "surrogateescape")
    with _journal_lock:
        try:
            fd = os.open(instance.journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if size > _JOURNAL_PRUNE_BYTES:
                _prune(instance.journal)
        except OSError as error:
            logger.warning("Could not note the temporary file %s: %s", path, error)


def _prune(journal: Path) -> None:
    """Keep only the temporaries that still exist (autosaves add a line every few seconds)."""
    lines = journal.read_bytes().decode("utf-8", "surrogateescape").splitlines()
    kept = [line for line in dict.fromkeys(lines) if os.path.lexists(line)]
    journal.write_bytes("".join(f"{line}\n" for line in kept).encode("utf-8", "surrogateescape"))


def clean_stale_temporaries(folder: Path | None = None) -> list[Path]:
    """Delete the temporary files and locks that instances no longer running left behind.

    Only paths in a dead instance's journal whose names carry TEMP_MARK are deleted. Returns them.
    """
    folder = folder or instances_dir()
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for lock in folder.glob("*.lock"):
        instance_id = lock.stem
        if not _ID.fullmatch(instance_id) or is_running(instance_id, folder):
            continue
        journal = folder / f"{instance_id}.temps"
        try:
            lines = journal.read_bytes().decode("utf-8", "surrogateescape").splitlines()
        except FileNotFoundError:
            lines = []
        except OSError as error:
            logger.warning("Could not read %s: %s", journal, error)
            continue
        for line in dict.fromkeys(lines):
            temp = Path(line)
            if TEMP_MARK not in temp.name or not temp.name.endswith(".tmp"):
                continue
            with contextlib.suppress(FileNotFoundError):
                try:
                    temp.unlink()
                    removed.append(temp)
                except OSError as error:
                    logger.warning("Could not remove the stale temporary file %s: %s", temp, error)
        for leftover in (journal, lock):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return removed

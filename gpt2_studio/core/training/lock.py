"""One run per name at a time: a lock file beside the run's folder, naming the process that holds it.

Two runs of one name would write the same checkpoint folder and install over each other, so the second
is refused at the start. The lock is a small JSON file, ``<data>/training/.NAME.lock``, created with
O_EXCL (atomic on every local filesystem) and holding the owner's process id and start time. A lock
whose process is gone (killed, crashed, the computer restarted) is stale and is taken over, so a dead
run never blocks; the start time tells a live process that reused the id from the one that wrote it.
No fcntl or msvcrt: the same code on every OS, and a lock a user can see and delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from gpt2_studio.core.training.corpus import TrainingError

#: A lock file still empty after this long was left by a process that died while writing it.
EMPTY_GRACE_SECONDS = 5.0

_held: dict[Path, int] = {}  # lock files this process holds → the thread that took each
_guard = threading.Lock()


def lock_path(name: str) -> Path:
    """The lock file of the run ``name`` (hidden, beside its folder in the training folder)."""
    from gpt2_studio.core.training.plan import run_folder

    folder = run_folder(name)
    return folder.parent / f".{folder.name}.lock"


def _started(pid: int) -> float | None:
    """The process's start time (seconds since the epoch), or None when unknown."""
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:  # psutil absent, the process gone or not ours to inspect
        return None


def _alive(pid: int, started: float | None) -> bool:
    """Whether the process that wrote a lock still runs (and is that process, not a reuse of its id)."""
    if pid <= 0:
        return False
    try:
        import psutil

        exists = bool(psutil.pid_exists(pid))
    except ImportError:
        if os.name == "nt":  # os.kill(pid, 0) would end the process on Windows
            return True
        try:
            os.kill(pid, 0)
            exists = True
        except ProcessLookupError:
            exists = False
        except PermissionError:  # another user's process
            exists = True
    if not exists:
        return False
    now = _started(pid)
    return started is None or now is None or abs(now - started) < 2.0


def _holder(path: Path) -> tuple[int, float | None] | None:
    """(pid, start time) of a live holder of path; None when the lock is stale (or gone)."""
    try:
        raw = path.read_text(encoding="utf-8")
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
    except OSError:
        return (-1, None)  # unreadable: someone else's, treat as held
    if not raw.strip():
        return (-1, None) if age < EMPTY_GRACE_SECONDS else None
    try:
        data = json.loads(raw)
        pid, started = int(data["pid"]), data.get("started")
    except (ValueError, KeyError, TypeError):
        return None  # not a lock this app wrote whole: stale
    started = float(started) if isinstance(started, (int, float)) else None
    return (pid, started) if _alive(pid, started) else None


@contextlib.contextmanager
def run_lock(name: str) -> Iterator[None]:
    """Hold the lock of run ``name`` for the with-block; TrainingError (one sentence) when another
    process or thread holds it. Taking it again in the same thread nests (the CLI holds it around the
    plan and the run, the run takes it itself for the GUI)."""
    path = lock_path(name)
    me = threading.get_ident()
    with _guard:
        owner = _held.get(path)
        if owner == me:
            nested = True
        elif owner is not None:
            raise TrainingError(f"A run named {name!r} is already going on in this app; wait for it to end.")
        else:
            nested = False
            _acquire(path, name)
            _held[path] = me
    if nested:
        yield
        return
    try:
        yield
    finally:
        with _guard:
            _held.pop(path, None)
        _release(path)


def _acquire(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is not None:
                pid = f" (process {holder[0]})" if holder[0] > 0 else ""
                raise TrainingError(
                    f"A run named {name!r} is already going on{pid}; wait for it to end or stop it first."
                ) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # stale: its process is gone
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"pid": os.getpid(), "started": _started(os.getpid())}, handle)
        return
    raise TrainingError(f"The run named {name!r} could not be locked ({path}); try again.")


def _release(path: Path) -> None:
    """Remove the lock file if it is still ours (a stale-lock takeover may have replaced it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if int(data["pid"]) == os.getpid():
            path.unlink()
    except (OSError, ValueError, KeyError, TypeError):
        pass

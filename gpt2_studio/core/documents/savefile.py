"""Writing files safely: atomic replace that keeps owner, group and mode, or in place when it must.

A save normally writes a temporary file beside the target and renames it over the target, so a crash
leaves the old file or the new one, never half of one. Renaming gives the file a new inode, which would
break hard links and (for root, or a file writable through its group) change its owner; in those cases
the bytes are written into the existing file instead.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from pathlib import Path

from gpt2_studio.core.documents.instance import TEMP_MARK, note_temporary


class NotWritableError(PermissionError):
    """The user may not change this file (read-only, someone else's, or its folder is read-only)."""


def temporary_path(target: Path) -> Path:
    """A fresh hidden name beside ``target`` that start-up clean-up recognises as the app's own."""
    return target.with_name(f".{target.name[:100]}{TEMP_MARK}{uuid.uuid4().hex[:12]}.tmp")


def _may_write(info: os.stat_result, target: Path) -> bool:
    if not stat.S_IMODE(info.st_mode) & 0o222:
        return False  # marked read-only for everybody: respected even by root
    return os.access(target, os.W_OK)


def check_may_write(path: str | os.PathLike[str]) -> None:
    """Raise NotWritableError with one sentence when the user may not save to ``path``."""
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except FileNotFoundError:
        folder = target.parent
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            raise NotWritableError(f"the folder {folder} is read-only for you") from None
        return
    if not _may_write(info, target):
        owner = info.st_uid
        if hasattr(os, "geteuid") and owner != os.geteuid() and not os.access(target, os.W_OK):
            raise NotWritableError("it belongs to another user and you may not change it")
        raise NotWritableError("it is read-only")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_in_place(target: Path, data: bytes) -> None:
    """Overwrite the existing file's bytes (keeps inode, links, owner, ACLs; not atomic)."""
    fd = os.open(target, os.O_WRONLY | getattr(os, "O_BINARY", 0))
    try:
        _write_all(fd, data)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def _needs_in_place(info: os.stat_result, target: Path) -> bool:
    if info.st_nlink > 1:
        return True  # a rename would leave the other names pointing at the old text
    return not os.access(target.parent, os.W_OK | os.X_OK)  # no temporary file can be made there


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, new_file_mode: int = 0o666, in_place_if_needed: bool = False
) -> str:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new, never half.

    Writes a temporary file beside the target, syncs it, gives it the target's mode, owner, group and
    extended attributes (POSIX ACLs), then renames it over the target; a new file gets ``new_file_mode``
    less the umask. With ``in_place_if_needed``, a file with several hard links, in a folder we cannot
    write, or whose owner or attributes we cannot keep is overwritten in place instead. Returns
    "replaced", "created" or "in place". Raises OSError; the temporary file never stays behind.
    """
    target = Path(os.path.realpath(path))  # save through a symlink, not over it
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    if info is not None and in_place_if_needed and _needs_in_place(info, target):
        write_in_place(target, data)
        return "in place"
    temp = temporary_path(target)
    note_temporary(temp)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), new_file_mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if info is not None:
            os.chmod(temp, stat.S_IMODE(info.st_mode))
            if not (_keep_owner(temp, info) and _keep_attributes(temp, target)) and in_place_if_needed:
                os.unlink(temp)
                write_in_place(target, data)
                return "in place"
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(target.parent)
    return "created" if info is None else "replaced"


def _keep_owner(temp: Path, info: os.stat_result) -> bool:
    """Give the temporary file the target's owner and group; False when that is not allowed."""
    if not hasattr(os, "chown"):
        return True  # Windows: ownership follows the folder's ACL
    mine = os.stat(temp)
    if (mine.st_uid, mine.st_gid) == (info.st_uid, info.st_gid):
        return True
    try:
        os.chown(temp, info.st_uid, info.st_gid)
    except PermissionError:
        return False
    # chown clears the set-user/group-id bits; put the mode back.
    os.chmod(temp, stat.S_IMODE(info.st_mode))
    return True


def _keep_attributes(temp: Path, target: Path) -> bool:
    """Copy the target's extended attributes (POSIX ACLs, tags) to the temporary file; False if one fails."""
    if not hasattr(os, "listxattr"):
        return True  # not Linux: nothing to copy this way
    try:
        names = os.listxattr(target)
    except OSError:
        return True  # the file system keeps no such attributes
    try:
        for name in names:
            os.setxattr(temp, name, os.getxattr(target, name))
    except OSError:
        return False
    return True


def _sync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open folders this way.
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

"""Reading and writing the user's text files: strict encodings, kept line endings, atomic saves."""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from gpt2_studio.core.errors import StudioError

MAX_FILE_BYTES = 64 * 1024 * 1024
_MB = 1024 * 1024
NEWLINES = ("\n", "\r\n", "\r")

# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one. Python's "utf-16"/"utf-32" codecs
# read either byte order and write a byte-order mark in the machine's order when saving.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Friendly names, keyed by Python's canonical codec name.
_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte-order mark",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 little-endian",
    "utf-16-be": "UTF-16 big-endian",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
    "iso8859-1": "Latin-1",
    "iso8859-15": "Latin-9",
    "mac-roman": "Mac Roman",
}


class DocumentError(StudioError):
    """A text file cannot be opened or saved; the message names the file and the reason."""


class NotUtf8Error(DocumentError):
    """The file is not UTF-8; the user may reopen it in the suggested legacy encoding."""

    def __init__(self, path: Path, offset: int, suggested_encoding: str) -> None:
        self.path = path
        self.offset = offset
        self.suggested_encoding = suggested_encoding
        super().__init__(
            f"{path} is not UTF-8 text (the first invalid byte is at offset {offset}); "
            f"try opening it as {describe_encoding(suggested_encoding)}."
        )


class FileChangedOnDiskError(DocumentError):
    """Saving would overwrite changes another program made since the file was opened."""


@dataclass(frozen=True)
class FileStamp:
    """What a file looked like when we read or wrote it, to notice changes made by others."""

    size: int
    mtime_ns: int
    sha256: str

    def same_content(self, other: FileStamp) -> bool:
        """True when both stamps describe the same bytes (a mere touch is not a change)."""
        return self.size == other.size and self.sha256 == other.sha256


@dataclass(frozen=True)
class TextFile:
    """A file as the editor sees it: text with "\\n" line ends, plus how to write it back."""

    path: Path
    text: str
    encoding: str
    newline: str
    stamp: FileStamp
    warning: str | None = None


def describe_encoding(encoding: str) -> str:
    """A name for people, e.g. "Windows-1252 (cp1252)"."""
    try:
        label = _LABELS.get(codecs.lookup(encoding).name)
    except LookupError:
        label = None
    return f"{label} ({encoding})" if label and label.lower() != encoding.lower() else (label or encoding)


def _stamp(data: bytes, mtime_ns: int) -> FileStamp:
    return FileStamp(size=len(data), mtime_ns=mtime_ns, sha256=hashlib.sha256(data).hexdigest())


def file_stamp(path: str | os.PathLike[str]) -> FileStamp | None:
    """The stamp of the file as it is on disk now, or None when it does not exist."""
    try:
        with open(path, "rb") as file:
            mtime_ns = os.fstat(file.fileno()).st_mtime_ns
            return _stamp(file.read(), mtime_ns)
    except FileNotFoundError:
        return None


def has_changed(path: str | os.PathLike[str], expected: FileStamp) -> bool:
    """True when the file's content differs from ``expected`` (a deleted file has not "changed")."""
    current = file_stamp(path)
    return current is not None and not current.same_content(expected)


def _reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "it does not exist"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "it is a folder, not a file"
    return (error.strerror or str(error)).rstrip(".").lower()


def _megabytes(size: int) -> str:
    return f"{size / _MB:.1f} MB"


def _read_bytes(path: Path, max_bytes: int) -> tuple[bytes, int]:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise DocumentError(f"Cannot open {path}: it is a folder, not a file.")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            raise DocumentError(f"Cannot open {path}: it is not a regular file.")
        if info.st_size > max_bytes:
            raise DocumentError(
                f"Cannot open {path}: it is too large ({_megabytes(info.st_size)}; "
                f"the limit is {_megabytes(max_bytes)})."
            )
        with path.open("rb") as file:
            mtime_ns = os.fstat(file.fileno()).st_mtime_ns
            data = file.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as error:
        raise DocumentError(f"Cannot open {path}: {_reason(error)}.") from error
    if len(data) > max_bytes:
        raise DocumentError(f"Cannot open {path}: it is too large (over {_megabytes(max_bytes)}, the limit).")
    return data, mtime_ns


def _binary_error(path: Path) -> DocumentError:
    return DocumentError(f"Cannot open {path}: it looks like a binary file, not text.")


def _decode_default(path: Path, data: bytes) -> tuple[str, str, str | None]:
    """UTF-8 (a BOM is accepted), or UTF-16/32 when a byte-order mark says so."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    warning = None
    if encoding in ("utf-16", "utf-32"):
        warning = f"Opened as {describe_encoding(encoding)}; it will be saved in the same encoding."
    elif b"\x00" in data:
        raise _binary_error(path)
    try:
        return data.decode(encoding), encoding, warning
    except UnicodeDecodeError as error:
        if encoding != "utf-8":
            raise DocumentError(
                f"Cannot open {path}: it starts like {describe_encoding(encoding)} "
                f"but byte {error.start} is invalid."
            ) from error
        try:
            data.decode("cp1252")
            suggested = "cp1252"
        except UnicodeDecodeError:
            suggested = "latin-1"  # decodes any bytes
        raise NotUtf8Error(path, error.start, suggested) from error


def _decode_explicit(path: Path, data: bytes, encoding: str) -> tuple[str, str, str | None]:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DocumentError(
            f"Cannot open {path} as {describe_encoding(encoding)}: "
            f"byte {error.start} is not valid in that encoding."
        ) from error
    warning = f"Opened as {describe_encoding(encoding)}; it will be saved in the same encoding."
    return text, encoding, warning


def _detect_newline(text: str) -> str:
    """The first line ending found; mixed files are saved with that one."""
    first_cr = text.find("\r")
    first_lf = text.find("\n")
    if first_cr == -1 or -1 < first_lf < first_cr:
        return "\n"
    return "\r\n" if text.startswith("\n", first_cr + 1) else "\r"


def read_text_file(
    path: str | os.PathLike[str], encoding: str | None = None, max_bytes: int = MAX_FILE_BYTES
) -> TextFile:
    """Open a text file for the editor; ``encoding`` None means UTF-8 (or a BOM's encoding)."""
    path = Path(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as error:
            raise DocumentError(f"Cannot open {path}: {encoding!r} is not a known encoding.") from error
    data, mtime_ns = _read_bytes(path, max_bytes)
    if encoding is None or codecs.lookup(encoding).name == "utf-8":
        text, encoding, warning = _decode_default(path, data)
    else:
        text, encoding, warning = _decode_explicit(path, data, encoding)
    if "\x00" in text:
        raise _binary_error(path)
    newline = _detect_newline(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return TextFile(path, text, encoding, newline, _stamp(data, mtime_ns), warning)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, new_file_mode: int = 0o666) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new, never half.

    Writes a temporary file beside the target, syncs it, then renames it over the target. An
    existing file keeps its permission bits; a new one gets ``new_file_mode`` less the umask.
    Raises OSError; the temporary file never stays behind.
    """
    target = Path(os.path.realpath(path))  # save through a symlink, not over it
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    temp = target.with_name(f".{target.name[:100]}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), new_file_mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(target.parent)


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


def write_text_file(
    path: str | os.PathLike[str],
    text: str,
    *,
    encoding: str = "utf-8",
    newline: str = "\n",
    expected: FileStamp | None = None,
    overwrite_changed: bool = False,
) -> FileStamp:
    """Save editor text atomically, refusing to overwrite changes made on disk since ``expected``."""
    path = Path(path)
    if newline not in NEWLINES:
        raise ValueError(f"newline must be one of {NEWLINES!r}, not {newline!r}")
    if newline != "\n":
        text = text.replace("\n", newline)
    try:
        data = text.encode(encoding)
    except LookupError as error:
        raise DocumentError(f"Cannot save {path}: {encoding!r} is not a known encoding.") from error
    except UnicodeEncodeError as error:
        char = error.object[error.start]
        raise DocumentError(
            f"Cannot save {path} as {describe_encoding(encoding)}: the character {char!r} "
            f"(U+{ord(char):04X}) cannot be encoded in it; save it as UTF-8 instead."
        ) from error
    try:
        if path.is_dir():
            raise DocumentError(f"Cannot save {path}: it is a folder, not a file.")
        if expected is not None and not overwrite_changed and has_changed(path, expected):
            raise FileChangedOnDiskError(
                f"{path} changed on disk since it was opened, so saving now would overwrite those changes."
            )
        atomic_write_bytes(path, data)
        mtime_ns = os.stat(path).st_mtime_ns
    except OSError as error:
        if isinstance(error, FileNotFoundError) and not path.parent.is_dir():
            reason = f"the folder {path.parent} does not exist"
        else:
            reason = _reason(error)
        raise DocumentError(f"Cannot save {path}: {reason}.") from error
    return _stamp(data, mtime_ns)

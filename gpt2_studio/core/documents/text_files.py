"""Reading and writing the user's text files: strict encodings, kept line endings, atomic saves."""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from gpt2_studio.core.documents.encodings import describe_encoding, guess_encodings
from gpt2_studio.core.documents.savefile import NotWritableError, atomic_write_bytes, check_may_write
from gpt2_studio.core.errors import StudioError

__all__ = ["atomic_write_bytes", "describe_encoding"]  # re-exported for older callers

MAX_FILE_BYTES = 64 * 1024 * 1024
_MB = 1024 * 1024
NEWLINES = ("\n", "\r\n", "\r")
NEWLINE_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}

# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one. Python's "utf-16"/"utf-32" codecs
# write a byte-order mark in the machine's order when saving: they serve files in that order, and the
# "-sig" codecs of core.encodings keep the other order.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32" if codecs.BOM_UTF32 == codecs.BOM_UTF32_LE else "utf-32-le-sig"),
    (codecs.BOM_UTF32_BE, "utf-32" if codecs.BOM_UTF32 == codecs.BOM_UTF32_BE else "utf-32-be-sig"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16" if codecs.BOM_UTF16 == codecs.BOM_UTF16_LE else "utf-16-le-sig"),
    (codecs.BOM_UTF16_BE, "utf-16" if codecs.BOM_UTF16 == codecs.BOM_UTF16_BE else "utf-16-be-sig"),
)


class DocumentError(StudioError):
    """A text file cannot be opened or saved; the message names the file and the reason."""


class NotUtf8Error(DocumentError):
    """The file is not UTF-8; the user may reopen it in one of ``candidates`` (best guess first)."""

    def __init__(self, path: Path, offset: int, candidates: list[str]) -> None:
        self.path = path
        self.offset = offset
        self.candidates = candidates
        self.suggested_encoding = suggested_encoding = candidates[0]
        super().__init__(
            f"{path} is not UTF-8 text (the first invalid byte is at offset {offset}); "
            f"try opening it as {describe_encoding(suggested_encoding)}."
        )


class FileChangedOnDiskError(DocumentError):
    """Saving would overwrite changes another program made since the file was opened."""


class ReadOnlyDocumentError(DocumentError):
    """The user may not change the file (read-only, another user's, or in a read-only folder)."""


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
    except ValueError as error:  # a name no file can have ("embedded null byte")
        raise DocumentError(f"Cannot open {ascii(str(path))}: it is not a usable file name.") from error
    if len(data) > max_bytes:
        raise DocumentError(f"Cannot open {path}: it is too large (over {_megabytes(max_bytes)}, the limit).")
    return data, mtime_ns


def _binary_error(path: Path) -> DocumentError:
    return DocumentError(f"Cannot open {path}: it looks like a binary file, not text.")


def decode_default(path: Path, data: bytes) -> tuple[str, str, str | None]:
    """Decode a text file's bytes as the editor opens them: UTF-8 (a BOM is accepted), or UTF-16/32 when a
    byte-order mark says so. Returns (text, encoding, warning or None); raises DocumentError (binary or
    invalid data) or NotUtf8Error (with encoding guesses). ``path`` is used only in messages."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    warning = None
    if encoding.startswith(("utf-16", "utf-32")):
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
        raise NotUtf8Error(path, error.start, guess_encodings(data)) from error


def _decode_explicit(path: Path, data: bytes, encoding: str) -> tuple[str, str, str | None]:
    if codecs.lookup(encoding).name in ("utf-16", "utf-32"):
        # These read either byte order from the mark but write the machine's: keep the file's own.
        marked = next((name for bom, name in _BOMS if data.startswith(bom)), encoding)
        encoding = marked if marked.startswith(codecs.lookup(encoding).name) else encoding
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DocumentError(
            f"Cannot open {path} as {describe_encoding(encoding)}: "
            f"byte {error.start} is not valid in that encoding."
        ) from error
    warning = f"Opened as {describe_encoding(encoding)}; it will be saved in the same encoding."
    return text, encoding, warning


def _newlines_used(text: str) -> set[str]:
    crlf = text.count("\r\n")
    used = {"\r\n"} if crlf else set()
    if text.count("\r") > crlf:
        used.add("\r")
    if text.count("\n") > crlf:
        used.add("\n")
    return used


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
        text, encoding, warning = decode_default(path, data)
    else:
        text, encoding, warning = _decode_explicit(path, data, encoding)
    if "\x00" in text:
        raise _binary_error(path)
    newline = _detect_newline(text)
    if len(_newlines_used(text)) > 1:
        mixed = f"{path.name} mixes line endings; it will be saved with {NEWLINE_NAMES[newline]} throughout."
        warning = f"{warning} {mixed}" if warning else mixed
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return TextFile(path, text, encoding, newline, _stamp(data, mtime_ns), warning)


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
        check_may_write(path)
        atomic_write_bytes(path, data, in_place_if_needed=True)
        mtime_ns = os.stat(path).st_mtime_ns
    except ValueError as error:  # a name no file can have ("embedded null byte")
        raise DocumentError(
            f"Cannot save {ascii(str(path))}: it is not a usable file name; use Save As."
        ) from error
    except NotWritableError as error:
        raise ReadOnlyDocumentError(
            f"Cannot save {path}: {error}; use Save As to keep your text in another file."
        ) from error
    except OSError as error:
        if isinstance(error, FileNotFoundError) and not path.parent.is_dir():
            reason = f"the folder {path.parent} does not exist"
        else:
            reason = _reason(error)
        raise DocumentError(f"Cannot save {path}: {reason}.") from error
    return _stamp(data, mtime_ns)

"""Text that arrives as bytes or command-line arguments, decoded the way the editor opens a file.

Standard input and arguments become prompts; they get the same byte-order-mark handling (UTF-8, UTF-16,
UTF-32), the same refusal of binary data and the same "\\n" line ends as a file opened in the editor, so
that a prompt is the same text whichever way it arrives.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import BinaryIO

from gpt2_studio.core.documents import text_files as documents
from gpt2_studio.core.errors import SettingsError

MAX_INPUT_BYTES = documents.MAX_FILE_BYTES
_BOM = "\ufeff"
_CHUNK_BYTES = 1024 * 1024


class TextInputError(SettingsError):
    """Input that is not text the app can use; the message names where it came from and why."""


def _convert_hint(encoding: str) -> str:
    name = documents.describe_encoding(encoding)
    return f"it may be {name}: convert it first, e.g. `iconv -f {encoding} -t utf-8`"


def decode_text(data: bytes, source: str, *, keep_line_ends: bool = False) -> str:
    """Decode bytes as the editor decodes a file: UTF-8, or the encoding a byte-order mark names.

    The mark itself is dropped and line ends become "\\n" (unless keep_line_ends: scoring reports
    offsets into the text as it was given). ``source`` names the input in messages ("standard input").
    Raises TextInputError (one sentence) for binary data or invalid UTF-8.
    """
    label = Path(source)
    try:
        # The editor's own decoder (documents' reader), so both accept and refuse the same bytes.
        text, _encoding, _warning = documents.decode_default(label, data)
    except documents.NotUtf8Error as error:
        raise TextInputError(
            f"{source} is not valid UTF-8 text (the first invalid byte is at offset {error.offset}); "
            f"{_convert_hint(error.suggested_encoding)}."
        ) from error
    except documents.DocumentError as error:  # "Cannot open standard input: it looks like a binary file…"
        raise TextInputError(str(error)) from error
    if "\x00" in text:
        raise TextInputError(f"Cannot open {source}: it looks like a binary file, not text.")
    return text if keep_line_ends else _newlines(text)


def _newlines(text: str) -> str:
    """Line ends as the editor keeps them in memory."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text_stream(
    stream: BinaryIO, source: str, max_bytes: int = MAX_INPUT_BYTES, *, keep_line_ends: bool = False
) -> str:
    """Read a byte stream (standard input) to its end, at most ``max_bytes``, and decode it as text.

    Raises TextInputError when the stream cannot be read, is too large, or is not text.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= max_bytes:
            chunk = stream.read(min(_CHUNK_BYTES, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        reason = (error.strerror or str(error)).rstrip(".").lower()
        raise TextInputError(f"cannot read {source}: {reason}.") from error
    if size > max_bytes:
        raise TextInputError(f"{source} is too large: the limit is {max_bytes // (1024 * 1024)} MB.")
    return decode_text(b"".join(chunks), source, keep_line_ends=keep_line_ends)


def read_text_file(
    path: Path, source: str, max_bytes: int = MAX_INPUT_BYTES, *, keep_line_ends: bool = False
) -> str:
    """The text of a regular file named on the command line, decoded as read_text_stream does.

    source names it in messages ("the file notes.txt"). Raises TextInputError (a SettingsError) with one
    sentence for a missing, unreadable, binary, non-UTF-8 or oversized file, a folder or a FIFO.
    """
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise TextInputError(f"{source} is a folder, not a file.")
        if not stat.S_ISREG(mode):  # a FIFO or a device might block or never end
            raise TextInputError(f"{source} is not a regular file.")
        with path.open("rb") as handle:
            return read_text_stream(handle, source, max_bytes, keep_line_ends=keep_line_ends)
    except TextInputError:
        raise
    except (FileNotFoundError, NotADirectoryError):
        raise TextInputError(f"{source} does not exist.") from None
    except PermissionError:
        raise TextInputError(f"cannot read {source}: permission denied.") from None
    except OSError as error:
        reason = (error.strerror or str(error)).rstrip(".").lower()
        raise TextInputError(f"cannot read {source}: {reason}.") from None
    except ValueError:  # a name no file can have ("embedded null byte")
        raise TextInputError(f"{source} cannot exist: {ascii(str(path))}.") from None


def argument_text(value: str, option: str, *, normalise: bool = True) -> str:
    """A command-line argument checked to be text: invalid UTF-8 bytes (kept by Python as lone
    surrogates) are one TextInputError naming the option; a byte-order mark and "\\r" line ends go.
    """
    bad = next((index for index, char in enumerate(value) if "\ud800" <= char <= "\udfff"), None)
    if bad is not None:
        offset = len(value[:bad].encode("utf-8"))  # Python keeps each undecodable byte as one surrogate
        raise TextInputError(
            f"{option} is not valid UTF-8 text (the first invalid byte is at offset {offset})."
        )
    return _newlines(value.removeprefix(_BOM)) if normalise else value

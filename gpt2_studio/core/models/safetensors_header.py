"""Read and check the tensor table of a .safetensors file without loading any weights.

The header is JSON written by whoever made the file, so everything in it is checked before use: its
length against the file and a fixed cap, its nesting, each entry's dtype, shape and byte range, and that
no two tensors share bytes. A damaged or hostile file gives one sentence, never an exception from deep
inside a library, and costs milliseconds.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from gpt2_studio.core.jsonio import JsonFileError, loads_bounded

FLOAT_DTYPES = frozenset({"F64", "F32", "F16", "BF16"})
DTYPE_BYTES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}
#: A GPT-2 XL header is about 60 KB; this leaves room for any sharded or annotated GPT-2.
MAX_HEADER_BYTES = 16 * 1024 * 1024
#: GPT-2 XL has 580 tensors; ten thousand layers' worth would still fit.
MAX_TENSORS = 200_000
_MAX_RANK = 8


class HeaderError(ValueError):
    """The header is damaged; the message completes "<file> is …" ("truncated: …", "corrupt: …")."""


@dataclass(frozen=True)
class TensorEntry:
    """One tensor's description: element type, shape, and its byte range in the data section."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def _plain_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry(name: str, raw: object, data_len: int) -> TensorEntry:
    if not isinstance(raw, dict):
        raise HeaderError(f"corrupt: its entry for tensor {name} is not a table")
    dtype, shape, offsets = raw.get("dtype"), raw.get("shape"), raw.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise HeaderError(f"corrupt: tensor {name} has an unknown element type {str(dtype)[:20]!r}")
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_RANK
        or not all(_plain_int(d) and d >= 0 for d in shape)
    ):
        raise HeaderError(f"corrupt: tensor {name} has an invalid shape")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_plain_int(o) for o in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        raise HeaderError(
            f"corrupt: tensor {name} has invalid data_offsets (two byte positions, the first not larger)"
        )
    begin, end = offsets
    if end > data_len:
        raise HeaderError(f"truncated: it ends before tensor {name} (an incomplete download?)")
    if end - begin != math.prod(shape) * DTYPE_BYTES[dtype]:
        raise HeaderError(f"corrupt: tensor {name} has the wrong byte length")
    return TensorEntry(dtype, tuple(shape), begin, end)


def read_header(path: Path) -> dict[str, TensorEntry]:
    """The tensors of ``path`` by name, checked against the file's real size.

    Raises OSError when the file cannot be read and :class:`HeaderError` when it is not a sound
    safetensors file.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise HeaderError("empty or truncated")
        (header_len,) = struct.unpack("<Q", prefix)
        if header_len > size - 8:
            raise HeaderError("truncated or corrupt (its header is longer than the file)")
        if header_len > MAX_HEADER_BYTES:
            allowed = MAX_HEADER_BYTES
            raise HeaderError(
                f"corrupt: its header is {header_len:,} bytes, more than the {allowed:,} allowed"
            )
        raw = handle.read(header_len)
    try:
        header = loads_bounded(raw, "its header", max_bytes=MAX_HEADER_BYTES, max_depth=8)
    except JsonFileError as exc:
        raise HeaderError(f"corrupt ({str(exc).rstrip('.')})") from None
    if not isinstance(header, dict):
        raise HeaderError("corrupt (its header is not a table)")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise HeaderError("corrupt (its __metadata__ must map names to text)")
    if len(header) > MAX_TENSORS:
        raise HeaderError(f"not a GPT-2 file: it lists {len(header):,} tensors, far more than any GPT-2 has")
    data_len = size - 8 - header_len
    entries = {name: _entry(name, raw_entry, data_len) for name, raw_entry in header.items()}
    previous_end, previous = 0, ""
    for name, entry in sorted(entries.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.begin < previous_end:
            raise HeaderError(f"corrupt: tensors {previous} and {name} overlap")
        if entry.end > entry.begin:
            previous_end, previous = entry.end, name
    return entries

"""Bounded JSON reading: every JSON file the app reads goes through here.

Python's parser recurses once per nesting level, so a hostile file (100,000 nested lists in a preset,
a config or a safetensors header) ends in RecursionError or, on a thread with a small stack, a crash of
the whole process. These helpers refuse oversized input and excessive nesting *before* parsing, and turn
every failure into one :class:`JsonFileError` sentence naming the file.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

from gpt2_studio.core.errors import StudioError

#: Deeper than any file the app writes or reads (settings, presets, configs, safetensors headers: ≤ 5).
MAX_DEPTH = 64
#: Default size limit; callers with bigger legitimate files (tokenizer.json, headers) pass their own.
MAX_BYTES = 4 * 1024 * 1024

# A string, or an unterminated one running to the end (invalid JSON anyway): every quote then starts a
# match, so the scan is linear; with the closing quote required, each quote of `"\"\"\"…` rescanned
# the rest of the file (quadratic: minutes for 100 KB).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:\\\Z)?(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# Openings become "(" and closings ")": an innermost level is then "()", peeled by bytes.replace.
_PARENS = bytes.maketrans(b"[{]}", b"(())")
# Windows Notepad's "Unicode" saves are UTF-16 with a byte-order mark; longest mark first (UTF-32-LE's
# starts with UTF-16-LE's).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)


class JsonFileError(StudioError, ValueError):
    """A JSON file or header is unreadable, too large, too deeply nested or not valid JSON."""


def _check_depth(data: bytes, what: str, max_depth: int) -> None:
    # Brackets only, then peel the innermost level max_depth times, all at C speed (a loop over 64 MB of
    # brackets in Python took 17 s). Whatever still nests, or more unclosed openings than allowed, is deeper.
    brackets = _STRING.sub(b"", data).translate(_PARENS, _NOT_BRACKETS)
    for _ in range(max_depth):
        peeled = brackets.replace(b"()", b"")
        if len(peeled) == len(brackets):
            break
        brackets = peeled
    if b"()" in brackets or brackets.count(b"(") > max_depth:
        raise JsonFileError(
            f"{what} is nested more than {max_depth} levels deep; it is not a file the app can use."
        )


def loads_bounded(
    data: bytes | str, what: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Any:
    """Parse JSON ``data`` (bytes are UTF-8, or UTF-16/32 after a byte-order mark; a UTF-8 mark is fine).

    ``what`` names the source in messages ("The preset file /x/y.json"). Raises :class:`JsonFileError`
    for input over ``max_bytes`` bytes, nested over ``max_depth`` levels, not UTF-8, or not JSON.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise JsonFileError(f"{what} is {len(raw):,} bytes, more than the {max_bytes:,} allowed.")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for bom, codec, name in _WIDE_BOMS:
        if raw.startswith(bom):
            try:
                raw = raw[len(bom) :].decode(codec).encode("utf-8")
            except (UnicodeDecodeError, UnicodeEncodeError) as exc:
                raise JsonFileError(f"{what} is not {name} text (bad byte at offset {exc.start}).") from None
            break
    _check_depth(raw, what, max_depth)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFileError(f"{what} is not UTF-8 text (bad byte at offset {exc.start}).") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonFileError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except (RecursionError, ValueError) as exc:
        raise JsonFileError(f"{what} is not valid JSON ({exc}).") from None


def read_json_file(
    path: Path, what: str | None = None, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Any:
    """Read and parse the JSON file at ``path`` with :func:`loads_bounded`'s limits.

    Raises :class:`JsonFileError` (one sentence naming the file) when it cannot be read as well.
    """
    what = what or f"The file {path}"
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise JsonFileError(f"{what} is not a regular file.")
        size = info.st_size
        if size > max_bytes:
            raise JsonFileError(f"{what} is {size:,} bytes, more than the {max_bytes:,} allowed.")
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise JsonFileError(f"{what} cannot be read: {exc.strerror or exc}.") from None
    return loads_bounded(raw, what, max_bytes=max_bytes, max_depth=max_depth)

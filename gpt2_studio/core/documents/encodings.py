"""Text encodings for people: friendly names, the encodings offered, and a guess for legacy files."""

from __future__ import annotations

import codecs
import logging
from typing import Any

logger = logging.getLogger(__name__)

# Friendly names, keyed by Python's canonical codec name.
_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte-order mark",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 little-endian",
    "utf-16-be": "UTF-16 big-endian",
    "utf-32": "UTF-32",
    "utf-16-be-sig": "UTF-16 big-endian",
    "utf-16-le-sig": "UTF-16 little-endian",
    "utf-32-be-sig": "UTF-32 big-endian",
    "utf-32-le-sig": "UTF-32 little-endian",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1252": "Windows-1252",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1255": "Windows-1255 (Hebrew)",
    "cp1256": "Windows-1256 (Arabic)",
    "cp1257": "Windows-1257 (Baltic)",
    "cp437": "DOS (US)",
    "cp850": "DOS (Western Europe)",
    "cp866": "DOS (Cyrillic)",
    "koi8-r": "KOI8-R (Russian)",
    "koi8-u": "KOI8-U (Ukrainian)",
    "iso8859-1": "Latin-1",
    "iso8859-2": "Latin-2 (Central European)",
    "iso8859-5": "ISO 8859-5 (Cyrillic)",
    "iso8859-7": "ISO 8859-7 (Greek)",
    "iso8859-15": "Latin-9",
    "mac-roman": "Mac Roman",
    "shift_jis": "Shift JIS (Japanese)",
    "cp932": "Windows-932 (Japanese)",
    "euc_jp": "EUC-JP (Japanese)",
    "gb18030": "GB 18030 (Chinese)",
    "gbk": "GBK (Chinese)",
    "big5": "Big5 (Traditional Chinese)",
    "euc_kr": "EUC-KR (Korean)",
}

#: What "Save with Encoding…" and "Reopen with Encoding…" list, most used first.
COMMON_ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "cp1252",
    "iso8859-1",
    "iso8859-15",
    "cp1250",
    "iso8859-2",
    "cp1251",
    "koi8-r",
    "cp866",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "mac-roman",
    "cp437",
    "cp850",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
)

# Encodings tried after the detector's guesses, in this order; Latin-1 decodes any bytes, so it is last.
_FALLBACKS = ("cp1252", "cp1251", "cp1250", "iso8859-15", "mac-roman", "latin-1")
_GUESS_BYTES = 256 * 1024


# Python's "utf-16"/"utf-32" write a byte-order mark in the machine's order, so a big-endian file saved
# on a little-endian machine would have every byte swapped. These codecs keep the file's order and mark.
_MARKED = {
    "utf-16-be-sig": ("utf-16-be", codecs.BOM_UTF16_BE),
    "utf-16-le-sig": ("utf-16-le", codecs.BOM_UTF16_LE),
    "utf-32-be-sig": ("utf-32-be", codecs.BOM_UTF32_BE),
    "utf-32-le-sig": ("utf-32-le", codecs.BOM_UTF32_LE),
}


def _marked_codec(name: str) -> codecs.CodecInfo | None:
    found = _MARKED.get(name.lower().replace("_", "-"))
    if found is None:
        return None
    base, mark = found

    def encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
        return mark + codecs.encode(text, base, errors), len(text)

    def decode(data: Any, errors: str = "strict") -> tuple[str, int]:  # any buffer, as codecs passes
        raw = bytes(data)
        return codecs.decode(raw.removeprefix(mark), base, errors), len(raw)

    return codecs.CodecInfo(encode, decode, name=name.lower().replace("_", "-"))


codecs.register(_marked_codec)


def canonical(encoding: str) -> str:
    """Python's canonical name for ``encoding``; raises LookupError for an unknown one."""
    return codecs.lookup(encoding).name


def describe_encoding(encoding: str) -> str:
    """A name for people, e.g. "Windows-1252 (cp1252)"."""
    try:
        label = _LABELS.get(canonical(encoding))
    except LookupError:
        label = None
    if not label:
        return encoding
    if encoding.lower() in label.lower():
        return label
    if label.endswith(")"):
        return f"{label[:-1]}, {encoding})"
    return f"{label} ({encoding})"


def _detected(data: bytes) -> list[str]:
    """charset-normalizer's candidates, best first (it looks at a sample, so each is checked after)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # the guess is a convenience; the fallbacks still offer a choice
        logger.warning("charset-normalizer is not installed; legacy encodings are not guessed")
        return []
    try:
        matches = from_bytes(data[:_GUESS_BYTES])
    except Exception as error:  # noqa: BLE001 - a detector failure must not stop opening the file
        logger.warning("Encoding detection failed: %s", error)
        return []
    # Ties in "chaos" are common on short texts (French in cp1252 scores like cp1250 and cp1257):
    # break them in favour of the code pages people actually use.
    ranked = sorted(matches, key=lambda match: (round(match.chaos, 3), _prior(match.encoding)))
    return [match.encoding for match in ranked]


# The detector names Microsoft's supersets of common encodings (Shift-JIS text comes back as cp932 only);
# they rank as the encoding they extend, which is tried first under its usual name.
_SUPERSET_OF = {
    "cp932": "shift_jis",
    "cp949": "euc_kr",
    "cp1125": "cp866",
    "big5hkscs": "big5",
    "gbk": "gb18030",
}


def _prior(encoding: str) -> int:
    common = [canonical(name) for name in COMMON_ENCODINGS]
    try:
        name = canonical(encoding)
    except LookupError:
        return len(common)
    name = _SUPERSET_OF.get(name, name)
    return common.index(name) if name in common else len(common)


def guess_encodings(data: bytes) -> list[str]:
    """Encodings that decode all of ``data``, most likely first; never UTF-8, always at least Latin-1.

    Encodings that give the same text for these bytes are listed once, under the most common name
    (Windows-1252 rather than Windows-1250 for "Café").
    """
    by_text: dict[str, str] = {}
    seen: set[str] = {"utf-8"}
    detected = [
        usual
        for name in _detected(data)
        for usual in ([_SUPERSET_OF[name], name] if name in _SUPERSET_OF else [name])
    ]
    # On short texts the detector often ranks a rare code page first ("Café" as Urdu cp1006): the
    # encodings people actually use come first, in the detector's order, then the rest.
    common = [name for name in detected if _prior(name) < len(COMMON_ENCODINGS)]
    rare = [name for name in detected if name not in common]
    for encoding in [*common, *_FALLBACKS, *rare]:
        try:
            name = canonical(encoding)
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        if name in seen or name.startswith(("utf-16", "utf-32")):
            continue
        seen.add(name)
        known = by_text.get(text)
        if known is None or _prior(encoding) < _prior(known):
            by_text[text] = encoding  # keeps the first-seen position of this text
    return list(by_text.values())

"""Names for preset files and for presets: portable file names, and unique preset names.

A preset's name is stored inside its file, so the file name only has to be safe on every system the
folder may be synced to: short, plain, and never a Windows device name (``con``, ``aux``, ``nul``, ``com1``…,
which Windows refuses even with an extension).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^\w]+|_+")
#: Characters of a file stem: with "-NN.json" after it, far below every file system's 255.
MAX_STEM_CHARS = 48
_DEVICES = {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$"} | {
    f"{kind}{n}" for kind in ("com", "lpt") for n in [*"0123456789", "¹", "²", "³"]
}


def file_stem(name: str) -> str:
    """A portable file name stem for a preset name ('TL;DR' → 'tl-dr', 'con' → 'con-preset')."""
    normal = unicodedata.normalize("NFC", name)
    stem = _UNSAFE.sub("-", normal).strip("-").lower()[:MAX_STEM_CHARS].strip("-")
    if not stem:
        return "preset"
    if stem.split(".")[0] in _DEVICES:
        return f"{stem}-preset"
    return stem


def unique_name(base: str, taken: Iterable[str]) -> str:
    """base, or 'base 2', 'base 3'… : the first that is not taken (ignoring case)."""
    used = {name.lower() for name in taken}
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base} {n}", n + 1
    return name

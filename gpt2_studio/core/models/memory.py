"""How much memory this machine has free, to tell whether a model fits before loading it."""

from __future__ import annotations

import sys
from typing import Any


def free_ram_bytes() -> int | None:
    """Memory available to a new allocation (None when it cannot be read)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with accelerate
        return None
    return int(psutil.virtual_memory().available)


def free_vram_bytes(*, import_torch: bool = False) -> int | None:
    """Free memory on the first CUDA GPU, or None without one.

    Unless import_torch is set, torch is only asked when something already imported it: importing it
    takes seconds, which a dialog on the GUI thread must not spend (the model worker imports it anyway).
    """
    torch: Any = sys.modules.get("torch")  # a module from sys.modules or the import below
    if torch is None:
        if not import_torch:
            return None
        try:
            import torch
        except ImportError:  # pragma: no cover
            return None
    try:
        if not torch.cuda.is_available():
            return None
        free, _total = torch.cuda.mem_get_info()
    except RuntimeError:
        return None
    return int(free)


def format_bytes(count: int | None) -> str:
    """1.52 GB, 548 MB, 12 kB."""
    if count is None:
        return "?"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            value = count / size
            return f"{value:.2f} {unit}" if unit == "GB" else f"{value:.0f} {unit}"
    return f"{count} B"

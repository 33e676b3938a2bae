"""Give a windowed (frozen) app somewhere to write: a log file when stdout/stderr are missing.

A PyInstaller build with ``console=False`` on Windows starts with ``sys.stdout`` and ``sys.stderr`` set to
None; tqdm (imported by transformers and huggingface_hub), logging and print would then crash or vanish.
"""

from __future__ import annotations

import sys
from pathlib import Path

LOG_NAME = "gpt2-studio.log"


def ensure_std_streams() -> Path | None:
    """Point a missing sys.stdout/sys.stderr at <cache>/gpt2-studio.log; returns the log path if used.

    Call before anything imports tqdm. The log holds the latest run only.
    """
    if sys.stdout is not None and sys.stderr is not None:
        return None
    from gpt2_studio import paths

    log_path = paths.cache_dir() / LOG_NAME
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_path, "w", encoding="utf-8", errors="backslashreplace", buffering=1)  # noqa: SIM115
    except OSError:
        import os

        log_path = None
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream
    return log_path

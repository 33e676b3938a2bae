"""Standard streams: somewhere to write when a windowed app has none, any text on any console, pipes.

A PyInstaller build with ``console=False`` on Windows starts with ``sys.stdout`` and ``sys.stderr`` set to
None; tqdm (imported by transformers and huggingface_hub), logging and print would then crash or vanish.
"""

from __future__ import annotations

import errno
import os
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
        log_path = None
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream
    return log_path


def forgive_unencodable_output() -> None:
    """Let stdout/stderr write any text: what their encoding lacks becomes a ``\\u2192``-style escape.

    A console or pipe in cp1252, Latin-1 or ASCII (``PYTHONIOENCODING``, Windows with redirected output)
    would otherwise raise UnicodeEncodeError after the work is done and lose the text. An error handler
    the user chose (``PYTHONIOENCODING=cp1252:replace``) is kept.
    """
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def can_encode(stream: object, text: str) -> bool:
    """True when ``stream``'s encoding holds every character of ``text`` (streams without one: str)."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    except LookupError:
        return True
    return True


def is_closed_output(error: BaseException) -> bool:
    """True for the error a write gets when the reader of a pipe has gone (``… | head -c1``)."""
    return isinstance(error, BrokenPipeError) or (isinstance(error, OSError) and error.errno == errno.EPIPE)


def detach_broken_output() -> None:
    """Point stdout/stderr at the null device where writing to them fails (a closed pipe, a full disk).

    The interpreter's final flush of what is still buffered then neither fails again nor prints
    "Exception ignored".
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            try:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, stream.fileno())
                os.close(null)
            except (OSError, ValueError):
                setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115

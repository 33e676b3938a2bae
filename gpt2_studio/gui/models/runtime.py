"""Import the model runtime (torch, the runner, the engine) at start-up, on a thread of its own.

Why: ``import torch`` initialises torch's native library (the ``torch._C`` extension) in one C call
that holds Python's GIL for 0.2-0.7 s on this 2-core machine. While it runs, the GUI thread cannot run
any Python: no key press reaches the editor and no widget of ours repaints. Done on the model worker
when the first model loads, that froze the editor just after it appeared (issue 13: the longest stall
while GPT-2 124M loaded was ~0.2-0.5 s). Started before the window is built, the stall is spent while
Qt builds the window, which takes longer; the window waits for it (a bounded wait) before it shows.
Later model loads find all of it imported.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time

log = logging.getLogger(__name__)

#: What loading and running a model on the CPU imports, heaviest native part first. The tokenizer and
#: weights libraries are Rust extensions whose own initialisation also holds the GIL. transformers is
#: not among them: the CPU path needs none of it (its ~250 modules took 0.7 s; CUDA loads import it).
RUNTIME_MODULES = (
    "torch",
    "safetensors",
    "tokenizers",
    "gpt2_studio.core.runner",
    "gpt2_studio.core.models.loading",
    "gpt2_studio.core.models.tokenizer",
    "gpt2_studio.core.generation.engine",
)
#: The extension whose initialisation is the long GIL hold; in sys.modules once it has finished.
NATIVE_MODULE = "torch._C"

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _import_all() -> None:
    started = time.perf_counter()
    for name in RUNTIME_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a broken install is reported by the model load, in one sentence
            log.debug("Preparing the runtime: %s could not be imported (%s)", name, exc)
            return
    log.debug("The model runtime was imported in %.2f s", time.perf_counter() - started)


def start_preparing() -> threading.Thread:
    """Start importing the runtime on a background thread (once per process) and return that thread."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_import_all, name="prepare-model-runtime", daemon=True)
            _thread.start()
        return _thread


def wait_for_native(timeout_s: float) -> bool:
    """Wait at most timeout_s (seconds) until torch's native library has initialised; True if it has.

    Returns at once when nothing is being prepared. The waiting sleeps, so the preparing thread has the
    GIL to itself.
    """
    thread = _thread
    deadline = time.monotonic() + timeout_s
    while NATIVE_MODULE not in sys.modules:
        if thread is None or not thread.is_alive() or time.monotonic() >= deadline:
            return NATIVE_MODULE in sys.modules
        time.sleep(0.005)
    return True


def finish_preparing(timeout_s: float = 30.0) -> None:
    """Wait for the preparing thread to end (before the interpreter exits: an import cut off by the
    interpreter's shutdown can crash it)."""
    thread = _thread
    if thread is not None:
        thread.join(timeout_s)

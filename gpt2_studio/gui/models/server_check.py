"""The check that a new server answers, run off the GUI thread so the editor stays fluid meanwhile.

"Add a Server…" asks the server for its models before saving it; a slow or silent server may take up
to the client's connect and read timeouts to answer. The check runs on a daemon thread of its own (a
network read cannot be interrupted, and a daemon thread never holds up quitting); its result comes
back by a queued signal, and a result for a check that was cancelled (or superseded) is dropped.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from gpt2_studio.core.errors import StudioError

log = logging.getLogger(__name__)

# A server that accepts the connection but never answers /v1/models is given up after this long.
CHECK_SECONDS = 15.0


@dataclass(frozen=True)
class ServerDetails:
    """What the user typed in the server form: the address, and what is optional ("" / None: not given)."""

    url: str
    name: str = ""
    model: str = ""
    api_key: str = ""
    window: int | None = None

    @classmethod
    def from_form(cls, details: dict[str, object]) -> ServerDetails:
        """From ServerForm.details() (or a test's dict with only some keys)."""
        window = details.get("window")
        return cls(
            url=str(details.get("url") or ""),
            name=str(details.get("name") or ""),
            model=str(details.get("model") or ""),
            api_key=str(details.get("api_key") or ""),
            window=window if isinstance(window, int) and window > 0 else None,
        )


class ServerCheck(QObject):
    """Asks a server for its models on a thread of its own; lives on the GUI thread, where signals arrive.

    Signals, on the GUI thread and only for the latest check not cancelled: ``checked(ServerDetails,
    RemoteModel)`` or ``failed(one-sentence message)``.
    """

    checked = Signal(object, object)  # ServerDetails, RemoteModel
    failed = Signal(str)

    # Emitted on the check's thread, queued to _on_ended on the GUI thread.
    _ended = Signal(int, object, object, str)  # attempt, ServerDetails, RemoteModel or None, message

    def __init__(self, parent: QObject | None = None, *, read_seconds: float = CHECK_SECONDS) -> None:
        super().__init__(parent)
        self.read_seconds = read_seconds
        self._attempt = 0
        self._thread: threading.Thread | None = None
        self._pending = False
        self._ended.connect(self._on_ended)

    def start(self, details: ServerDetails) -> None:
        """Check details' server; a check still running is cancelled (its result will be dropped)."""
        self._attempt += 1
        attempt = self._attempt
        self._pending = True
        self._thread = threading.Thread(
            target=self._run, args=(attempt, details), name="server-check", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        """Forget the running check: whatever it finds later is dropped (GUI thread)."""
        self._attempt += 1
        self._pending = False

    def is_pending(self) -> bool:
        """Whether a check not cancelled is waiting for its server's answer."""
        return self._pending

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the check's thread to end (cancelled ones too); True when it has."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    # -- the check's thread ----------------------------------------------------------------------
    def _run(self, attempt: int, details: ServerDetails) -> None:
        from gpt2_studio.core.remote.engine import RemoteEngine

        model, message = None, ""
        try:
            engine = RemoteEngine.connect(
                details.url, details.model or None, api_key=details.api_key or None,
                window=details.window, read_seconds=self.read_seconds,
            )  # fmt: skip
            engine.close()
            model = engine.model
        except StudioError as exc:
            message = str(exc)
        except Exception as exc:  # a GUI must survive anything a network can throw
            log.exception("Checking the server at %s failed", details.url)
            message = f"Could not check the server at {details.url}: {exc}"
        # RuntimeError: the manager (and this object) was deleted meanwhile; nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            self._ended.emit(attempt, details, model, message)

    # -- GUI thread ------------------------------------------------------------------------------
    @Slot(int, object, object, str)
    def _on_ended(self, attempt: int, details: ServerDetails, model: object, message: str) -> None:
        if attempt != self._attempt:
            return  # cancelled or superseded: a stale answer
        self._pending = False
        if model is None:
            self.failed.emit(message)
        else:
            self.checked.emit(details, model)

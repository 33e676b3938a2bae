"""Writes recovery copies on a background thread and reports by signal when they cannot be written.

The GUI thread only takes a snapshot of the text (a string copy); encoding and writing a 50 MB copy
happen on one worker thread. Writes and discards go through the same single thread, in order, so a
late write can never bring back a copy that was discarded after a save.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from gpt2_studio.core.documents.recovery import RecoveryStore
from gpt2_studio.core.documents.text_files import FileStamp
from gpt2_studio.gui.editor.document_text import RawText

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """Everything needed to write one recovery copy, taken on the GUI thread."""

    doc_id: str
    text: RawText  # turned into the exact text on the writer's thread
    source_path: str | None
    encoding: str
    newline: str
    stamp: FileStamp | None


class RecoveryWriter(QObject):
    """Queues recovery writes and discards for one background thread; reports failures by signal."""

    failed = Signal(str)  # one sentence: the copy could not be written and why
    succeeded = Signal()

    def __init__(self, store: RecoveryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recovery")
        self._closed = False

    def write(self, snapshot: Snapshot) -> None:
        """Write the copy in the background; the result arrives as succeeded or failed."""
        if not self._closed:
            self._pool.submit(self._write, snapshot)

    def discard(self, doc_id: str) -> None:
        """Remove the copy once every write queued before has finished."""
        if self._closed:
            self.store.discard(doc_id)
        else:
            self._pool.submit(self.store.discard, doc_id)

    def run(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the writer's thread, in order with the writes and discards queued."""
        if not self._closed:
            self._pool.submit(work)

    def wait(self, timeout: float | None = None) -> None:
        """Block until everything queued so far is done (tests)."""
        if not self._closed:
            self._pool.submit(lambda: None).result(timeout)

    def close(self) -> None:
        """Finish the queued work and stop the thread; later discards run at once, writes are dropped."""
        self._closed = True
        self._pool.shutdown(wait=True)

    def _write(self, snapshot: Snapshot) -> None:
        try:
            self.store.write(
                snapshot.doc_id,
                snapshot.text.exact(),
                snapshot.source_path,
                encoding=snapshot.encoding,
                newline=snapshot.newline,
                stamp=snapshot.stamp,
            )
        except (OSError, ValueError) as error:
            log.warning("Could not write the recovery copy: %s", error)
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            self.failed.emit(
                f"Unsaved work is not being backed up: the recovery copy cannot be written "
                f"({reason.rstrip('.').lower()}). Save your document to keep it safe."
            )
            return
        self.succeeded.emit()

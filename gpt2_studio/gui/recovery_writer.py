"""Writes recovery copies on a background thread and keeps a warning up while they cannot be written.

The GUI thread only takes a snapshot of the text (a string copy); encoding and writing a 50 MB copy
happen on one worker thread. Writes and discards go through the same single thread, in order, so a
late write can never bring back a copy that was discarded after a save.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QLabel, QMainWindow

from gpt2_studio.core.documents import FileStamp
from gpt2_studio.core.recovery import RecoveryStore
from gpt2_studio.gui.document_text import RawText
from gpt2_studio.gui.themes import set_warning_text

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


class RecoveryWarning(QLabel):
    """A status-bar warning that stays while recovery copies fail and goes once one is written."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__("⚠ Unsaved work is not backed up")
        self.setObjectName("recovery-warning")
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        self._restyling = False
        set_warning_text(self, True, window.palette())  # the theme's red, readable in both themes
        self.message = ""
        window.statusBar().insertPermanentWidget(0, self)
        self.hide()

    def show_failure(self, message: str) -> None:
        """Show the warning with ``message`` as its tooltip until clear() is called."""
        self.message = message
        self.setToolTip(message)
        if self.isHidden():
            self.show()
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(message, 15_000)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._restyling:
            self._restyling = True  # setting the palette sends another PaletteChange
            try:
                set_warning_text(self, True, self.palette())  # the red of the new theme
            finally:
                self._restyling = False

    def clear(self) -> None:
        """A copy was written again."""
        self.message = ""
        self.hide()

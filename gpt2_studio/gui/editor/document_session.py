"""The document in the editor: its file, encoding and line endings, open/save/save-as, and crash recovery.

A session holds what the editor's text is saved as and where; it talks to the user only through its
``questions`` object (tests put a scripted one there) and to the window only through its signals.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from gpt2_studio.core.documents.instance import clean_stale_temporaries
from gpt2_studio.core.documents.recovery import RecoveryStore
from gpt2_studio.core.documents.text_files import (
    NEWLINE_NAMES,
    DocumentError,
    FileChangedOnDiskError,
    FileStamp,
    NotUtf8Error,
    describe_encoding,
    read_text_file,
    write_text_file,
)
from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.editor.document_dialogs import DocumentDialogs
from gpt2_studio.gui.editor.document_text import exact_text, raw_snapshot, set_exact_text
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.recovery_writer import RecoveryWriter, Snapshot

log = logging.getLogger(__name__)

RECOVERY_INTERVAL_MS = 5_000
FIRST_COPY_DELAY_MS = 1_000  # the first recovery copy, soon after the first edit
LARGE_DOCUMENT_CHARS = 2_000_000  # above this, recovery copies wait for a pause in typing
TYPING_PAUSE_MS = 700
RECOVERY_MAX_DELAY_S = 30.0


class SideNotes(Protocol):
    """What the session asks of the text kept beside the document (the Memory and Author's note dock)."""

    def unsaved_untitled(self) -> bool:
        """True when an untitled document has notes that would be lost with it."""
        ...

    def store(self) -> str | None:
        """Store pending notes; None when stored, else the one-sentence reason they could not be."""
        ...

    def drop_unsaved(self) -> None:
        """Give up the pending notes (the writer agreed)."""
        ...


class DocumentSession(QObject):
    """One document at a time in ``editor``: open, save, save as, and recovery copies of unsaved work."""

    message = Signal(str, int)  # a status-bar message and how long it stays, in ms (0: until the next)
    title_changed = Signal()  # the name, encoding, line endings or modified state changed
    replacing = Signal()  # the editor's text is about to be replaced by another document
    replaced = Signal(object)  # another document is in the editor: its path, None when untitled
    saved = Signal(object, object)  # written: the path it had before (None: untitled), the path now
    recovery_queued = Signal(object)  # a recovery copy (Snapshot) was queued on the recovery writer
    recovered = Signal(str)  # unsaved work was restored from the copy with this id (still on disk)

    def __init__(self, editor: GhostTextEdit, questions: Any, settings: AppSettings) -> None:
        super().__init__(editor)
        self.editor = editor
        self.questions = questions
        self.settings = settings
        self.recovery = RecoveryStore()
        self.recovery_writer = RecoveryWriter(self.recovery, self)
        self.doc_id = RecoveryStore.new_doc_id()
        self.path: Path | None = None
        self.notes: SideNotes | None = None  # the document's Memory and Author's note, asked about too
        self.encoding = "utf-8"
        self.newline = "\n"
        self.stamp: FileStamp | None = None
        self._copy_scheduled = False
        self._last_edit = self._last_copy_at = time.monotonic()
        self._recovered_revision = -1

        self.recovery_timer = QTimer(self)
        self.recovery_timer.setInterval(RECOVERY_INTERVAL_MS)
        self.recovery_timer.timeout.connect(self.write_recovery)
        self.recovery_timer.start()
        self.first_copy_timer = QTimer(self)
        self.first_copy_timer.setSingleShot(True)
        self.first_copy_timer.setInterval(FIRST_COPY_DELAY_MS)
        self.first_copy_timer.timeout.connect(self.write_recovery)
        document = editor.document()
        document.contentsChanged.connect(self._schedule_first_copy)
        document.modificationChanged.connect(lambda _modified: self.title_changed.emit())

    # -- names ----------------------------------------------------------------------------------
    def display_name(self) -> str:
        """The file's name, or "Untitled"."""
        return self.path.name if self.path else "Untitled"

    def title(self) -> str:
        """The title's document part: "*" when modified, the name, then any encoding but UTF-8 with \\n."""
        modified = "*" if self.editor.document().isModified() else ""
        details = ""
        if (self.encoding, self.newline) != ("utf-8", "\n"):
            details = f" [{describe_encoding(self.encoding)}, {NEWLINE_NAMES[self.newline]}]"
        return f"{modified}{self.display_name()}{details}"

    def _ask(self, question: str, *args: Any) -> Any:
        method = getattr(self.questions, question, None)
        if method is None:  # the app's own questions do not ask about encodings
            method = getattr(DocumentDialogs(self.editor.window()), question)
        return method(*args)

    # -- opening --------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled.

        Unsaved changes are the text's, and an untitled document's Memory and Author's note (they are
        kept once it has a name). Notes that cannot be stored are asked about too, never dropped silently.
        """
        notes = self.notes
        untitled_notes = self.path is None and notes is not None and notes.unsaved_untitled()
        if self.editor.document().isModified() or untitled_notes:
            answer = self.questions.ask_save_changes(self.display_name())
            if answer == "save":
                if not self.save():
                    return False
            elif answer != "discard":
                return False
            elif self.path is None:
                return True  # an untitled document given up: its notes go with it
        return self._notes_stored()

    def _notes_stored(self) -> bool:
        """Store the notes; when they cannot be, ask whether to go on without them (False: cancel)."""
        if self.notes is None:
            return True
        problem = self.notes.store()
        if problem is None:
            return True
        if not self._ask("ask_drop_notes", problem):
            return False
        self.notes.drop_unsaved()
        return True

    def new_document(self) -> None:
        """An empty, untitled document (after asking about unsaved changes)."""
        if not self.maybe_save():
            return
        self._set_document("", None, "utf-8", "\n", None)

    def open_dialog(self) -> None:
        """File → Open: ask about unsaved changes, then for a file."""
        if not self.maybe_save():
            return
        folder = str(self.path.parent) if self.path else str(Path.home())
        path = self.questions.open_path(folder)
        if path:
            self.open_file(path, ask=False)

    def open_file(self, path: str | Path, *, ask: bool = True, encoding: str | None = None) -> bool:
        """Open a text file; text that is not UTF-8 opens only in an encoding the user chooses."""
        if ask and not self.maybe_save():
            return False
        try:
            try:
                loaded = read_text_file(path, encoding=encoding)
            except NotUtf8Error as exc:
                chosen = self._ask("choose_encoding", str(exc), exc.candidates, str(exc.path))
                if not chosen:
                    return False
                loaded = read_text_file(path, encoding=chosen)
        except DocumentError as exc:
            self.questions.error("Cannot open file", str(exc))
            return False
        self._set_document(loaded.text, loaded.path, loaded.encoding, loaded.newline, loaded.stamp)
        if loaded.warning:
            self.message.emit(loaded.warning, 0)
        self.settings.add_recent(str(loaded.path))
        return True

    def open_recent(self, path: str) -> bool:
        """Open a file from the recent list; one that cannot be opened is explained, not raised."""
        try:
            return self.open_file(path)
        except (OSError, ValueError) as exc:
            self.questions.error("Cannot open file", f"{path} cannot be opened: {exc}.")
            return False

    def _set_document(
        self, text: str, path: Path | None, encoding: str, newline: str, stamp: FileStamp | None
    ) -> None:
        self.replacing.emit()
        self.recovery_writer.discard(self.doc_id)
        self.doc_id = RecoveryStore.new_doc_id()
        set_exact_text(self.editor, text)
        self.editor.document().setModified(False)
        self.first_copy_timer.stop()
        self._copy_scheduled = False
        self.path, self.encoding, self.newline, self.stamp = path, encoding, newline, stamp
        self._recovered_revision = self.editor.document().revision()
        self.title_changed.emit()
        self.replaced.emit(path)

    # -- saving ---------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the document's file (Save As when it has none); False when not saved."""
        if self.path is None:
            return self.save_as()
        return self._write(self.path, expected=self.stamp)

    def save_as(self, *, encoding: str | None = None, newline: str | None = None) -> bool:
        """Save under a new name, optionally with another encoding and line ending."""
        suggested = str(self.path) if self.path else str(Path.home() / "Untitled.txt")
        path = self.questions.save_path(suggested)
        if not path:
            return False
        same_file = self.path is not None and Path(path).resolve() == self.path.resolve()
        # Saving over the open file under its own name still guards against others' changes.
        return self._write(
            Path(path), expected=self.stamp if same_file else None, encoding=encoding, newline=newline
        )

    def _write(
        self,
        path: Path,
        expected: FileStamp | None,
        *,
        encoding: str | None = None,
        newline: str | None = None,
    ) -> bool:
        text = exact_text(self.editor.document())
        encoding = encoding or self.encoding
        newline = newline or self.newline
        try:
            try:
                stamp = write_text_file(path, text, encoding=encoding, newline=newline, expected=expected)
            except FileChangedOnDiskError:
                if not self.questions.ask_overwrite_changed(str(path)):
                    return False
                stamp = write_text_file(
                    path, text, encoding=encoding, newline=newline, overwrite_changed=True
                )
        except DocumentError as exc:
            self.questions.error("Cannot save file", f"{exc}\n\nYour text is still in the editor.")
            return False
        previous = self.path
        self.path, self.stamp, self.encoding, self.newline = path, stamp, encoding, newline
        self.editor.document().setModified(False)
        self.recovery_writer.discard(self.doc_id)
        self.settings.add_recent(str(path))
        self.message.emit(f"Saved {path}", 4000)
        self.title_changed.emit()
        self.saved.emit(previous, path)
        return True

    # -- recovery -------------------------------------------------------------------------------
    def _schedule_first_copy(self) -> None:
        self._last_edit = time.monotonic()
        # Work typed in the first seconds is copied soon after the first edit, not at the next interval.
        if not self._copy_scheduled:
            self._copy_scheduled = True
            self.first_copy_timer.start()

    def write_recovery(self) -> None:
        """Copy unsaved work to the recovery folder (on a background thread) when it changed."""
        document = self.editor.document()
        if not document.isModified():
            return
        if document.revision() == self._recovered_revision:
            return
        now = time.monotonic()
        # Copying a large document's text takes the GUI thread a moment (about 0.3 s at 50 MB): wait
        # for a pause in typing, but not longer than RECOVERY_MAX_DELAY_S since the last copy.
        if (
            document.characterCount() > LARGE_DOCUMENT_CHARS
            and now - self._last_edit < TYPING_PAUSE_MS / 1000
            and now - self._last_copy_at < RECOVERY_MAX_DELAY_S
        ):
            self.first_copy_timer.start(TYPING_PAUSE_MS)
            return
        snapshot = Snapshot(
            self.doc_id,
            raw_snapshot(document),
            str(self.path) if self.path else None,
            self.encoding,
            self.newline,
            self.stamp,
        )
        self.recovery_writer.write(snapshot)
        self.recovery_queued.emit(snapshot)
        self._recovered_revision = document.revision()
        self._last_copy_at = now

    def offer_recovery(self) -> bool:
        """At start-up: offer unsaved work left by a crashed session; True if something was restored."""
        for temp in clean_stale_temporaries():
            log.info("Removed a temporary file left by a crashed save: %s", temp)
        pending = self.recovery.pending()
        if not pending:
            return False
        newest = pending[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.saved_at))
        name = newest.source_path or "Untitled"
        descriptions = [f"{name} ({len(newest.text):,} characters, {when})"]
        if len(pending) > 1:
            descriptions.append(f"({len(pending) - 1} older unsaved document(s) will be offered next time.)")
        if not self.questions.ask_restore(descriptions):
            self.recovery.discard(newest.doc_id)
            return False
        path = Path(newest.source_path) if newest.source_path else None
        # Saved back as it was read, and a save still notices changes made to the file since.
        self._set_document(newest.text, path, newest.encoding, newest.newline, newest.stamp)
        self.recovered.emit(newest.doc_id)
        self.editor.document().setModified(True)
        # A crash right after restoring must not lose the work: the old copy goes only once this
        # instance holds its own (written here, at start-up). Older copies are offered next time.
        try:
            self.recovery.write(
                self.doc_id,
                newest.text,
                newest.source_path,
                encoding=newest.encoding,
                newline=newest.newline,
                stamp=newest.stamp,
            )
        except OSError as exc:
            log.warning("Could not copy the restored work; its old copy is kept: %s", exc)
        else:
            self._recovered_revision = self.editor.document().revision()
            self.recovery.discard(newest.doc_id)
        self.title_changed.emit()
        self.message.emit("Restored unsaved work; save it to keep it.", 0)
        return True

    def close(self) -> None:
        """The window closes with nothing left unsaved: stop copying and remove this document's copy."""
        self.recovery_timer.stop()
        self.first_copy_timer.stop()
        self.recovery_writer.discard(self.doc_id)
        self.recovery_writer.close()

"""The Memory and Author's note dock: the document's standing context for suggestions, kept per document.

Both texts are plain text exactly as typed: they are read through document_text, so U+2028, U+00A0 and
the rest reach the model unchanged, and copy/paste keep them. They are stored in the user's data folder
keyed by the document's path, never in or beside the document file: loaded when a document opens,
cleared for a new one, saved a moment after each edit and when the document is saved or the window
closes, and copied on Save As. An untitled document keeps them here until its first save; the document
session asks before they would be lost (see ``unsaved_untitled``, ``store`` and ``drop_unsaved``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.core.documents.context_notes import (
    ContextNotes,
    load_context_notes,
    notes_folder,
    save_context_notes,
)
from gpt2_studio.gui.editor.document_text import exact_selected_text, exact_text, set_exact_text
from gpt2_studio.gui.editor.insertion import insert_as_undo_step, plain_line_break

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 1_000  # notes are stored this long after the last edit (and on save and close)
DEPTH_RANGE = (1, 50)
DEFAULT_DEPTH = ContextNotes().authors_note_depth

MEMORY_HELP = "Always at the top of what the model sees: characters, setting, facts."
NOTE_HELP = "Style or direction, such as [Style: terse, ironic], inserted as a line of its own."
DEPTH_HELP = (
    "Where the Author's note goes, counted in lines back from the cursor: 1 puts it just before the "
    "line you are writing, 3 two lines above that. A shorter text gets it at the top, under the Memory."
)


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare the names as given
        return first == second


class PlainNotesEdit(QPlainTextEdit):
    """A plain-text box whose text, copy and paste keep every character exactly."""

    def __init__(self, name: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)  # Tab moves on, as in any form; a note needs no indent
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

    def text(self) -> str:
        """The text exactly as typed, lines separated by "\\n"."""
        return exact_text(self.document())

    def set_text(self, text: str) -> None:
        """Show ``text`` so that text() gives it back unchanged."""
        set_exact_text(self, text)

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802 - Qt's name
        """Copy, cut and drag carry the selection exactly (Qt's own turns U+00A0 into a space)."""
        data = QMimeData()
        data.setText(exact_selected_text(self.textCursor()))
        return data

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt's name
        """Paste and drop insert the text exactly (Qt's own turns U+2029 and U+FDD0/1 into line breaks)."""
        if self.isReadOnly() or not source.hasText():
            return
        cursor = self.textCursor()
        insert_as_undo_step(cursor, source.text())
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Shift+Enter makes a plain line break, as Enter does (the model sees "\\n", not U+2028)."""
        super().keyPressEvent(plain_line_break(event))


class ContextDock(QDockWidget):
    """Dockable Memory and Author's note of the document in the editor, stored per document."""

    notes_changed = Signal(object)  # ContextNotes: edited, or another document's loaded
    warning = Signal(str)  # one sentence for the status bar

    def __init__(self, parent: QWidget | None = None, *, folder: Path | None = None) -> None:
        super().__init__("Memory and Author's Note", parent)
        self.setObjectName("context-dock")
        self.folder = folder or notes_folder()
        self.path: Path | None = None  # the document the notes belong to; None while it is untitled
        self._unsaved = False  # edited since last stored
        self.problem = ""  # why the notes could not be stored last time, one sentence; "" when they were
        self._loading = False

        body = QWidget()
        layout = QVBoxLayout(body)
        self.memory_edit = PlainNotesEdit("context-memory", "Who, where, what the model should know")
        self.memory_tokens = QLabel("")
        self._add_section(layout, "Memory", MEMORY_HELP, self.memory_edit, self.memory_tokens)
        self.note_edit = PlainNotesEdit("context-note", "[Style: …]")
        self.note_tokens = QLabel("")
        self._add_section(layout, "Author's note", NOTE_HELP, self.note_edit, self.note_tokens)
        self.note_edit.setMaximumHeight(self.note_edit.fontMetrics().lineSpacing() * 5)

        depth_row = QHBoxLayout()
        self.depth_spin = QSpinBox()
        self.depth_spin.setObjectName("context-depth")
        self.depth_spin.setRange(*DEPTH_RANGE)
        self.depth_spin.setValue(DEFAULT_DEPTH)
        self.depth_spin.setToolTip(DEPTH_HELP)
        before, self.depth_after = QLabel("Insert"), QLabel("lines before the cursor")
        after = self.depth_after
        before.setBuddy(self.depth_spin)
        for widget in (before, after):
            widget.setToolTip(DEPTH_HELP)
        depth_row.addWidget(before)
        depth_row.addWidget(self.depth_spin)
        depth_row.addWidget(after, 1)
        layout.addLayout(depth_row)
        self.setWidget(body)

        self.save_timer = QTimer(self)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(SAVE_DELAY_MS)
        self.save_timer.timeout.connect(self.flush)
        self.memory_edit.textChanged.connect(self._on_edited)
        self.note_edit.textChanged.connect(self._on_edited)
        self.depth_spin.valueChanged.connect(self._on_edited)

    @staticmethod
    def _add_section(
        layout: QVBoxLayout, title: str, help_text: str, edit: PlainNotesEdit, tokens: QLabel
    ) -> None:
        heading = QHBoxLayout()
        label = QLabel(f"<b>{title}</b>")
        label.setBuddy(edit)
        heading.addWidget(label, 1)
        tokens.setToolTip("Tokens this text takes in the model's window")
        tokens.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        heading.addWidget(tokens)
        layout.addLayout(heading)
        about = QLabel(help_text)
        about.setWordWrap(True)
        font = about.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)  # an explanation, smaller than the controls
        about.setFont(font)
        layout.addWidget(about)
        edit.setToolTip(help_text)
        layout.addWidget(edit, 1)

    # -- the notes --------------------------------------------------------------------------------
    def notes(self) -> ContextNotes:
        """What the dock shows now, exactly as typed."""
        return ContextNotes(
            memory=self.memory_edit.text(),
            authors_note=self.note_edit.text(),
            authors_note_depth=self.depth_spin.value(),
        )

    def set_notes(self, notes: ContextNotes) -> None:
        """Show ``notes`` (another document's) and announce them; they count as stored."""
        self._loading = True
        try:
            self.memory_edit.set_text(notes.memory)
            self.note_edit.set_text(notes.authors_note)
            self.depth_spin.setValue(min(max(notes.authors_note_depth, DEPTH_RANGE[0]), DEPTH_RANGE[1]))
        finally:
            self._loading = False
        self._unsaved = False
        self.save_timer.stop()
        self.notes_changed.emit(self.notes())

    def set_token_counts(self, memory: int | None, note: int | None) -> None:
        """Each text's size in tokens (None: no model loaded, nothing shown)."""
        for label, count in ((self.memory_tokens, memory), (self.note_tokens, note)):
            label.setText("" if count is None else f"{count:,} token{'' if count == 1 else 's'}")

    def _on_edited(self) -> None:
        plural = "" if self.depth_spin.value() == 1 else "s"
        self.depth_after.setText(f"line{plural} before the cursor")
        if self._loading:
            return
        self._unsaved = True
        self.save_timer.start()
        self.notes_changed.emit(self.notes())

    # -- the document they belong to --------------------------------------------------------------
    def open_document(self, path: Path | None) -> None:
        """Another document is in the editor: store the last one's notes, show this one's (none if new)."""
        self.flush()
        self.path = path
        notes = ContextNotes()
        warnings: list[str] = []
        if path is not None:
            try:
                notes, warnings = load_context_notes(path, self.folder)
            except OSError as exc:  # the stored notes cannot be read: start empty, say so
                warnings = [f"The Memory and Author's note of {path.name} could not be read: {exc}."]
        self.set_notes(notes)
        for message in warnings:
            self.warning.emit(message)

    def document_saved(self, old: Path | None, new: Path) -> None:
        """The document was written to ``new`` (from ``old``, None if untitled): store its notes there.

        Save As copies them: the file it was saved from is still on disk, unchanged, and still has its
        notes when it is opened again (a writer keeps "draft 1" and goes on in "draft 2").
        """
        renamed = old is None or not _same_file(old, new)
        if old is not None and renamed:
            self.flush()  # edits of the last second belong to the original too
        self.path = new
        if renamed:
            self._unsaved = True  # what the dock shows belongs to the new name
        self.flush()

    def flush(self) -> bool:
        """Store edited notes now; False (after a one-sentence warning) when they could not be written.

        Nothing is lost on failure: the notes stay in the dock and are tried again at the next edit or save.
        """
        problem = self.store()
        if problem is not None:
            self.warning.emit(f"{problem.removesuffix('.')}; they stay in the dock until they can be.")
        return problem is None

    def store(self) -> str | None:
        """Store edited notes now; None when they are stored, else the one-sentence reason they are not."""
        self.save_timer.stop()
        if not self._unsaved or self.path is None:
            return None
        try:
            save_context_notes(self.path, self.notes(), self.folder)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.problem = (
                f"The Memory and Author's note of {self.path.name} could not be stored in "
                f"{self.folder} ({reason})."
            )
            return self.problem
        self._unsaved = False
        self.problem = ""
        return None

    def unsaved_untitled(self) -> bool:
        """True when an untitled document has a Memory or an Author's note (kept nowhere but here)."""
        return self.path is None and bool(self.memory_edit.text() or self.note_edit.text())

    def drop_unsaved(self) -> None:
        """The writer gave up the notes that could not be stored: nothing is pending any more."""
        self.save_timer.stop()
        self._unsaved = False

"""Provenance in the window: the tracker, View → Show Model Text, File → Export…, the status-bar share,
and the entry written with every save and recovery copy and read back on open and restore."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel

from gpt2_studio.core.documents.text_files import DocumentError
from gpt2_studio.core.provenance.export import export_document, export_formats
from gpt2_studio.core.provenance.offsets import Offsets
from gpt2_studio.core.provenance.records import checkpoint_hash
from gpt2_studio.core.provenance.store import (
    Provenance,
    discard_recovery_provenance,
    entry_path,
    load_provenance,
    load_recovery_provenance,
    provenance_folder,
    save_provenance,
    save_recovery_provenance,
)
from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.provenance.tracker import ProvenanceTracker
from gpt2_studio.gui.provenance.view import ProvenanceView

if TYPE_CHECKING:
    from gpt2_studio.gui.editor.recovery_writer import Snapshot
    from gpt2_studio.gui.main_window import MainWindow
    from gpt2_studio.gui.models.worker import ModelInfo

log = logging.getLogger(__name__)


class ProvenanceUi(QObject):
    """Everything provenance adds to one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        editor, session = window.editor, window.session
        self.tracker = ProvenanceTracker(editor)
        self.tracker.settings_source = lambda: window.controller.settings
        self.label = QLabel()
        self.label.setObjectName("provenance-share")
        window.status_bar.addPermanentWidget(self.label)
        self.view = ProvenanceView(editor, self.tracker, self.label)
        self.show_action = QAction("Show &Model Text", self)
        self.show_action.setObjectName("action-show-model-text")
        self.show_action.setCheckable(True)
        self.show_action.setStatusTip("Tint the text a model wrote; hover it to see how it was made")
        self.show_action.toggled.connect(self.view.set_shown)
        self.show_action.toggled.connect(self._remember_shown)
        self.show_action.setChecked(window.settings.show_model_text)
        window.main_menu.view_menu.addAction(self.show_action)
        self.export_action = QAction("&Export…", self)
        self.export_action.setObjectName("action-export")
        self.export_action.setStatusTip("The text, or Markdown/HTML with model text marked, and a report")
        self.export_action.triggered.connect(self.export_dialog)
        file_menu = window.main_menu.actions()[0].menu()
        anchor = next((a for a in file_menu.actions() if a.text().startswith("Reopen with")), None)
        after = file_menu.actions()[file_menu.actions().index(anchor) + 1] if anchor else None
        file_menu.insertAction(after, self.export_action)
        window.worker.model_loaded.connect(self.model_loaded)
        session.replaced.connect(self.document_opened)
        session.saved.connect(self.document_saved)
        session.recovery_queued.connect(self.recovery_copy)
        session.recovered.connect(self.restored)

    def _remember_shown(self, on: bool) -> None:
        self.window.settings.show_model_text = on  # saved with the other settings when the window closes

    # -- the model ------------------------------------------------------------------------------
    def model_loaded(self, info: ModelInfo) -> None:
        """Later model text names this model (its checkpoint hash reads kilobytes, not the weights)."""
        self.tracker.model = {
            "name": info.name,
            "checkpoint": checkpoint_hash(info.folder),
            "device": info.device,
            "precision": info.precision,
        }

    # -- the entry ------------------------------------------------------------------------------
    def document_opened(self, path: Path | None) -> None:
        """A document is in the editor: its spans, when its entry matches (or can be re-anchored)."""
        if path is None or not entry_path(path, provenance_folder()).exists():
            self.tracker.reset()  # nothing kept: no need to read the whole text
            return
        text = exact_text(self.window.editor.document())
        loaded = load_provenance(path, text, provenance_folder())
        self.tracker.reset(loaded.provenance, text)
        for notice in loaded.notices:
            self.window.status_bar.showMessage(notice, 0)

    def document_saved(self, _previous: Path | None, path: Path) -> None:
        """Write the entry with the text as saved (or remove a stale one when nothing is owned)."""
        if not len(self.tracker.table) and not entry_path(path, provenance_folder()).exists():
            return  # nothing to keep, nothing to remove: the text need not be read again
        text = exact_text(self.window.editor.document())
        try:
            save_provenance(
                path, text, self.tracker.provenance(text), provenance_folder(), self.window.session.encoding
            )
        except OSError as error:
            reason = (error.strerror or str(error)).rstrip(".")
            self.window.status_bar.showMessage(f"The record of model text could not be kept: {reason}.", 0)

    def recovery_copy(self, snapshot: Snapshot) -> None:
        """Keep the spans with the recovery copy, written on the recovery writer's thread."""
        spans, records = self.tracker.spans(), dict(self.tracker.records)
        folder = self.window.session.recovery.provenance_file(snapshot.doc_id).parent

        def write() -> None:
            try:
                if not spans:  # nothing owned: only an older entry to remove, no text to read
                    discard_recovery_provenance(snapshot.doc_id, folder)
                    return
                text = snapshot.text.exact()
                chars = Offsets(text).spans_to_chars(spans)
                provenance = Provenance(chars, {s.record: records[s.record] for s in chars})
                save_recovery_provenance(snapshot.doc_id, text, provenance, folder)
            except OSError as error:
                log.warning("Could not keep the provenance of the recovery copy: %s", error)

        self.window.session.recovery_writer.run(write)

    def restored(self, doc_id: str) -> None:
        """Unsaved work came back: so do its spans (and the new copy keeps them)."""
        session = self.window.session
        folder = session.recovery.provenance_file(doc_id).parent
        text = exact_text(self.window.editor.document())
        loaded = load_recovery_provenance(doc_id, text, folder)
        self.tracker.reset(loaded.provenance, text)
        try:
            save_recovery_provenance(session.doc_id, text, self.tracker.provenance(text), folder)
        except OSError as error:
            log.warning("Could not keep the provenance of the restored copy: %s", error)

    # -- export ---------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        """File → Export…: ask for a file (its type by suffix), write it and the JSON report."""
        session = self.window.session
        stem = session.path.stem if session.path else "Untitled"
        folder = session.path.parent if session.path else Path.home()
        questions: Any = self.window.questions
        ask = getattr(questions, "export_path", None)
        if ask is not None:
            chosen = ask(str(folder / f"{stem}.html"))
        else:
            chosen, _filter = QFileDialog.getSaveFileName(
                self.window, "Export", str(folder / f"{stem}.html"), ";;".join(export_formats().values())
            )
        if chosen:
            self.export(Path(chosen))

    def export(self, path: Path) -> bool:
        """Write the export and its report; False (and a message) when they cannot be written."""
        text = exact_text(self.window.editor.document())
        session = self.window.session
        try:
            report = export_document(
                path, text, self.tracker.provenance(text), encoding=session.encoding, newline=session.newline
            )
        except DocumentError as error:
            self.window.questions.error("Cannot export", str(error))
            return False
        self.window.status_bar.showMessage(f"Exported {path} and its report {report.name}", 6000)
        return True


def install_provenance(window: MainWindow) -> ProvenanceUi:
    """Add provenance to ``window``."""
    return ProvenanceUi(window)

"""The tracker under random keystrokes, model insertions, deletions, pastes, undo and redo, checked
against a per-character ownership array: after an undo or redo the text and its owners are exactly those
the document had when it was last at that undo state."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.insertion import insert_as_undo_step
from gpt2_studio.gui.provenance.hooks import model_insertion
from gpt2_studio.gui.provenance.tracker import ProvenanceTracker


def owners_of(tracker: ProvenanceTracker, length: int) -> list[str | None]:
    owners: list[str | None] = [None] * length
    for start, end, record in tracker.spans():
        owners[start:end] = [tracker.records[record].action] * (end - start)
    return owners


@pytest.mark.parametrize("seed", range(20))
def test_random_edits_undo_and_redo(qtbot, seed: int) -> None:
    rng = random.Random(seed)
    editor = GhostTextEdit()
    qtbot.addWidget(editor)
    tracker = ProvenanceTracker(editor)
    document = editor.document()
    owners: list[str | None] = []
    seen: dict[int, tuple[str, list[str | None]]] = {}

    def place(position: int, anchor: int | None = None) -> None:
        cursor = editor.textCursor()
        cursor.setPosition(position if anchor is None else anchor)
        if anchor is not None:
            cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
        editor.setTextCursor(cursor)

    clipboard: list[str | None] | None = None
    QApplication.clipboard().clear()
    for _step in range(80):
        length = len(owners)
        action = rng.choice(
            ["type", "type", "model", "model", "delete", "cut", "paste", "outside", "undo", "undo", "redo"]
        )
        seen[document.availableUndoSteps()] = (exact_text(document), list(owners))
        if action == "type":
            at = rng.randrange(0, length + 1)
            place(at)
            word = rng.choice(["ab", "x", "hello "])
            qtbot.keyClicks(editor, word)
            owners[at:at] = [None] * len(word)
        elif action == "model":
            at = rng.randrange(0, length + 1)
            end = min(length, at + rng.choice([0, 0, 3]))
            place(end, at)
            text = rng.choice(["MODEL", "Zz", "the model "])
            kind = rng.choice(["suggestion", "word"])
            cursor = editor.textCursor()
            with model_insertion(editor, kind, settings={"seed": 1}):
                insert_as_undo_step(cursor, text)
            owners[at:end] = [kind] * len(text)
        elif action == "delete" and length:
            at = rng.randrange(0, length)
            end = min(length, at + rng.randrange(1, 6))
            place(end, at)
            qtbot.keyClick(editor, Qt.Key.Key_Delete)
            owners[at:end] = []
        elif action == "cut" and length:
            at = rng.randrange(0, length)
            end = min(length, at + rng.randrange(1, 8))
            place(end, at)
            qtbot.keyClick(editor, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)
            clipboard = owners[at:end]
            owners[at:end] = []
        elif action == "paste" and clipboard:
            at = rng.randrange(0, length + 1)
            place(at)
            qtbot.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
            owners[at:at] = clipboard  # copied from this document: its spans travel
        elif action == "outside":
            QApplication.clipboard().setText("from elsewhere")
            clipboard = ["paste"] * len("from elsewhere")
            at = rng.randrange(0, length + 1)
            place(at)
            qtbot.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
            owners[at:at] = clipboard
        elif action in ("undo", "redo"):
            available = document.isUndoAvailable() if action == "undo" else document.isRedoAvailable()
            if not available:
                continue
            editor.undo() if action == "undo" else editor.redo()
            text, owners = seen[document.availableUndoSteps()]
            assert exact_text(document) == text  # the oracle's own check
            owners = list(owners)
        assert len(owners) == document.characterCount() - 1
        assert owners_of(tracker, len(owners)) == owners, (seed, _step, action)

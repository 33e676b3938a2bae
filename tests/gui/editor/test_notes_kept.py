"""A document's Memory and Author's note are never lost without a question: New, Open, Open Recent and
Quit ask about an untitled document's notes as they do about its text, and notes that cannot be stored
keep the window (and the document) open until the writer says to go on without them."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from gpt2_studio.core.documents.context_notes import ContextNotes, load_context_notes, notes_folder
from tests.as_nobody import NOBODY, public_temp_dir, run_as_nobody
from tests.gui.editor.test_context_dock import _open_dock, _type_into


def _leave(window, how: str, other) -> bool:
    """Leave the document the way a writer would; True when it is gone (the window closed, or replaced)."""
    before = window.session.doc_id  # a new one for each document the editor holds
    if how == "new":
        window.new_document()
    elif how == "open":
        window.questions.answer("open_path", str(other))
        window.session.open_dialog()
    elif how == "recent":
        window.session.open_recent(str(other))
    else:
        return window.close()
    return window.session.doc_id != before


LEAVE = ["new", "open", "recent", "close"]


@pytest.fixture
def other(tmp_path):
    """Another document to open in place of the current one."""
    path = tmp_path / "other.txt"
    path.write_text("Other\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("how", LEAVE)
@pytest.mark.parametrize("with_text", [False, True], ids=["notes-only", "text-and-notes"])
def test_an_untitled_documents_notes_are_asked_about_and_cancel_keeps_them(
    make_window, qtbot, other, how, with_text
):
    window = make_window(load=False)
    if with_text:
        qtbot.keyClicks(window.editor, "Draft")
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Ada narrates.")
    window.questions.answer("ask_save_changes", "cancel")
    assert not _leave(window, how, other)
    assert window.questions.asked[-1] == ("ask_save_changes", ("Untitled",))
    assert window.isVisible()
    assert window.path is None
    assert window.context_dock.memory_edit.text() == "Ada narrates."
    assert window.controller.notes.memory == "Ada narrates."


@pytest.mark.parametrize("how", LEAVE)
def test_saving_an_untitled_document_when_asked_keeps_its_notes(make_window, qtbot, tmp_path, other, how):
    window = make_window(load=False)
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.note_edit, "[Style: terse]")
    saved = tmp_path / "kept.txt"
    window.questions.answer("ask_save_changes", "save")
    window.questions.answer("save_path", str(saved))
    assert _leave(window, how, other)
    assert saved.read_text(encoding="utf-8") == ""  # the notes are never written into the document
    assert load_context_notes(saved, notes_folder())[0] == ContextNotes(authors_note="[Style: terse]")


@pytest.mark.parametrize("how", LEAVE)
def test_discarding_an_untitled_document_drops_its_notes_and_nothing_is_stored(
    make_window, qtbot, other, how
):
    window = make_window(load=False)
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Ada narrates.")
    window.questions.answer("ask_save_changes", "discard")
    assert _leave(window, how, other)
    if how != "close":
        assert window.context_dock.notes() == ContextNotes()
        assert window.controller.notes == ContextNotes()
    folder = notes_folder()
    assert not folder.exists() or not any(folder.iterdir())


def test_an_untitled_document_without_notes_asks_nothing(make_window, qtbot, other):
    window = make_window(load=False)
    _open_dock(window, qtbot)
    window.context_dock.depth_spin.setValue(5)  # a depth alone is no writing to lose
    assert window.open_file(other)
    assert window.questions.asked == []


def _unwritable_notes(window, qtbot, tmp_path):
    """A named document whose notes were edited while the notes folder cannot be written."""
    document = tmp_path / "story.txt"
    document.write_text("Draft", encoding="utf-8")
    assert window.open_file(document)
    folder = notes_folder()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_bytes(b"")  # a file where the folder should be: nothing can be stored
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Ada narrates.")
    return document, folder


@pytest.mark.parametrize("how", LEAVE)
def test_notes_that_cannot_be_stored_keep_the_document_open_until_the_writer_says(
    make_window, qtbot, tmp_path, other, how
):
    window = make_window(load=False)
    document, folder = _unwritable_notes(window, qtbot, tmp_path)
    window.questions.answer("ask_drop_notes", False)
    assert not _leave(window, how, other)
    (question, (problem,)) = window.questions.asked[-1]
    assert question == "ask_drop_notes"
    assert "story.txt" in problem
    assert problem.endswith(".")
    assert "\n" not in problem
    assert window.isVisible()
    assert window.path == document
    assert window.context_dock.memory_edit.text() == "Ada narrates."
    folder.unlink()  # the writer frees the folder: now leaving stores them
    assert _leave(window, how, other)
    assert load_context_notes(document, folder)[0].memory == "Ada narrates."
    assert document.read_text(encoding="utf-8") == "Draft"


@pytest.mark.parametrize("how", LEAVE)
def test_going_on_without_notes_that_cannot_be_stored_says_nothing_false(
    make_window, qtbot, tmp_path, other, how
):
    window = make_window(load=False)
    document, folder = _unwritable_notes(window, qtbot, tmp_path)
    window.questions.answer("ask_drop_notes", True)
    assert _leave(window, how, other)
    if how != "close":
        assert window.path == (None if how == "new" else other)
        # No "they stay in the dock" after the writer let them go.
        assert "stay in the dock" not in window.statusBar().currentMessage()
        assert window.context_dock.notes() == ContextNotes()
    folder.unlink()
    assert document.read_text(encoding="utf-8") == "Draft"


def test_save_as_gives_the_copy_the_notes_and_the_original_keeps_its_own(make_window, qtbot, tmp_path):
    draft1, draft2 = tmp_path / "draft1.txt", tmp_path / "draft2.txt"
    draft1.write_text("Chapter one\n", encoding="utf-8")
    draft2.write_text("An older file\n", encoding="utf-8")
    window = make_window(load=False)
    assert window.open_file(draft2)
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Old file's memory")
    assert window.open_file(draft1)
    _type_into(qtbot, window.context_dock.memory_edit, "Ada narrates.")  # within the save delay
    window.questions.answer("save_path", str(draft2))
    assert window.save_as()  # over draft2, which had notes of its own
    folder = notes_folder()
    assert load_context_notes(draft2, folder)[0].memory == "Ada narrates."  # what the dock shows
    assert load_context_notes(draft1, folder)[0].memory == "Ada narrates."  # still on disk: kept
    _type_into(qtbot, window.context_dock.memory_edit, " She lies.")
    window.new_document()
    assert load_context_notes(draft2, folder)[0].memory == "Ada narrates. She lies."
    assert window.open_file(draft1)  # draft 1 reopened: its own notes, not the copy's later edits
    assert window.context_dock.memory_edit.text() == "Ada narrates."
    assert draft1.read_text(encoding="utf-8") == "Chapter one\n"


NOTES_AS_NOBODY = """
import json, sys
from pathlib import Path
from gpt2_studio.core.settings import load_settings
from PySide6.QtWidgets import QApplication
from gpt2_studio.gui.launch import editor_defaults
from gpt2_studio.gui.main_window import MainWindow
from gpt2_studio.gui.models.worker import WorkerThread

class Answers:
    def __init__(self):
        self.asked = []
        self.replies = [False, True]
    def ask_drop_notes(self, problem):
        self.asked.append(problem)
        return self.replies.pop(0)

app = QApplication([])
worker = WorkerThread()
window = MainWindow(load_settings()[0], worker, defaults=editor_defaults())
window.questions = Answers()
window.show()
assert window.open_file(Path(sys.argv[1]))
window.context_dock.memory_edit.insertPlainText("Ada narrates.")  # as typed
first = window.close()
visible, kept = window.isVisible(), window.context_dock.memory_edit.text()
second = window.close()
worker.stop()
print(json.dumps({"first": first, "visible": visible, "kept": kept, "second": second,
                  "asked": window.questions.asked}))
"""


def test_a_read_only_notes_folder_as_a_real_user_asks_before_closing():
    home = public_temp_dir()
    try:
        os.chown(home, NOBODY, NOBODY)
        notes = home / "data" / "context_notes"
        notes.mkdir(parents=True)
        os.chown(notes.parent, NOBODY, NOBODY)  # the data folder is the user's; the notes folder is not
        notes.chmod(0o755)
        document = home / "story.txt"
        document.write_text("Draft", encoding="utf-8")
        os.chown(document, NOBODY, NOBODY)
        code = NOTES_AS_NOBODY.replace("sys.argv[1]", repr(str(document)))
        result = run_as_nobody(code, {"GPT2_STUDIO_HOME": str(home)}, timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert (report["first"], report["visible"], report["second"]) == (False, True, True)
        assert report["kept"] == "Ada narrates."
        (problem, again) = report["asked"]
        assert "story.txt" in problem
        assert "permission denied" in problem.lower()
        assert problem.endswith(".")
        assert list(notes.iterdir()) == []
        assert document.read_text(encoding="utf-8") == "Draft"
    finally:
        shutil.rmtree(home)

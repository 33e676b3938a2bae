"""The document session on its own: a real editor, real files, scripted questions, no main window."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QTextCursor

from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.editor.document_session import DocumentSession
from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from tests.gui.conftest import ScriptedQuestions


@pytest.fixture
def session(qtbot) -> Iterator[DocumentSession]:
    editor = GhostTextEdit()
    qtbot.addWidget(editor)
    editor.show()
    session = DocumentSession(editor, ScriptedQuestions(), AppSettings())
    yield session
    editor.document().setModified(False)
    session.close()


def _type(qtbot, session: DocumentSession, text: str) -> None:
    session.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(session.editor, text)


def _copies(session: DocumentSession) -> list:
    return list(session.recovery.folder.glob("*.recovery"))


def test_a_cp1252_crlf_file_opens_in_the_chosen_encoding_and_saves_back_byte_for_byte(
    session, qtbot, tmp_path
):
    target = tmp_path / "lettre.txt"
    original = "Déjà vu\r\nPrix\u00a0: 10\u00a0€\r\n".encode("cp1252")
    target.write_bytes(original)
    session.questions.answer("choose_encoding", "cp1252")
    titles: list[str] = []
    session.title_changed.connect(lambda: titles.append(session.title()))
    assert session.open_file(target)
    assert (session.path, session.encoding, session.newline) == (target, "cp1252", "\r\n")
    assert session.title().startswith("lettre.txt [Windows-1252")
    _type(qtbot, session, "Fin")
    assert session.title().startswith("*lettre.txt")
    with qtbot.waitSignal(session.message) as saved:
        assert session.save()
    assert saved.args == [f"Saved {target}", 4000]
    assert target.read_bytes() == original + b"Fin"
    assert titles[-1].startswith("lettre.txt [Windows-1252")
    assert session.settings.recent_files == [str(target)]


def test_a_file_changed_on_disk_is_overwritten_only_when_the_user_says_so(session, qtbot, tmp_path):
    target = tmp_path / "shared.txt"
    target.write_text("first\n")
    assert session.open_file(target)
    target.write_text("first\nsomeone else's line\n")
    _type(qtbot, session, "mine")
    session.questions.answer("ask_overwrite_changed", False)
    assert not session.save()
    assert target.read_text() == "first\nsomeone else's line\n"
    assert session.editor.document().isModified()
    session.questions.answer("ask_overwrite_changed", True)
    assert session.save()
    assert target.read_text() == "first\nmine"


def test_unsaved_changes_are_asked_about_before_another_document_replaces_them(session, qtbot, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("other text")
    _type(qtbot, session, "draft")
    session.questions.answer("ask_save_changes", "cancel")
    assert not session.open_file(other)
    assert session.editor.toPlainText() == "draft"
    seen_when_replacing: list[str] = []
    session.replacing.connect(lambda: seen_when_replacing.append(session.editor.toPlainText()))
    session.questions.answer("ask_save_changes", "discard")
    assert session.open_file(other)
    assert seen_when_replacing == ["draft"]  # told before the text goes: suggestions stop first
    assert session.editor.toPlainText() == "other text"
    assert not session.editor.document().isModified()


def test_a_missing_recent_file_is_explained_and_the_text_stays(session, qtbot, tmp_path):
    _type(qtbot, session, "kept")
    session.editor.document().setModified(False)
    session.questions.answer("error", None)
    assert not session.open_recent(str(tmp_path / "gone.txt"))
    assert session.questions.asked[-1][0] == "error"
    assert session.editor.toPlainText() == "kept"


def test_a_recovery_copy_is_written_off_the_editor_and_restored_by_a_new_session(session, qtbot, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_bytes(b"line one\r\n")
    assert session.open_file(target)
    _type(qtbot, session, "unsaved")
    session.write_recovery()
    session.recovery_writer.wait(10)
    (left,) = _copies(session)
    # As if this session had crashed: its copy names an instance that no longer runs.
    header, _newline, text = left.read_bytes().partition(b"\n")
    record = json.loads(header)
    assert record["source_path"] == str(target)
    record["instance"] = "0" * 32
    left.write_bytes(json.dumps(record).encode() + b"\n" + text)

    later = GhostTextEdit()
    qtbot.addWidget(later)
    restored = DocumentSession(later, ScriptedQuestions(), AppSettings())
    restored.questions.answer("ask_restore", True)
    with qtbot.waitSignal(restored.message) as told:
        assert restored.offer_recovery()
    assert "Restored unsaved work" in told.args[0]
    assert exact_text(later.document()) == "line one\nunsaved"
    assert (restored.path, restored.newline) == (target, "\r\n")
    assert later.document().isModified()
    (copy,) = _copies(restored)  # the restoring session's own copy, in place of the old one
    assert restored.doc_id in copy.name
    later.document().setModified(False)
    restored.close()
    assert _copies(restored) == []
    assert target.read_bytes() == b"line one\r\n"


def test_closing_stops_the_timers_and_removes_the_copy(session, qtbot):
    _type(qtbot, session, "x")
    assert session.first_copy_timer.isActive()
    session.write_recovery()
    session.recovery_writer.wait(10)
    assert len(_copies(session)) == 1
    session.close()
    assert not session.first_copy_timer.isActive()
    assert not session.recovery_timer.isActive()
    assert _copies(session) == []

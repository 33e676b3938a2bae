"""The Memory and Author's note dock in the real window: keystrokes, real files, the real model worker."""

from __future__ import annotations

import os

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QAction

from gpt2_studio.core.documents.context_notes import ContextNotes, load_context_notes, notes_folder
from gpt2_studio.core.generation.context import Prompt
from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.main_menu import CONTEXT_DOCK_SHORTCUT
from gpt2_studio.gui.models.worker import GenerationRequest
from gpt2_studio.gui.shortcuts_dialog import collect_shortcuts

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier






def _requests(window, monkeypatch) -> list[GenerationRequest]:
    """Every request the suggestions hand to the worker, recorded on its way there (it still runs)."""
    seen: list[GenerationRequest] = []
    submit = window.worker.submit

    def recording_submit(request: GenerationRequest) -> None:
        seen.append(request)
        submit(request)

    monkeypatch.setattr(window.worker, "submit", recording_submit)
    return seen


def _toggle_dock(window, qtbot) -> None:
    window.activateWindow()  # shortcuts reach the active window only
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.focusWidget() or window.editor, Qt.Key.Key_N, CTRL | SHIFT)


def _open_dock(window, qtbot) -> None:
    _toggle_dock(window, qtbot)
    qtbot.waitUntil(window.context_dock.isVisible)


def _type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    for line_number, line in enumerate(text.split("\u2028")):
        if line_number:  # a U+2028 comes in by paste (Shift+Enter types a plain line break)
            separator = QMimeData()
            separator.setText("\u2028")
            widget.insertFromMimeData(separator)
        qtbot.keyClicks(widget, line)


def _suggest(window, qtbot) -> None:
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(
        lambda: window.editor.ghost is not None and not window.controller.in_flight, timeout=20_000
    )


def _set_depth(qtbot, window, depth: int) -> None:
    spin = window.context_dock.depth_spin
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(spin, str(depth))


MEMORY = "Ada\u00a0Lovelace is the narrator.\u2028She writes letters."


def test_the_dock_toggles_with_its_shortcut_and_its_key_clashes_with_no_other(window, qtbot):
    assert not window.context_dock.isVisible()  # off until the writer asks for it
    _open_dock(window, qtbot)
    rows = collect_shortcuts(window)
    assert any("Memory and Author's Note" in what for _keys, what in rows)
    shortcuts = [
        sequence.toString()
        for action in window.findChildren(QAction)
        for sequence in action.shortcuts()
        if not sequence.isEmpty()
    ]
    assert shortcuts.count(CONTEXT_DOCK_SHORTCUT) == 1
    assert len(shortcuts) == len(set(shortcuts))
    _toggle_dock(window, qtbot)
    qtbot.waitUntil(lambda: not window.context_dock.isVisible())


def test_the_dock_stays_shown_in_the_next_session(make_window, qtbot):
    first = make_window(load=False)
    _open_dock(first, qtbot)
    first.close()
    assert first.settings.show_context_dock is True
    second = make_window(AppSettings(show_context_dock=True), load=False)
    assert second.context_dock.isVisible()


def test_typing_in_the_dock_changes_the_request_the_worker_gets(window, qtbot, monkeypatch):
    requests = _requests(window, monkeypatch)
    qtbot.keyClicks(window.editor, "Once upon a time")
    _suggest(window, qtbot)
    assert requests[-1].prompt == "Once upon a time"  # no notes: the plain text, as before
    _open_dock(window, qtbot)
    dock = window.context_dock
    _type_into(qtbot, dock.memory_edit, MEMORY)
    assert window.editor.ghost is None  # the ghost was made without the Memory: it goes
    _type_into(qtbot, dock.note_edit, "[Style: terse]")
    _set_depth(qtbot, window, 1)
    assert dock.depth_after.text() == "line before the cursor"
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    _suggest(window, qtbot)
    assert requests[-1].prompt == Prompt(
        text="Once upon a time", memory=MEMORY, authors_note="[Style: terse]", authors_note_depth=1
    )
    assert window.editor.ghost_text()  # the worker answered the Prompt
    dock.memory_edit.selectAll()
    qtbot.keyClick(dock.memory_edit, Qt.Key.Key_Delete)
    _suggest(window, qtbot)
    assert requests[-1].prompt == Prompt(
        "Once upon a time", authors_note="[Style: terse]", authors_note_depth=1
    )
    dock.note_edit.selectAll()
    qtbot.keyClick(dock.note_edit, Qt.Key.Key_Delete)
    _suggest(window, qtbot)
    assert requests[-1].prompt == "Once upon a time"


def test_token_counts_show_once_a_model_is_loaded(make_window, qtbot, tiny_model_dir):
    window = make_window(load=False)
    _open_dock(window, qtbot)
    dock = window.context_dock
    _type_into(qtbot, dock.memory_edit, "Ada is the narrator.")
    qtbot.waitUntil(lambda: not window.context_window_timer.isActive())  # counted: nothing, no model
    assert dock.memory_tokens.text() == ""
    window.load_model(str(tiny_model_dir))
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    # What each costs in the window: as a line of its own, with its line end.
    expected = len(window.worker._engine.tokenize("Ada is the narrator.\n"))
    qtbot.waitUntil(lambda: dock.memory_tokens.text() == f"{expected} tokens")
    _type_into(qtbot, dock.note_edit, "x")
    qtbot.waitUntil(lambda: dock.note_tokens.text() == "2 tokens")
    label = window.status_bar.context_window_label
    qtbot.waitUntil(lambda: "Memory" in label.toolTip())
    # The dock and the window fill give the same numbers.
    assert f"Memory {expected} tokens, Author's note 2 tokens" in label.toolTip()
    dock.memory_edit.setFocus()
    qtbot.keyClick(dock.memory_edit, Qt.Key.Key_Return)  # a Memory ending with its line end costs no more
    qtbot.waitUntil(lambda: not window.context_window_timer.isActive())
    assert dock.memory_tokens.text() == f"{expected} tokens"


def test_notes_survive_closing_and_reopening_without_touching_the_document(make_window, qtbot, tmp_path):
    document = tmp_path / "story.txt"
    document.write_bytes(b"Chapter one\r\nIt rained.\r\n")
    before = (document.read_bytes(), os.stat(document).st_mtime_ns)
    window = make_window(load=False)
    assert window.open_file(document)
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, MEMORY)
    _type_into(qtbot, window.context_dock.note_edit, "[Style: terse]")
    _set_depth(qtbot, window, 7)
    window.close()  # within the save delay: closing stores them
    assert (document.read_bytes(), os.stat(document).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.txt", "studio-home"]  # nothing beside it

    reopened = make_window(AppSettings(show_context_dock=True), load=False)
    assert reopened.context_dock.memory_edit.text() == ""
    assert reopened.open_file(document)
    dock = reopened.context_dock
    assert dock.notes() == ContextNotes(MEMORY, "[Style: terse]", 7)
    assert reopened.controller.notes == dock.notes()  # and the suggestions use them
    assert (document.read_bytes(), os.stat(document).st_mtime_ns) == before


def test_edits_are_stored_after_a_pause_and_new_clears_them(window, qtbot, tmp_path):
    document = tmp_path / "a.txt"
    document.write_text("Text\n", encoding="utf-8")
    assert window.open_file(document)
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Facts")
    qtbot.waitUntil(lambda: load_context_notes(document, notes_folder())[0].memory == "Facts", timeout=5000)
    window.new_document()
    assert window.context_dock.notes() == ContextNotes()
    assert window.controller.notes == ContextNotes()
    assert window.path is None
    assert window.open_file(document)
    assert window.context_dock.memory_edit.text() == "Facts"


def test_save_as_copies_the_notes_and_an_untitled_documents_notes_are_stored_on_first_save(
    window, qtbot, tmp_path
):
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    qtbot.keyClicks(window.editor, "Draft")
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.note_edit, "[Tone: warm]")
    folder = notes_folder()
    assert not folder.exists() or not any(folder.iterdir())  # untitled: kept in the dock only
    window.questions.answer("save_path", str(first))
    assert window.save()
    assert load_context_notes(first, folder)[0].authors_note == "[Tone: warm]"
    window.questions.answer("save_path", str(second))
    assert window.save_as()
    assert load_context_notes(second, folder)[0].authors_note == "[Tone: warm]"
    # The first file is still on disk: it keeps its notes (see test_notes_kept for Save As copies).
    assert load_context_notes(first, folder)[0].authors_note == "[Tone: warm]"
    assert first.read_text(encoding="utf-8") == "Draft"  # the notes never go into the files
    assert second.read_text(encoding="utf-8") == "Draft"


def test_notes_that_cannot_be_stored_give_one_sentence_and_stay_in_the_dock(window, qtbot, tmp_path):
    document = tmp_path / "a.txt"
    document.write_text("Text\n", encoding="utf-8")
    assert window.open_file(document)
    folder = notes_folder()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_bytes(b"")  # a file where the folder should be: no notes can be written
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Facts")
    qtbot.waitUntil(lambda: "could not be stored" in window.statusBar().currentMessage(), timeout=5000)
    message = window.statusBar().currentMessage()
    assert message.count(". ") == 0
    assert message.endswith(".")
    assert window.context_dock.memory_edit.text() == "Facts"
    assert document.read_text(encoding="utf-8") == "Text\n"
    folder.unlink()  # the folder can be made again: the next edit stores everything
    _type_into(qtbot, window.context_dock.memory_edit, "!")
    qtbot.waitUntil(lambda: load_context_notes(document, folder)[0].memory == "Facts!", timeout=5000)


def test_the_window_fill_counts_memory_and_note(window, qtbot):
    label = window.status_bar.context_window_label
    qtbot.keyClicks(window.editor, "Some text")
    qtbot.waitUntil(lambda: label.text().startswith("Window: "))
    without = int(label.text().removeprefix("Window: ").rstrip("%"))
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Ada is the narrator. " * 3)
    _type_into(qtbot, window.context_dock.note_edit, "[Style: terse]")
    qtbot.waitUntil(lambda: "Memory" in label.toolTip())
    assert int(label.text().removeprefix("Window: ").rstrip("%")) > without
    assert "Author's note" in label.toolTip()


def test_an_over_long_memory_gives_one_sentence_and_the_app_keeps_working(window, qtbot, monkeypatch):
    requests = _requests(window, monkeypatch)
    failures: list[str] = []
    window.worker.failed.connect(lambda _rid, message: failures.append(message))
    qtbot.keyClicks(window.editor, "Once upon a time")
    _open_dock(window, qtbot)
    dock = window.context_dock
    dock.memory_edit.set_text("The narrator remembers everything. " * 60)  # far past the 128-token window
    dock.memory_edit.moveCursor(dock.memory_edit.textCursor().MoveOperation.End)
    _type_into(qtbot, dock.memory_edit, ".")
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    # The list fills on the worker's thread; the status bar once the GUI thread has the signal.
    qtbot.waitUntil(lambda: bool(failures), timeout=20_000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == failures[-1])
    assert isinstance(requests[-1].prompt, Prompt)
    assert failures[-1].endswith(".")
    assert "\n" not in failures[-1]
    assert window.editor.ghost is None
    label = window.status_bar.context_window_label
    qtbot.waitUntil(lambda: label.text() == "Window: too full")
    assert label.toolTip() == failures[-1]
    dock.memory_edit.selectAll()
    qtbot.keyClick(dock.memory_edit, Qt.Key.Key_Delete)
    _suggest(window, qtbot)  # a short Memory: suggestions work again
    assert window.editor.ghost_text()
    assert window.editor.toPlainText() == "Once upon a time"


def test_a_damaged_notes_entry_opens_the_document_with_one_sentence(window, qtbot, tmp_path):
    document = tmp_path / "a.txt"
    document.write_text("Text\n", encoding="utf-8")
    assert window.open_file(document)
    _open_dock(window, qtbot)
    _type_into(qtbot, window.context_dock.memory_edit, "Facts")
    window.new_document()  # stores them
    entries = list(notes_folder().iterdir())
    assert entries
    for entry in entries:
        entry.write_text('{"memory": ', encoding="utf-8")
    assert window.open_file(document)
    message = window.statusBar().currentMessage()
    assert "a.txt" in message
    assert message.endswith(".")
    assert window.context_dock.notes() == ContextNotes()
    assert window.editor.toPlainText() == "Text\n"
    _type_into(qtbot, window.context_dock.memory_edit, "New facts")  # and they can be written again
    window.new_document()
    assert load_context_notes(document, notes_folder())[0].memory == "New facts"

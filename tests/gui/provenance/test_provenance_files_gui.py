"""Provenance with the document's files: a Samples document, recovery copies, export, and offsets in
characters where Qt counts UTF-16 units."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QToolTip

from gpt2_studio.core.presets.storage import builtin_presets
from gpt2_studio.core.presets.templates import find_preset
from gpt2_studio.core.provenance.store import load_provenance, provenance_folder
from gpt2_studio.gui.editor.block_formats import utf16_length
from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.presets.runner import sample_separator
from gpt2_studio.gui.provenance.hooks import model_insertion
from gpt2_studio.gui.provenance.tracker import ProvenanceTracker
from tests.gui.presets.test_presets_gui import click, wait_done


def spans(window) -> list[tuple[int, int, str]]:
    tracker = ProvenanceTracker.of(window.editor)
    return [(s, e, tracker.records[r].action) for s, e, r in tracker.spans()]


def insert_model(window, text: str, position: int | None = None) -> None:
    cursor = window.editor.textCursor()
    if position is None:
        cursor.movePosition(QTextCursor.MoveOperation.End)
    else:
        cursor.setPosition(position)
    with model_insertion(window.editor, "suggestion"):
        cursor.insertText(text)


def test_a_samples_document_marks_the_samples_not_their_separators(window, qtbot):
    window.questions.answer("ask_samples_new_document", "discard")
    click(qtbot, window, "Samples")
    wait_done(qtbot, window)
    text = exact_text(window.editor.document())
    count = find_preset(builtin_presets(), "Samples").sampling.num_alternatives
    tracker = ProvenanceTracker.of(window.editor)
    found = tracker.provenance(text).spans  # characters (a sample may hold an emoji)
    assert len(found) == count
    for n, (start, end, record_id) in enumerate(found, start=1):
        assert text[:start].endswith(sample_separator(n) + "\n")
        assert text[end:] in ("\n", "") or text[end:].startswith("\n\n")
        assert tracker.records[record_id].preset == "Samples"
        assert tracker.records[record_id].action == "samples"


def test_recovered_work_comes_back_with_its_spans(window, make_window, qtbot):
    window.editor.setPlainText("Mine. ")
    insert_model(window, "The model's 🙂 words.")
    expected = spans(window)
    window.write_recovery()
    window.session.recovery_writer.wait(10)
    # A second window finds the copy (the first is still "running": pretend it crashed).
    doc_id = window.session.doc_id
    crashed = window.session.recovery
    copy = crashed.provenance_file(doc_id)
    assert copy.is_file()
    again = make_window(load=False)
    again.session.recovery._still_running = lambda _document: False
    again.questions.answer("ask_restore", True)
    assert again.offer_recovery()
    assert exact_text(again.editor.document()) == "Mine. The model's 🙂 words."
    assert spans(again) == expected
    # The restored work keeps its spans in its own new copy; the old copy's entry went with it.
    assert again.session.recovery.provenance_file(again.session.doc_id).is_file()
    assert not copy.exists()


def test_saved_offsets_are_characters_though_qt_counts_units(window, qtbot, tmp_path):
    window.editor.setPlainText("🙂🙂 mine ")
    insert_model(window, "model 🙂 text")
    assert spans(window) == [(10, 10 + utf16_length("model 🙂 text"), "suggestion")]
    path = tmp_path / "emoji.txt"
    window.questions.answer("save_path", str(path))
    assert window.save()
    text = path.read_text(encoding="utf-8")
    loaded = load_provenance(path, text, provenance_folder())
    assert loaded.matched
    [(start, end, _record)] = loaded.provenance.spans
    assert text[start:end] == "model 🙂 text"


def test_export_writes_marked_html_and_the_report(window, tmp_path):
    window.editor.setPlainText("Mine <3. ")
    insert_model(window, "Model text.")
    target = tmp_path / "out.html"
    window.questions.answer("export_path", str(target))
    window.provenance.export_action.trigger()
    html = target.read_text(encoding="utf-8")
    assert "Mine &lt;3. <mark" in html
    assert ">Model text.</mark>" in html
    report = json.loads((tmp_path / "out.html.provenance.json").read_text(encoding="utf-8"))
    assert report["share"]["model_chars"] == 11
    assert report["spans"][0]["start"] == 9
    plain = tmp_path / "out.txt"
    window.questions.answer("export_path", str(plain))
    window.provenance.export_action.trigger()
    assert plain.read_text(encoding="utf-8") == "Mine <3. Model text."


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: the tooltip cannot rise
def test_hovering_shown_model_text_shows_its_record(window, qtbot):
    window.editor.setPlainText("Mine. ")
    insert_model(window, "Model words here.")
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(10)
    rect = window.editor.cursorRect(cursor)
    point = QPoint(rect.x() + 1, rect.center().y())
    viewport = window.editor.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    assert not window.provenance.view.eventFilter(viewport, event)  # hidden: the lens may answer
    window.provenance.show_action.setChecked(True)
    assert window.provenance.view.eventFilter(viewport, event)
    qtbot.waitUntil(QToolTip.isVisible)
    assert "suggestion" in QToolTip.text()
    QToolTip.hideText()


def test_a_side_panel_result_inserted_is_the_models(window, qtbot):
    from PySide6.QtCore import Qt

    from tests.gui.presets.test_presets_gui import TEXT, put_cursor, start_with

    start_with(window, TEXT)
    put_cursor(window, len(TEXT), anchor=0)
    click(qtbot, window, "TL;DR")
    wait_done(qtbot, window)
    put_cursor(window, len(TEXT))
    qtbot.mouseClick(window.presets.panel.insert_button, Qt.MouseButton.LeftButton)
    text = exact_text(window.editor.document())
    tracker = ProvenanceTracker.of(window.editor)
    [(start, end, record_id)] = tracker.provenance(text).spans  # characters (the model may write emoji)
    assert end == len(text)
    assert text[start:end].strip() == window.presets.panel.text().strip()
    assert tracker.records[record_id].preset == "TL;DR"
    assert tracker.records[record_id].action == "preset"


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: the dialog cannot rise
def test_replace_with_the_users_text_removes_the_claim_on_that_part_only(window):
    window.editor.setPlainText("Mine. ")
    insert_model(window, "a big dog ran")
    window.show_find()
    window.find_dialog.find_text.setText("big")
    window.find_dialog.replace_text.setText("small")
    window.find_dialog.find()
    window.find_dialog.replace()
    assert exact_text(window.editor.document()) == "Mine. a small dog ran"
    assert spans(window) == [(6, 8, "suggestion"), (13, 21, "suggestion")]


def test_a_forged_copy_with_spans_outside_its_text_pastes_as_pasted(window):
    from PySide6.QtCore import QMimeData

    from gpt2_studio.gui.provenance.hooks import MIME_TYPE

    window.editor.setPlainText("ab")
    tracker = ProvenanceTracker.of(window.editor)
    data = QMimeData()
    data.setText("xyz")
    payload = {"document": tracker.document_id, "text_length": 3, "pieces": [[-5, 3, "r"]], "records": {}}
    data.setData(MIME_TYPE, json.dumps(payload).encode())
    window.editor.insertFromMimeData(data)
    assert spans(window) == [(0, 3, "paste")]


def test_samples_saved_to_a_file_get_its_entry(window, qtbot, tmp_path):
    target = tmp_path / "samples.txt"
    window.questions.answer("save_path", str(target))
    to_file = next(a for a in window.presets_menu.actions() if a.text() == "Samples to &File…")
    to_file.trigger()
    wait_done(qtbot, window)
    text = target.read_text(encoding="utf-8")
    loaded = load_provenance(target, text, provenance_folder())
    assert loaded.matched
    assert len(loaded.provenance.spans) == 3
    for n, (start, end, record_id) in enumerate(loaded.provenance.spans, start=1):
        assert text[:start].endswith(sample_separator(n) + "\n")
        assert text[end:] in ("\n", "") or text[end:].startswith("\n\n")
        assert loaded.provenance.records[record_id].preset == "Samples"


def test_saving_after_the_model_text_is_gone_removes_the_entry(window, tmp_path):
    from gpt2_studio.core.provenance.store import entry_path

    window.editor.setPlainText("Mine. ")
    insert_model(window, "Model.")
    path = tmp_path / "a.txt"
    window.questions.answer("save_path", str(path))
    assert window.save()
    entry = entry_path(path, provenance_folder())
    assert entry.is_file()
    window.editor.selectAll()
    window.editor.textCursor().insertText("All mine now.")
    assert window.save()
    assert not entry.exists()

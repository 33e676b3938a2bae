"""Provenance in the real window on the tiny GPT-2, driven by keys: every way model text enters the
document makes a span, edits and undo/redo move spans exactly, and save/close/reopen keeps them."""

from __future__ import annotations

import io
import json

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from gpt2_studio.cli.main import run_cli
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.core.provenance.offsets import Offsets
from gpt2_studio.core.provenance.spans import Span
from gpt2_studio.core.provenance.store import entry_path, provenance_folder
from gpt2_studio.gui.editor.block_formats import utf16_length
from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.provenance.tracker import ProvenanceTracker
from tests.gui.presets.test_presets_gui import add_user_preset, wait_done

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = CTRL | Qt.KeyboardModifier.ShiftModifier
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing the keyboard"
)


def spans(window) -> list[tuple[int, int, str]]:
    """(start, end, action) of every span, in Qt positions."""
    tracker = ProvenanceTracker.of(window.editor)
    return [(s, e, tracker.records[r].action) for s, e, r in tracker.spans()]


def suggest(window, qtbot) -> str:
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(
        lambda: not window.controller.in_flight and window.editor.ghost is not None, timeout=30_000
    )
    return window.editor.ghost_text()


def cursor_to(window, position: int) -> None:
    cursor = window.editor.textCursor()
    cursor.setPosition(position)
    window.editor.setTextCursor(cursor)


def end_of(window) -> int:
    return window.editor.document().characterCount() - 1


@pytest.fixture
def writer(window):
    window.controller.set_enabled(False)  # suggestions only when asked (Ctrl+Space)
    window.controller.set_settings(SamplingSettings(temperature=0.0, top_k=1, max_new_tokens=12, seed=5))
    return window


def test_every_way_in_and_every_edit_keeps_exact_spans(writer, qtbot, make_window, tmp_path):
    window, editor = writer, writer.editor
    qtbot.keyClicks(editor, "Once upon a time")
    start = end_of(window)

    # Accept a suggestion (Tab): all of it is the model's.
    ghost = suggest(window, qtbot)
    length = utf16_length(ghost)
    assert length > 4
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert spans(window) == [(start, start + length, "suggestion")]
    record = ProvenanceTracker.of(editor).record_at(start)[1]
    assert record.model
    assert record.checkpoint
    assert record.device == "cpu"
    assert record.sampling["top_k"] == 1
    assert record.seed == 5

    # Type inside it: what the user typed is not the model's.
    cursor_to(window, start + 2)
    qtbot.keyClicks(editor, "XY")
    split = [(start, start + 2, "suggestion"), (start + 4, start + length + 2, "suggestion")]
    assert spans(window) == split
    # Undo and redo restore exactly the spans that were there.
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    assert spans(window) == [(start, start + length, "suggestion")]
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL_SHIFT)
    assert spans(window) == split
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)  # deleting shrinks: "Y" goes
    split = [(start, start + 2, "suggestion"), (start + 3, start + length + 1, "suggestion")]
    assert spans(window) == split

    # Accept words (Ctrl+Right): the words of one suggestion join into one span.
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    words_at = end_of(window)
    suggest(window, qtbot)
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    assert spans(window) == [*split, (words_at, end_of(window), "word")]
    words = spans(window)[-1]
    qtbot.keyClick(editor, Qt.Key.Key_Escape)

    # Swap a word of the writer's for one of the model's alternatives (Ctrl+Shift+Space, Enter).
    cursor_to(window, 6)  # in "upon"
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL_SHIFT)
    qtbot.waitUntil(lambda: window.word_popup.menu is not None and window.word_popup.menu.isVisible(),
                    timeout=30_000)  # fmt: skip
    chosen = window.word_popup.menu.activeAction().data()
    qtbot.keyClick(window.word_popup.menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.word_popup.menu is None)
    moved = utf16_length(chosen) - 4
    assert exact_text(editor.document()).startswith(f"Once {chosen} a time")
    shift = [(s + moved, e + moved, a) for s, e, a in [*split, words]]
    assert spans(window) == [(5, 5 + utf16_length(chosen), "swap"), *shift]

    # Run a preset that writes below: its output is the model's.
    add_user_preset(window, Preset("Note", "{selection}", SamplingSettings(temperature=0.0, top_k=1,
                                   max_new_tokens=8), output="below"))  # fmt: skip
    editor.moveCursor(QTextCursor.MoveOperation.End)
    before = exact_text(editor.document())
    window.presets.action("Note").trigger()
    wait_done(qtbot, window)
    after = exact_text(editor.document())
    assert after.startswith(before)
    added = (utf16_length(before), utf16_length(after))
    assert spans(window) == [(5, 5 + utf16_length(chosen), "swap"), *shift, (*added, "preset")]
    preset_record = ProvenanceTracker.of(editor).record_at(added[0])[1]
    assert preset_record.preset == "Note"
    assert preset_record.sampling["max_new_tokens"] == 8

    # Paste from outside: "pasted"; cut and paste within the document: the spans travel.
    expected = spans(window)
    QApplication.clipboard().setText("Quoted.")
    cursor_to(window, 0)
    qtbot.keyClick(editor, Qt.Key.Key_V, CTRL)
    expected = [(0, 7, "paste"), *((s + 7, e + 7, a) for s, e, a in expected)]
    assert spans(window) == expected
    swap = expected[1]
    cursor = editor.textCursor()
    cursor.setPosition(swap[0] - 1)
    cursor.setPosition(swap[1], QTextCursor.MoveMode.KeepAnchor)  # " " + the swapped word
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_X, CTRL)
    width = swap[1] - swap[0] + 1
    cut = [expected[0], *((s - width, e - width, a) for s, e, a in expected[2:])]
    assert spans(window) == cut
    editor.moveCursor(QTextCursor.MoveOperation.End)
    end = end_of(window)
    qtbot.keyClick(editor, Qt.Key.Key_V, CTRL)
    pasted_back = [*cut, (end + 1, end + width, "swap")]
    assert spans(window) == pasted_back
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    assert spans(window) == expected
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL_SHIFT)
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL_SHIFT)
    assert spans(window) == pasted_back

    # The status bar shows the model's share.
    share = ProvenanceTracker.of(editor).share()
    label = window.provenance.label
    qtbot.waitUntil(lambda: label.text().startswith(f"Model text: {share['model_chars']:,} chars"))

    # Save, close, reopen: the same spans; the CLI reads them too.
    path = tmp_path / "essay.txt"
    window.questions.answer("save_path", str(path))
    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    assert path.read_text(encoding="utf-8") == exact_text(editor.document())
    assert entry_path(path, provenance_folder()).is_file()
    saved = spans(window)
    window.close()
    again = make_window(load=False)
    assert again.open_file(path)
    assert spans(again) == saved
    assert ProvenanceTracker.of(again.editor).share() == share
    out = io.StringIO()
    assert run_cli(["provenance", str(path), "--json"], stdout=out) == 0
    text = path.read_text(encoding="utf-8")
    data = json.loads(out.getvalue())
    in_chars = Offsets(text).spans_to_chars([Span(s, e, "") for s, e, _a in saved])  # Qt counts UTF-16
    assert [(s["start"], s["end"]) for s in data["spans"]] == [(s, e) for s, e, _r in in_chars]
    assert all(text[s["start"] : s["end"]] == s["text"] for s in data["spans"])


def test_edits_made_elsewhere_while_closed_reanchor_or_drop_with_a_notice(
    writer, qtbot, make_window, tmp_path
):
    window, editor = writer, writer.editor
    qtbot.keyClicks(editor, "The ship sailed")
    start = end_of(window)
    ghost = suggest(window, qtbot)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClicks(editor, ". Then")
    second = end_of(window)
    suggest(window, qtbot)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    path = tmp_path / "story.txt"
    window.questions.answer("save_path", str(path))
    assert window.save()
    first_span, second_span = spans(window)
    assert first_span[:2] == (start, start + utf16_length(ghost))
    assert second_span[0] == second
    text = path.read_text(encoding="utf-8")
    window.close()
    # Another editor adds a line at the top and rewrites the second model span.
    path.write_text("A title\n" + text[: Offsets(text).to_chars(second)] + "the end.", encoding="utf-8")
    again = make_window(load=False)
    messages: list[str] = []
    again.status_bar.messageChanged.connect(messages.append)
    assert again.open_file(path)
    assert spans(again) == [(start + 8, first_span[1] + 8, "suggestion")]
    assert any("1 model span(s)" in m and "dropped" in m for m in messages), messages
    assert run_cli(["provenance", str(path)], stdout=io.StringIO()) == 1


def test_replace_all_removes_the_models_claim_only_where_it_replaced(window, qtbot):
    from gpt2_studio.gui.provenance.hooks import model_insertion

    editor = window.editor
    editor.setPlainText("cat and cat and cat")
    cursor = QTextCursor(editor.document())
    cursor.setPosition(8)
    cursor.setPosition(11, QTextCursor.MoveMode.KeepAnchor)
    with model_insertion(editor, "suggestion"):
        cursor.insertText("dog cat dog")  # "cat and dog cat dog and cat"
    assert spans(window) == [(8, 19, "suggestion")]
    window.show_find()
    window.find_dialog.find_text.setText("dog")
    window.find_dialog.replace_text.setText("wolf")
    assert window.find_dialog.replace_all() == 2
    assert exact_text(editor.document()) == "cat and wolf cat wolf and cat"
    assert spans(window) == [(12, 17, "suggestion")]  # " cat " between the two replacements
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    assert spans(window) == [(8, 19, "suggestion")]


def test_show_model_text_tints_spans_and_hover_shows_the_record(window, qtbot):
    from gpt2_studio.gui.editor.block_formats import BlockFormats
    from gpt2_studio.gui.provenance.hooks import model_insertion

    editor = window.editor
    editor.setPlainText("Mine. ")
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    with model_insertion(editor, "suggestion"):
        cursor.insertText("Model words.")
    block = editor.document().firstBlock()
    formats = BlockFormats.of(editor)
    assert formats.ranges(block) == []
    window.provenance.show_action.trigger()
    [(first, count, char_format)] = formats.ranges(block)
    assert (first, count) == (6, 12)
    assert char_format.background().color().alpha() > 0
    assert [(r.start, r.length) for r in block.layout().formats()] == [(6, 12)]
    window.provenance.show_action.trigger()
    assert block.layout().formats() == []


def test_show_model_text_is_remembered_in_the_settings(window, make_window):
    from gpt2_studio.core.settings import AppSettings

    assert not window.provenance.show_action.isChecked()
    window.provenance.show_action.trigger()
    assert window.settings.show_model_text is True
    again = make_window(AppSettings(precision="fp32", show_model_text=True))
    assert again.provenance.show_action.isChecked()
    assert again.provenance.view.shown


def test_a_copy_from_another_document_pastes_as_pasted(window, qtbot):
    from gpt2_studio.gui.provenance.hooks import MIME_TYPE

    data = QMimeData()
    data.setText("abc")
    data.setData(MIME_TYPE, json.dumps({"document": "elsewhere", "text_length": 3, "pieces": [[0, 3, "x"]],
                                         "records": {}}).encode())  # fmt: skip
    window.editor.insertFromMimeData(data)
    assert spans(window) == [(0, 3, "paste")]

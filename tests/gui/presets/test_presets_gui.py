"""Presets through the GUI, end to end on the tiny GPT-2: a click puts the result where the preset says."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtWidgets import QApplication

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.storage import builtin_presets, save_user_preset, user_presets_dir
from gpt2_studio.core.presets.templates import Preset, find_preset, finish
from gpt2_studio.gui.editor.insertion import model_text
from gpt2_studio.gui.presets.runner import sample_separator

TEXT = "The quick brown fox jumps over the lazy dog.\nWhat is the capital of Italy?\nThe end of the story."
GREEDY = SamplingSettings(temperature=0.0, top_k=1, max_new_tokens=12)


def click(qtbot, window, name: str) -> None:
    """Click the preset's toolbar button (or trigger it from its group's drop-down)."""
    bar = window.presets.bar
    action = window.presets.action(name)
    button = bar.widgetForAction(action)
    if button is not None:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    else:
        action.trigger()


def wait_done(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.presets.runner.running, timeout=30_000)


def put_cursor(window, position: int, anchor: int | None = None) -> None:
    cursor = window.editor.textCursor()
    cursor.setPosition(position if anchor is None else anchor)
    if anchor is not None:
        cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)


def start_with(window, text: str = TEXT) -> None:
    window.editor.setPlainText(text)  # also empties the undo stack
    window.editor.document().setModified(False)


def undo_once_restores(window, text: str) -> bool:
    """True when the result was exactly one undo step."""
    window.editor.undo()
    return window.editor.toPlainText() == text and not window.editor.document().isUndoAvailable()


def add_user_preset(window, preset: Preset) -> None:
    save_user_preset(preset)
    window.presets.reload()


def test_the_toolbar_and_menu_offer_every_preset_with_its_shortcut(window):
    bar = window.presets.bar
    names = [p.name for p in builtin_presets()]
    assert set(bar.actions_by_name) == set(names)
    qa = window.presets.action("Q&A")
    assert qa.shortcut() == QKeySequence("Ctrl+Alt+2")
    assert bar.widgetForAction(qa).text() == "Q&&A"  # shown as "Q&A", not with a mnemonic
    translate = bar.group_buttons["Translate"]
    assert translate.defaultAction() is window.presets.action("Translate English → French")
    pairs = [a.text() for a in translate.menu().actions()]
    assert pairs == ["English → French", "English → German", "English → Spanish", "French → English"]
    menu_texts = [a.text() for a in window.presets_menu.actions()]
    assert "&Edit Presets…" in menu_texts
    assert "Samples to &File…" in menu_texts
    assert window.presets_menu.title() == "&Presets"


def test_continue_puts_a_ghost_at_the_cursor_that_tab_accepts_as_one_undo_step(window, qtbot):
    start_with(window, "Once upon a time")
    put_cursor(window, len("Once upon a time"))
    click(qtbot, window, "Continue")
    assert window.statusBar().currentMessage().startswith("Running Continue…")
    wait_done(qtbot, window)
    ghost = window.editor.ghost_text()
    assert ghost
    assert window.editor.toPlainText() == "Once upon a time"  # a ghost is not in the document
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "Once upon a time" + ghost
    assert undo_once_restores(window, "Once upon a time")


def test_qa_puts_the_answer_on_the_line_under_the_question(window, qtbot):
    start_with(window)
    put_cursor(window, TEXT.index("capital"))  # nothing selected: the current paragraph is the question
    click(qtbot, window, "Q&A")
    wait_done(qtbot, window)
    lines = window.editor.toPlainText().split("\n")
    assert lines[:2] == TEXT.split("\n")[:2]
    assert lines[2].startswith("A:")
    assert lines[3:] == ["The end of the story."]  # the answer ends at the line: one line only
    assert "Q:" not in lines[2]
    assert window.editor.textCursor().position() == len("\n".join(lines[:3]))  # after the answer
    assert undo_once_restores(window, TEXT)


def test_qa_on_a_selection_answers_under_its_paragraph(window, qtbot):
    start_with(window)
    question = TEXT.index("What")
    put_cursor(window, question + len("What is the capital"), anchor=question)
    window.presets.action("Q&A").trigger()
    wait_done(qtbot, window)
    lines = window.editor.toPlainText().split("\n")
    assert lines[1] == "What is the capital of Italy?"
    assert lines[2].startswith("A:")
    assert len(lines) == 4


def test_reading_comprehension_asks_the_question_and_answers_in_the_side_panel(window, qtbot):
    start_with(window)
    window.questions.answer("ask_text", "Who jumps over the dog?")
    click(qtbot, window, "Reading comprehension")
    wait_done(qtbot, window)
    asked = [args for question, args in window.questions.asked if question == "ask_text"]
    assert asked == [("Question about the text:", "", "Reading comprehension")]
    panel = window.presets.panel
    assert panel.isVisible()
    assert panel.text().strip()
    assert "\n" not in panel.text()
    assert "Who jumps over the dog?" in panel.title.text()
    assert window.editor.toPlainText() == TEXT


def test_cancelling_the_question_runs_nothing(window, qtbot):
    start_with(window)
    window.questions.answer("ask_text", None)
    window.presets.action("Reading comprehension").trigger()
    assert not window.presets.runner.running
    assert not window.presets.panel.isVisible()


def test_tldr_goes_to_the_side_panel_and_insert_puts_it_at_the_cursor_as_one_step(window, qtbot):
    start_with(window)
    raw: list[str] = []
    window.worker.finished.connect(lambda _rid, completion: raw.append(completion.text))
    put_cursor(window, len(TEXT), anchor=0)  # the whole document selected
    click(qtbot, window, "TL;DR")
    wait_done(qtbot, window)
    tldr = find_preset(builtin_presets(), "TL;DR")
    summary = window.presets.panel.text()
    # At most three sentences, as the preset says, without any undecodable byte (U+FFFD).
    assert summary == finish(tldr, model_text(raw[-1])).strip()
    assert summary
    assert window.editor.toPlainText() == TEXT
    put_cursor(window, len(TEXT))
    qtbot.mouseClick(window.presets.panel.insert_button, Qt.MouseButton.LeftButton)
    assert window.editor.toPlainText() in (TEXT + summary, TEXT + " " + summary)
    assert undo_once_restores(window, TEXT)
    qtbot.mouseClick(window.presets.panel.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == summary


@pytest.mark.parametrize(
    "name",
    [
        "Translate English → French",
        "Translate English → German",
        "Translate English → Spanish",
        "Translate French → English",
    ],
)
def test_translate_by_pattern_puts_one_greedy_line_under_the_selection(window, qtbot, name):
    start_with(window, "the cat\nsomething else")
    results = []
    for _ in range(2):
        put_cursor(window, len("the cat"), anchor=0)
        window.presets.action(name).trigger()
        wait_done(qtbot, window)
        lines = window.editor.toPlainText().split("\n")
        assert len(lines) == 3  # the translation is one line: it stops at the end of the line
        assert lines[0] == "the cat"
        assert lines[2] == "something else"
        results.append(lines[1])
        assert undo_once_restores(window, "the cat\nsomething else")
    assert results[0] == results[1]  # greedy


def test_the_translate_drop_down_remembers_the_last_pair(window, qtbot):
    start_with(window, "the cat")
    button = window.presets.bar.group_buttons["Translate"]
    german = window.presets.action("Translate English → German")
    button.menu().actions()[1].trigger()
    wait_done(qtbot, window)
    assert button.defaultAction() is german


def test_point_of_view_asks_for_the_role_and_continues_as_a_ghost(window, qtbot):
    start_with(window, "The sea")
    put_cursor(window, len("The sea"))
    window.questions.answer("ask_text", "a sailor")
    click(qtbot, window, "Point of view")
    wait_done(qtbot, window)
    assert window.questions.asked[-1] == (
        "ask_text",
        ("Whose point of view (e.g. a scientist, a child, a sailor)?", "a scientist", "Point of view"),
    )
    assert window.editor.ghost_text()
    assert len(window.editor.ghost.alternatives) >= 1
    ghost = window.editor.ghost_text()
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "The sea" + ghost


def test_samples_replace_the_document_after_asking_about_unsaved_changes(window, qtbot):
    start_with(window, "my unsaved draft")
    window.editor.document().setModified(True)
    window.questions.answer("ask_samples_new_document", "discard")
    click(qtbot, window, "Samples")
    # Asked before it runs, saying what will happen to which document.
    assert window.questions.asked == [("ask_samples_new_document", ("Samples", "Untitled"))]
    assert window.presets.runner.running
    wait_done(qtbot, window)
    text = window.editor.toPlainText()
    samples = find_preset(builtin_presets(), "Samples").sampling.num_alternatives
    separators = [line for line in text.split("\n") if line.startswith("==== sample ")]
    assert separators == [sample_separator(n) for n in range(1, samples + 1)]
    assert "my unsaved draft" not in text
    assert window.path is None
    assert window.editor.document().isModified()
    assert undo_once_restores(window, "")


def test_cancelling_the_samples_question_runs_nothing(window, qtbot):
    start_with(window, "my unsaved draft")
    window.editor.document().setModified(True)
    window.questions.answer("ask_samples_new_document", "cancel")
    window.presets.action("Samples").trigger()
    assert not window.presets.runner.running
    assert window.editor.toPlainText() == "my unsaved draft"
    assert window.editor.document().isModified()


def test_samples_ask_again_when_the_text_changed_while_they_ran(window, qtbot):
    start_with(window, "my unsaved draft")
    window.editor.document().setModified(True)
    window.questions.answer("ask_samples_new_document", "discard", "cancel")
    window.presets.action("Samples").trigger()
    assert window.presets.runner.running
    put_cursor(window, len("my unsaved draft"))
    qtbot.keyClicks(window.editor, " and more")
    wait_done(qtbot, window)
    assert [q for q, _args in window.questions.asked] == ["ask_samples_new_document"] * 2
    assert window.editor.toPlainText() == "my unsaved draft and more"  # kept, as answered
    assert window.presets.panel.text().startswith(sample_separator(1))
    assert "side panel" in window.statusBar().currentMessage()


def test_samples_replace_a_saved_document_without_asking(window, qtbot, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("saved draft", encoding="utf-8")
    assert window.open_file(draft, ask=False)
    window.presets.action("Samples").trigger()
    wait_done(qtbot, window)
    assert window.questions.asked == []
    assert window.editor.toPlainText().startswith(sample_separator(1))
    assert draft.read_text(encoding="utf-8") == "saved draft"


def test_samples_to_a_file(window, qtbot, tmp_path):
    start_with(window, "kept")
    target = tmp_path / "samples.txt"
    window.questions.answer("save_path", str(target))
    to_file = next(a for a in window.presets_menu.actions() if a.text() == "Samples to &File…")
    to_file.trigger()
    wait_done(qtbot, window)
    text = target.read_text(encoding="utf-8")
    assert text.count("==== sample ") == 3
    assert window.editor.toPlainText() == "kept"
    assert str(target) in window.statusBar().currentMessage()


def test_a_user_preset_can_replace_the_selection_as_one_undo_step(window, qtbot):
    add_user_preset(
        window, Preset("Rewrite", "{selection} =", GREEDY, output="replace", postprocess="first_line")
    )
    start_with(window, "keep this, rewrite that, keep this")
    start = len("keep this, ")
    put_cursor(window, start + len("rewrite that"), anchor=start)
    window.presets.action("Rewrite").trigger()
    wait_done(qtbot, window)
    text = window.editor.toPlainText()
    assert text.startswith("keep this, ")
    assert text.endswith(", keep this")
    assert "rewrite that" not in text
    assert undo_once_restores(window, "keep this, rewrite that, keep this")


def test_a_user_preset_can_insert_at_the_cursor(window, qtbot):
    add_user_preset(window, Preset("Fill", "{before_cursor}", GREEDY, output="insert"))
    start_with(window, "Before after")
    put_cursor(window, len("Before"))
    window.presets.action("Fill").trigger()
    wait_done(qtbot, window)
    text = window.editor.toPlainText()
    assert text.startswith("Before")
    assert text.endswith(" after")
    assert len(text) > len("Before after")
    assert undo_once_restores(window, "Before after")


def test_typing_while_a_preset_runs_does_not_cancel_it(window, qtbot):
    slow = Preset("Long note", "{selection}", SamplingSettings(max_new_tokens=100, top_k=0), output="below")
    add_user_preset(window, slow)
    completions = []
    window.worker.finished.connect(lambda rid, completion: completions.append((rid, completion)))
    start_with(window, "First line")
    put_cursor(window, len("First line"))
    window.presets.action("Long note").trigger()
    request_id = window.presets.runner.job.request_id
    qtbot.keyClicks(window.editor, " and more")
    wait_done(qtbot, window)
    completion = next(c for rid, c in completions if rid == request_id)
    assert not completion.cancelled
    lines = window.editor.toPlainText().split("\n")
    assert lines[0] == "First line and more"  # the typing is kept, the result goes under it
    assert len(lines) >= 2


def test_stop_drops_the_running_preset(window, qtbot):
    add_user_preset(
        window, Preset("Long", "{selection}", SamplingSettings(max_new_tokens=120), output="below")
    )
    start_with(window, "Some text")
    window.presets.action("Long").trigger()
    assert window.presets.bar.stop_action.isEnabled()
    window.presets.bar.stop_action.trigger()
    assert not window.presets.runner.running
    qtbot.wait(200)
    assert window.editor.toPlainText() == "Some text"
    assert "Stopped Long" in window.statusBar().currentMessage()


def test_a_keyboard_shortcut_runs_its_preset(window, qtbot):
    start_with(window)
    window.activateWindow()
    put_cursor(window, TEXT.index("capital"))
    qtbot.keyClick(
        window.editor, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    )
    wait_done(qtbot, window)
    assert window.editor.toPlainText().split("\n")[2].startswith("A:")


def test_presets_wait_for_the_model(make_window, qtbot):
    window = make_window(load=False)
    start_with(window)
    window.presets.action("Q&A").trigger()
    assert not window.presets.runner.running
    assert "not loaded" in window.statusBar().currentMessage()


def test_an_invalid_preset_file_is_skipped_with_a_message_naming_it(make_window, qtbot):
    folder = user_presets_dir()
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{ not json", encoding="utf-8")
    (folder / "wrong-output.json").write_text(
        json.dumps({"name": "Printer", "template": "{selection}", "output": "printer"}), encoding="utf-8"
    )
    save_user_preset(Preset("Haiku", "A haiku about {input}:\n", input_label="About?"))
    window = make_window(load=False)
    message = window.statusBar().currentMessage()
    assert "broken.json" in message
    assert "wrong-output.json" in message
    assert "output must be one of" in message
    assert "Haiku" in window.presets.bar.actions_by_name
    assert "Q&A" in window.presets.bar.actions_by_name
    assert "Printer" not in window.presets.bar.actions_by_name


def test_a_shortcut_already_in_use_is_left_off_with_a_message(window):
    add_user_preset(window, Preset("Saver", "{selection}", shortcut="Ctrl+S"))
    assert window.presets.action("Saver").shortcut().isEmpty()
    assert "Ctrl+S is already in use" in window.statusBar().currentMessage()


# -- the preset editor -----------------------------------------------------------------------------


def user_files() -> dict[str, dict]:
    folder = user_presets_dir()
    if not folder.is_dir():
        return {}
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def test_the_editor_creates_edits_duplicates_and_deletes_user_presets(window, qtbot):
    editor = window.presets.show_editor()
    assert editor.isVisible()
    assert editor.new_preset()
    assert [data["name"] for data in user_files().values()] == ["New preset"]
    assert editor.current.name == "New preset"
    assert "New preset" in window.presets.bar.actions_by_name

    editor.form.name_edit.setText("Haiku")
    editor.form.template_edit.setPlainText("A haiku about {input}:\n")
    editor.form.input_label_edit.setText("About what?")
    editor.form.output_combo.setCurrentIndex(editor.form.output_combo.findData("side_panel"))
    editor.form.temperature_spin.setValue(0.9)
    editor.form.max_tokens_spin.setValue(30)
    editor.form.stops_edit.setPlainText("\\n\\n\nThe end")
    editor.form.shortcut_edit.setKeySequence(QKeySequence("Ctrl+Alt+9"))
    assert editor.save_button.isEnabled()
    assert editor.save()
    files = user_files()
    assert list(files) == ["new-preset.json"]  # the same file, now holding the renamed preset
    saved = files["new-preset.json"]
    assert saved["name"] == "Haiku"
    assert saved["template"] == "A haiku about {input}:\n"
    assert saved["output"] == "side_panel"
    assert saved["input_label"] == "About what?"
    assert saved["shortcut"] == "Ctrl+Alt+9"
    assert saved["sampling"]["temperature"] == 0.9
    assert saved["sampling"]["max_new_tokens"] == 30
    assert saved["sampling"]["stop_strings"] == ["\n\n", "The end"]
    assert window.presets.action("Haiku").shortcut() == QKeySequence("Ctrl+Alt+9")
    assert "New preset" not in window.presets.bar.actions_by_name

    assert editor.duplicate_preset()
    files = user_files()
    assert sorted(data["name"] for data in files.values()) == ["Haiku", "Haiku copy"]
    copy = next(data for data in files.values() if data["name"] == "Haiku copy")
    assert copy["template"] == saved["template"]
    assert copy["shortcut"] == ""
    assert editor.current.name == "Haiku copy"

    assert editor.delete_preset()
    assert [data["name"] for data in user_files().values()] == ["Haiku"]
    assert "Haiku copy" not in window.presets.bar.actions_by_name
    editor.close()


def test_invalid_values_are_explained_in_the_editor_and_nothing_is_saved(window):
    editor = window.presets.show_editor()
    editor.new_preset()
    before = user_files()
    editor.form.template_edit.setPlainText("Tell me about {topic}")
    assert not editor.save()
    assert "unknown placeholder {topic}" in editor.message.text()
    assert user_files() == before
    editor.form.template_edit.setPlainText("{selection}")
    editor.form.result_format_edit.setText("no result here")
    assert not editor.save()
    assert "result_format must contain {result}" in editor.message.text()
    editor.form.result_format_edit.setText("{result}")
    editor.form.postprocess_combo.setCurrentText("sentences:many")
    assert not editor.save()
    assert "postprocess must be" in editor.message.text()
    editor.form.postprocess_combo.setCurrentText("none")
    editor.form.name_edit.setText("q&a")
    assert not editor.save()
    assert "already a preset named 'Q&A'" in editor.message.text()
    assert user_files() == before
    editor.close()


def test_changing_a_builtin_overrides_it_until_reverted_or_reset(window):
    editor = window.presets.show_editor()
    editor.select("TL;DR")
    assert not editor.delete_button.isEnabled()  # a built-in as shipped cannot be deleted
    editor.form.max_tokens_spin.setValue(60)
    assert editor.save()
    assert [data["name"] for data in user_files().values()] == ["TL;DR"]
    assert find_preset(window.presets.presets, "TL;DR").sampling.max_new_tokens == 60
    assert editor.delete_button.text() == "Revert to &Built-in"
    assert editor.delete_preset()
    assert user_files() == {}
    assert find_preset(window.presets.presets, "TL;DR").sampling.max_new_tokens == 100
    editor.select("Q&A")
    editor.form.description_edit.setText("Mine now")
    editor.save()
    assert editor.reset() == 1
    assert user_files() == {}
    assert find_preset(window.presets.presets, "Q&A").description != "Mine now"
    editor.close()


def test_presets_export_and_import_round_trip(window, tmp_path):
    editor = window.presets.show_editor()
    editor.new_preset()
    editor.form.name_edit.setText("Limerick")
    editor.form.template_edit.setPlainText("A limerick about {selection}:\n")
    editor.save()
    exported = tmp_path / "shared.json"
    window.questions.answer("save_path", str(exported))
    assert editor.export_file() == 1
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert [item["name"] for item in data] == ["Limerick"]
    editor.delete_preset()
    assert "Limerick" not in window.presets.bar.actions_by_name
    window.questions.answer("open_path", str(exported))
    imported = editor.import_file()
    assert [p.name for p in imported] == ["Limerick"]
    assert find_preset(window.presets.presets, "Limerick").template == "A limerick about {selection}:\n"
    assert "Limerick" in window.presets.bar.actions_by_name
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "Fine", "template": ""}, {"name": "Bad", "template": "{x}"}]))
    window.questions.answer("open_path", str(bad))
    assert editor.import_file() == []
    assert "bad.json" in editor.message.text()
    assert "Fine" not in window.presets.bar.actions_by_name  # nothing saved when any is invalid
    editor.close()


def test_the_edit_presets_button_opens_the_editor(window, qtbot):
    qtbot.mouseClick(
        window.presets.bar.widgetForAction(window.presets.bar.edit_action), Qt.MouseButton.LeftButton
    )
    editor = window.presets.editor_dialog
    assert editor is not None
    assert editor.isVisible()
    assert editor.list.count() == len(window.presets.presets)
    editor.close()


def test_typing_drops_a_ghost_preset_whose_place_is_gone(window, qtbot):
    slow = Preset("Ramble", "{before_cursor}", SamplingSettings(max_new_tokens=120, top_k=0), output="ghost")
    add_user_preset(window, slow)
    start_with(window, "Once")
    put_cursor(window, len("Once"))
    window.presets.action("Ramble").trigger()
    assert window.presets.runner.running
    qtbot.keyClicks(window.editor, " more")
    assert not window.presets.runner.running  # its ghost was for the old cursor position
    assert window.editor.toPlainText() == "Once more"

"""Presets in the window stay the user's and say what they do: progress, Stop, no ghost after a result,
imports that ask, edits that go to the file in use, and broken files that do not stop the window."""

from __future__ import annotations

import json

from PySide6.QtCore import QEventLoop, Qt, QTimer

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.storage import export_presets, save_user_preset, user_presets_dir
from gpt2_studio.core.presets.templates import Preset, find_preset
from tests.gui.presets.test_presets_gui import TEXT, add_user_preset, put_cursor, start_with, wait_done

LONG = SamplingSettings(max_new_tokens=60, top_k=0)


def spin(milliseconds: int) -> None:
    """Run the event loop for a while (releasing the GIL, unlike QTest.qWait)."""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def watch_progress(window) -> list[tuple[str, str]]:
    """(state label, status message) each time the status changes while the preset runs."""
    seen: list[tuple[str, str]] = []

    def record(message: str) -> None:
        if window.presets.runner.running:
            seen.append((window.state_label.text(), message))

    window.statusBar().messageChanged.connect(record)
    return seen


def test_a_below_preset_shows_its_progress_and_a_preview_while_it_runs(window, qtbot):
    add_user_preset(window, Preset("Long note", "{selection}", LONG, output="below"))
    start_with(window, "First line")
    seen = watch_progress(window)
    window.presets.action("Long note").trigger()
    assert window.state_label.text() == "Running Long note…"
    assert window.editor.toPlainText() == "First line"  # nothing in the document until it is done
    wait_done(qtbot, window)
    counts = [int(state.split("… ")[1].split()[0]) for state, _ in seen if "token" in state]
    assert len(counts) >= 5
    assert counts == list(range(1, len(counts) + 1))  # one more with each streamed piece
    for state, message in seen:
        if "token" in state:
            count = state.split("… ")[1]
            assert count in ("1 token", *(f"{n} tokens" for n in range(2, 200)))
            assert message.startswith(f"Running Long note… {count} (Ctrl+. stops): “")  # text so far
    assert window.state_label.text() == "Ready"
    assert window.editor.toPlainText().startswith("First line\n")


def test_tldr_says_it_is_running_instead_of_ready(window, qtbot):
    start_with(window, TEXT)
    seen = watch_progress(window)
    window.presets.action("TL;DR").trigger()
    assert window.presets.bar.stop_action.isEnabled()
    wait_done(qtbot, window)
    assert seen
    assert all(state.startswith("Running TL;DR…") for state, _ in seen)
    assert any("token" in state for state, _ in seen)
    assert window.state_label.text() == "Ready"
    assert not window.presets.bar.stop_action.isEnabled()


def test_the_toolbar_stop_button_stops_a_running_preset(window, qtbot):
    add_user_preset(window, Preset("Long note", "{selection}", LONG, output="below"))
    start_with(window, "Some text")
    bar = window.presets.bar
    button = bar.widgetForAction(bar.stop_action)
    assert button is not None
    assert not button.isEnabled()
    window.presets.action("Long note").trigger()
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not window.presets.runner.running
    assert not button.isEnabled()
    spin(300)
    assert window.editor.toPlainText() == "Some text"
    assert window.state_label.text() == "Ready"
    assert "Stopped Long note" in window.statusBar().currentMessage()


def _focus(window, qtbot) -> None:
    window.activateWindow()
    window.editor.setFocus()
    qtbot.waitUntil(window.editor.hasFocus)


def _no_ghost_follows(window) -> None:
    spin(4 * window.settings.ghost_delay_ms)  # several suggestion pauses
    assert window.editor.ghost is None
    assert not window.controller.in_flight
    assert not window.controller.timer.isActive()


def test_no_ghost_appears_after_a_preset_inserted_its_result(window, qtbot):
    start_with(window, TEXT)
    _focus(window, qtbot)
    put_cursor(window, TEXT.index("capital"))
    window.presets.action("Q&A").trigger()
    wait_done(qtbot, window)
    assert window.editor.toPlainText() != TEXT
    _no_ghost_follows(window)
    qtbot.keyClicks(window.editor, " ")  # typing again brings suggestions back
    assert window.controller.timer.isActive()


def test_no_ghost_appears_after_inserting_a_side_panel_result(window, qtbot):
    start_with(window, TEXT)
    _focus(window, qtbot)
    window.presets.action("TL;DR").trigger()
    wait_done(qtbot, window)
    panel = window.presets.panel
    put_cursor(window, len(TEXT))
    qtbot.mouseClick(panel.insert_button, Qt.MouseButton.LeftButton)
    assert window.editor.toPlainText().startswith(TEXT)
    assert len(window.editor.toPlainText()) > len(TEXT)
    _focus(window, qtbot)
    _no_ghost_follows(window)


def test_an_inserting_user_preset_leaves_no_ghost_either(window, qtbot):
    add_user_preset(
        window, Preset("Fill", "{before_cursor}", SamplingSettings(max_new_tokens=8), output="insert")
    )
    start_with(window, "Before")
    _focus(window, qtbot)
    put_cursor(window, len("Before"))
    window.presets.action("Fill").trigger()
    wait_done(qtbot, window)
    _no_ghost_follows(window)


# -- the editor: imports, two files of one name, awkward names ------------------------------------


def _import(window, editor, path, *answers):
    window.questions.answer("open_path", str(path))
    if answers:
        window.questions.answer("ask_import_conflict", *answers)
    return editor.import_file()


def test_importing_a_preset_of_an_existing_name_asks(window, tmp_path):
    mine = save_user_preset(Preset("Limerick", "mine {selection}"))
    window.presets.reload()
    editor = window.presets.show_editor()
    shared = tmp_path / "shared.json"
    export_presets([Preset("Limerick", "theirs {selection}"), Preset("Fresh", "f")], shared)

    assert _import(window, editor, shared, "cancel") == []
    assert window.questions.asked[-1] == ("ask_import_conflict", (["Limerick"],))
    assert "Nothing was imported" in editor.message.text()
    assert find_preset(window.presets.presets, "Fresh") is None
    assert json.loads(mine.read_text(encoding="utf-8"))["template"] == "mine {selection}"

    assert [p.name for p in _import(window, editor, shared, "keep_both")] == ["Limerick 2", "Fresh"]
    presets = window.presets.presets
    assert find_preset(presets, "Limerick").template == "mine {selection}"
    assert find_preset(presets, "Limerick 2").template == "theirs {selection}"
    assert "Limerick 2" in window.presets.bar.actions_by_name

    assert [p.name for p in _import(window, editor, shared, "replace")] == ["Limerick", "Fresh"]
    assert find_preset(window.presets.presets, "Limerick").template == "theirs {selection}"
    editor.close()


def test_importing_new_names_asks_nothing(window, tmp_path):
    editor = window.presets.show_editor()
    shared = tmp_path / "shared.json"
    export_presets([Preset("Brand new", "x")], shared)
    assert [p.name for p in _import(window, editor, shared)] == ["Brand new"]
    assert [q for q, _ in window.questions.asked] == ["open_path"]
    editor.close()


def test_edits_go_to_the_file_the_app_says_it_uses(window):
    folder = user_presets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.json").write_text(json.dumps({"name": "Same", "template": "from a"}), encoding="utf-8")
    (folder / "b.json").write_text(json.dumps({"name": "Same", "template": "from b"}), encoding="utf-8")
    a_bytes = (folder / "a.json").read_bytes()
    window.presets.reload()
    assert f"the one in {folder / 'b.json'} is used" in window.statusBar().currentMessage()
    editor = window.presets.show_editor()
    editor.select("Same")
    item = editor.list.currentItem()
    assert str(folder / "b.json") in item.toolTip()
    assert editor.form.template_edit.toPlainText() == "from b"
    editor.form.template_edit.setPlainText("edited {selection}")
    assert editor.save()
    assert "b.json" in editor.message.text()
    assert json.loads((folder / "b.json").read_text(encoding="utf-8"))["template"] == "edited {selection}"
    assert (folder / "a.json").read_bytes() == a_bytes
    assert find_preset(window.presets.presets, "Same").template == "edited {selection}"
    editor.close()


def test_presets_named_like_windows_devices_or_very_long_save_from_the_editor(window):
    editor = window.presets.show_editor()
    for name in ("con", "aux", "nul", "com1", "L" * 300, "a/b", "..", "🐉"):
        assert editor.new_preset()
        editor.form.name_edit.setText(name)
        assert editor.save(), editor.message.text()
        assert editor.current.name == name
        assert name in window.presets.bar.actions_by_name
    names = {json.loads(p.read_text(encoding="utf-8"))["name"] for p in user_presets_dir().glob("*.json")}
    assert {"con", "aux", "nul", "com1", "L" * 300, "a/b", "..", "🐉"} <= names
    editor.close()


def test_the_window_starts_with_a_100000_level_preset_file_present(make_window):
    folder = user_presets_dir()
    folder.mkdir(parents=True)
    (folder / "deep.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    save_user_preset(Preset("Still here", "{selection}"))
    window = make_window(load=False)
    message = window.statusBar().currentMessage()
    assert "deep.json" in message
    assert "nested more than" in message
    assert "Still here" in window.presets.bar.actions_by_name
    assert "Q&A" in window.presets.bar.actions_by_name
    editor = window.presets.show_editor()
    assert "deep.json" in editor.message.text()
    editor.close()


def test_a_preset_file_with_sampling_the_editor_cannot_show_is_clamped_and_named(make_window):
    folder = user_presets_dir()
    folder.mkdir(parents=True)
    data = {
        "name": "Huge",
        "template": "{selection}",
        "output": "below",
        "sampling": {"max_new_tokens": 10**9},
    }
    (folder / "huge.json").write_text(json.dumps(data), encoding="utf-8")
    window = make_window()
    message = window.statusBar().currentMessage()
    assert "Preset 'Huge'" in message
    assert "max_new_tokens 1000000000 is outside 1 to 4096, so 4096 is used" in message
    editor = window.presets.show_editor()
    editor.select("Huge")
    assert editor.form.max_tokens_spin.value() == 4096  # shown as used
    editor.close()
    start_with(window, "Some text")
    put_cursor(window, 4)
    window.presets.action("Huge").trigger()  # and it runs (shortened to the model's window)
    assert window.presets.runner.running


def test_a_preset_folder_that_cannot_be_written_is_explained_in_the_editor(window, tmp_path):
    config = user_presets_dir().parent
    config.mkdir(parents=True, exist_ok=True)
    user_presets_dir().write_text("a file where the presets folder should be")
    editor = window.presets.show_editor()
    assert not editor.new_preset()
    message = editor.message.text()
    assert message.startswith("Could not save the preset: ")
    assert str(user_presets_dir()) in message
    assert message.endswith(").")
    assert "Q&A" in window.presets.bar.actions_by_name  # the app carries on
    editor.close()


def test_samples_can_save_the_draft_first(window, qtbot, tmp_path):
    start_with(window, "my draft")
    window.editor.document().setModified(True)
    target = tmp_path / "draft.txt"
    window.questions.answer("ask_samples_new_document", "save")
    window.questions.answer("save_path", str(target))
    window.presets.action("Samples").trigger()
    assert target.read_text(encoding="utf-8") == "my draft"  # saved before anything ran
    assert window.presets.runner.running
    wait_done(qtbot, window)
    assert window.editor.toPlainText().startswith("==== sample 1 ====")
    assert window.path is None


def test_a_failed_save_before_samples_runs_nothing(window, tmp_path):
    start_with(window, "my draft")
    window.editor.document().setModified(True)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    window.questions.answer("ask_samples_new_document", "save")
    window.questions.answer("save_path", str(blocker / "draft.txt"))
    window.questions.answer("error", None)
    window.presets.action("Samples").trigger()
    assert not window.presets.runner.running
    assert window.editor.toPlainText() == "my draft"
    assert window.editor.document().isModified()

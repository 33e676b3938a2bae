"""The editor window end to end, with the real worker thread and the tiny GPT-2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from PySide6.QtCore import Qt

from gpt2_studio import paths
from gpt2_studio.core.settings import AppSettings, settings_path
from tests.hub_stand_in import serve_tiny_gpt2


def type_and_pause(qtbot, window, text: str) -> None:
    qtbot.keyClicks(window.editor, text)
    qtbot.waitUntil(
        lambda: window.editor.ghost is not None and not window.controller.in_flight, timeout=20_000
    )


def test_typing_then_pausing_shows_a_ghost_that_tab_inserts_and_ctrl_z_removes(window, qtbot):
    type_and_pause(qtbot, window, "The quick brown fox")
    ghost = window.editor.ghost_text()
    assert ghost
    assert window.editor.toPlainText() == "The quick brown fox"
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "The quick brown fox" + ghost
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.toPlainText() == "The quick brown fox"


def test_escape_leaves_the_text_untouched(window, qtbot):
    type_and_pause(qtbot, window, "Hello")
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == "Hello"


def test_alternatives_cycle_with_an_indicator(window, qtbot):
    window.controller.settings = window.settings.sampling.replace(
        num_alternatives=3, temperature=1.5, top_k=0
    )
    type_and_pause(qtbot, window, "Once")
    ghost = window.editor.ghost
    assert len(ghost.alternatives) >= 2
    # Each alternative's confidence and time follow the indicator ("1/3 · 71% · 0.4 s").
    assert window.status_bar.alternative_label.text().startswith(f"1/{len(ghost.alternatives)} · ")
    first = window.editor.ghost_text()
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.AltModifier)
    assert window.editor.ghost_text() != first
    assert window.status_bar.alternative_label.text().startswith(f"2/{len(ghost.alternatives)} · ")


def test_typing_while_a_suggestion_streams_cancels_it_and_nothing_stale_appears(window, qtbot):
    window.controller.settings = window.settings.sampling.replace(
        max_new_tokens=100, num_alternatives=1, stop_at="tokens"
    )
    chunks: list[int] = []
    finished: list[tuple] = []
    window.worker.chunk.connect(lambda rid, _i, _t: chunks.append(rid))
    window.worker.finished.connect(lambda rid, completion: finished.append((rid, completion)))
    qtbot.keyClicks(window.editor, "Once upon")
    qtbot.waitUntil(lambda: bool(chunks), timeout=20_000)
    old_id = window.controller.current_id
    qtbot.keyClicks(window.editor, " a")
    qtbot.waitUntil(lambda: any(rid == old_id for rid, _ in finished), timeout=20_000)
    completion = next(c for rid, c in finished if rid == old_id)
    assert completion.cancelled
    assert completion.new_tokens < 100
    # Whatever the old request still streamed never reached the screen.
    assert window.editor.ghost is None or window.controller.current_id != old_id
    assert window.editor.toPlainText() == "Once upon a"
    type_and_pause(qtbot, window, "")  # the new pause brings a fresh suggestion for the new text
    assert window.controller.current_id > old_id


def test_suggestions_are_never_saved(window, qtbot, tmp_path):
    type_and_pause(qtbot, window, "Draft")
    assert window.editor.ghost_text()
    target = tmp_path / "draft.txt"
    window.questions.answer("save_path", str(target))
    assert window.save_as()
    assert target.read_text(encoding="utf-8") == "Draft"


def test_save_and_open_round_trip(window, qtbot, tmp_path):
    target = tmp_path / "notes.md"
    window.editor.setPlainText("Line one\nCafé ☕ 日本\n")
    window.questions.answer("save_path", str(target))
    assert window.save()
    assert target.read_bytes() == "Line one\nCafé ☕ 日本\n".encode()
    assert window.windowTitle() == "notes.md — GPT-2 Studio"
    window.new_document()
    assert window.editor.toPlainText() == ""
    assert window.open_file(target)
    assert window.editor.toPlainText() == "Line one\nCafé ☕ 日本\n"
    assert str(target) in window.settings.recent_files


def test_crlf_files_keep_their_line_endings(window, tmp_path):
    target = tmp_path / "windows.txt"
    target.write_bytes(b"one\r\ntwo\r\n")
    assert window.open_file(target)
    assert window.editor.toPlainText() == "one\ntwo\n"
    window.editor.appendPlainText("three")
    assert window.save()
    assert target.read_bytes() == b"one\r\ntwo\r\n\r\nthree"


def test_a_file_changed_on_disk_is_not_overwritten_without_asking(window, tmp_path):
    target = tmp_path / "shared.txt"
    target.write_text("original", encoding="utf-8")
    assert window.open_file(target)
    window.editor.setPlainText("mine")
    target.write_text("someone else's", encoding="utf-8")
    window.questions.answer("ask_overwrite_changed", False)
    assert not window.save()
    assert target.read_text(encoding="utf-8") == "someone else's"
    assert window.editor.toPlainText() == "mine"
    window.questions.answer("ask_overwrite_changed", True)
    assert window.save()
    assert target.read_text(encoding="utf-8") == "mine"


def test_unsaved_changes_are_asked_about_on_new_open_and_close(window, tmp_path):
    window.editor.insertPlainText("precious")
    window.questions.answer("ask_save_changes", "cancel")
    window.new_document()
    assert window.editor.toPlainText() == "precious"
    other = tmp_path / "other.txt"
    other.write_text("other", encoding="utf-8")
    window.questions.answer("ask_save_changes", "cancel")
    assert not window.open_file(other)
    assert window.editor.toPlainText() == "precious"
    window.questions.answer("ask_save_changes", "cancel")
    assert not window.close()
    assert window.isVisible()
    window.questions.answer("ask_save_changes", "discard")
    assert window.open_file(other)
    assert window.editor.toPlainText() == "other"


def test_a_file_that_is_not_utf8_is_only_opened_in_another_encoding_on_request(window, tmp_path):
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("Café résumé".encode("cp1252"))
    window.editor.setPlainText("kept")
    window.editor.document().setModified(False)
    window.questions.answer("choose_encoding", None)
    assert not window.open_file(legacy)
    assert window.editor.toPlainText() == "kept"
    window.questions.answer("choose_encoding", "cp1252")
    assert window.open_file(legacy)
    assert window.editor.toPlainText() == "Café résumé"
    assert "cp1252" in window.statusBar().currentMessage()
    window.editor.appendPlainText("naïve")
    assert window.save()
    assert legacy.read_bytes() == "Café résumé\nnaïve".encode("cp1252")


def test_a_binary_file_gets_a_clear_message_and_the_text_stays(window, tmp_path):
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    window.editor.setPlainText("kept")
    window.editor.document().setModified(False)
    window.questions.answer("error", None)
    assert not window.open_file(binary)
    assert window.questions.asked[-1][0] == "error"
    assert "binary" in window.questions.asked[-1][1][1]
    assert window.editor.toPlainText() == "kept"


def test_a_10_mb_file_opens_and_suggestions_still_work(window, qtbot, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text(("All work and no play makes Jack a dull boy. " * 24 + "\n") * 9_500, encoding="utf-8")
    assert big.stat().st_size > 10_000_000
    assert window.open_file(big)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    type_and_pause(qtbot, window, "The end")
    assert window.editor.ghost_text()
    assert window.editor.document().characterCount() > 10_000_000


def test_sampling_panel_sliders_drive_the_requests(window, qtbot):
    slider = window.panel.slider("temperature")
    slider.setValue(slider.value() + 4)  # +0.20
    assert window.controller.settings.temperature == 0.9
    assert isinstance(window.controller.settings.temperature, float)
    window.panel.slider("top_k").setValue(1)
    assert window.controller.settings.top_k == 1
    window.panel.reset()
    assert window.controller.settings.temperature == 0.7
    assert window.controller.settings.top_k == 40


def test_status_bar_shows_model_device_state_and_window(window, qtbot):
    assert window.model_label.text() == "tiny-gpt2"
    assert window.status_bar.device_label.text() == "CPU · fp32"
    assert window.state_label.text() == "Ready"
    type_and_pause(qtbot, window, "Some text")
    assert window.status_bar.speed_label.text().endswith("tok/s")
    qtbot.waitUntil(lambda: window.status_bar.context_window_label.text().startswith("Window: "))


def test_a_bad_model_leaves_a_usable_editor(make_window, qtbot, tmp_path):
    window = make_window(load=False)
    window.load_model(str(tmp_path / "missing"))
    qtbot.waitUntil(lambda: "does not exist" in window.statusBar().currentMessage(), timeout=30_000)
    assert window.model_label.text() == "No model"
    qtbot.keyClicks(window.editor, "still typing")
    assert window.editor.toPlainText() == "still typing"


def test_settings_persist_across_windows(make_window, qtbot, tiny_model_dir):
    window = make_window()
    window.panel.slider("top_k").setValue(10)
    window.change_font_size(2)
    window.close()
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["sampling"]["top_k"] == 10
    assert data["font_size"] == 14
    assert data["model"] == str(tiny_model_dir)


def test_a_corrupt_settings_file_falls_back_to_defaults_with_a_warning(qtbot):
    from gpt2_studio.gui.launch import create_window, parse_args

    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text("{ this is not json", encoding="utf-8")
    window, worker, model_ref = create_window(parse_args([]))
    qtbot.addWidget(window)
    try:
        assert window.settings == AppSettings()
        assert "settings" in window.statusBar().currentMessage().lower()
        assert model_ref == "gpt2"
    finally:
        window.close()
        worker.stop()


CRASHING_SESSION = textwrap.dedent(
    """
    import os
    from PySide6.QtWidgets import QApplication
    from gpt2_studio.gui.launch import create_window, parse_args

    app = QApplication([])
    window, worker, _ = create_window(parse_args([]))
    window.editor.insertPlainText("unsaved novel chapter")
    window.write_recovery()
    window.session.recovery_writer.wait(30)
    os._exit(9)  # die without any clean-up, as a crash would
    """
)


def test_unsaved_work_is_recovered_after_a_crash(make_window, qtbot):
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_SESSION], env=dict(os.environ), capture_output=True, timeout=120
    )
    assert crashed.returncode == 9, crashed.stderr.decode()
    assert list((paths.data_dir() / "recovery").glob("*.recovery"))
    window = make_window(load=False)
    window.questions.answer("ask_restore", True)
    assert window.offer_recovery()
    assert window.editor.toPlainText() == "unsaved novel chapter"
    assert window.editor.document().isModified()
    assert window.windowTitle().startswith("*")
    assert not window.offer_recovery()  # offered once


def test_suggestion_delay_and_auto_suggest_can_be_changed(window, qtbot):
    window.set_suggestion_delay(1000)
    assert window.controller.timer.interval() == 1000
    assert window.settings.ghost_delay_ms == 1000
    window.main_menu.auto_action.setChecked(False)
    qtbot.keyClicks(window.editor, "No suggestions please")
    qtbot.wait(300)
    assert not window.controller.timer.isActive()
    assert window.editor.ghost is None
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)  # still on demand
    qtbot.waitUntil(
        lambda: window.editor.ghost is not None and not window.controller.in_flight, timeout=20_000
    )


def test_dark_theme_switches_the_palette(window):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    window.main_menu.theme_actions["dark"].trigger()
    assert window.settings.theme == "dark"
    assert QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 80
    window.main_menu.theme_actions["light"].trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Base).lightness() > 200


def test_first_start_without_a_model_opens_the_manager_and_a_download_loads_it(
    make_window,
    qtbot,
    hub_stand_in,
    tmp_path,
    monkeypatch,
):
    from gpt2_studio.gui.launch import start_model

    serve_tiny_gpt2(hub_stand_in, tmp_path)
    monkeypatch.setenv("HF_ENDPOINT", hub_stand_in.url)
    window = make_window(load=False)
    start_model(window, "gpt2")
    manager = window.model_manager
    assert manager.isVisible()
    assert manager.selected_name() == "gpt2"
    manager.download_selected()
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=60_000)
    assert window.model_label.text() == "gpt2"
    assert window.settings.model == "gpt2"


def test_switching_models_needs_no_restart(window, qtbot, tiny_copy):
    from gpt2_studio.core.models.store import import_checkpoint

    import_checkpoint(tiny_copy, "second")
    window.show_model_manager()
    manager = window.model_manager
    manager.select("second")
    manager.use_selected()
    qtbot.waitUntil(lambda: window.model_label.text() == "second", timeout=30_000)
    assert window.settings.model == "second"
    assert not manager.isVisible()
    window.editor.insertPlainText("Still writing")
    window.controller.suggest_now()
    qtbot.waitUntil(
        lambda: window.editor.ghost is not None and not window.controller.in_flight, timeout=20_000
    )
    assert window.editor.ghost_text()

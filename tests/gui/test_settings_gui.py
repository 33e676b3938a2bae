"""Settings in the window: closing when they cannot be saved, Open Recent, the sampling panel's values."""

from __future__ import annotations

import json
import shutil

from PySide6.QtCore import Qt

from gpt2_studio.core.generation.sampling_limits import EDITOR_LIMITS
from gpt2_studio.core.settings import AppSettings, load_settings, settings_path
from tests.as_nobody import public_temp_dir, run_as_nobody


def test_closing_when_the_settings_cannot_be_saved_asks_and_cancel_keeps_the_window(
    make_window, tmp_path, monkeypatch, isolated_home
):
    window = make_window(load=False)
    window.settings.theme = "dark"
    broken_home = tmp_path / "home-is-a-file"
    broken_home.write_text("a file where the settings folder should be")
    monkeypatch.setenv("GPT2_STUDIO_HOME", str(broken_home))
    window.questions.answer("ask_close_without_settings", False, True)

    assert not window.close()  # Cancel: the window stays, nothing lost
    assert window.isVisible()
    question, (reason,) = window.questions.asked[0]
    assert question == "ask_close_without_settings"
    assert reason.startswith(f"The settings could not be saved to {broken_home}")
    assert reason.endswith("not a directory.")

    assert window.close()  # Close Anyway
    assert not window.isVisible()
    assert len(window.questions.asked) == 2
    monkeypatch.setenv("GPT2_STUDIO_HOME", str(isolated_home))  # the fixture closes it once more


def test_closing_saves_the_settings_without_asking(make_window):
    window = make_window(load=False)
    window.settings.font_size = 17
    assert window.close()
    assert window.questions.asked == []
    assert load_settings()[0].font_size == 17


CLOSE_AS_NOBODY = """
import json
from PySide6.QtWidgets import QApplication
from gpt2_studio.core.settings import load_settings
from gpt2_studio.gui.launch import editor_defaults
from gpt2_studio.gui.main_window import MainWindow
from gpt2_studio.gui.models.worker import WorkerThread

class Answers:
    def __init__(self):
        self.asked = []
        self.replies = [False, True]
    def ask_close_without_settings(self, reason):
        self.asked.append(reason)
        return self.replies.pop(0)

app = QApplication([])
settings, warnings = load_settings()
worker = WorkerThread()
window = MainWindow(settings, worker, defaults=editor_defaults())
window.questions = Answers()
window.show()
window.settings.font_size = 20
first = window.close()
visible = window.isVisible()
second = window.close()
worker.stop()
print(json.dumps({"first": first, "visible": visible, "second": second, "asked": window.questions.asked,
                  "warnings": warnings}))
"""


def test_closing_as_a_real_user_without_write_access_asks_instead_of_a_traceback():
    home = public_temp_dir()
    try:
        config = home / "config"
        config.mkdir(mode=0o755)  # root's folder: readable, not writable, for the user below
        original = json.dumps({"theme": "dark", "from_a_newer_version": [1, 2]}).encode("utf-8")
        (config / "settings.json").write_bytes(original)
        result = run_as_nobody(CLOSE_AS_NOBODY, {"GPT2_STUDIO_HOME": str(home)}, timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert report["warnings"] == []
        assert (report["first"], report["visible"], report["second"]) == (False, True, True)
        assert len(report["asked"]) == 2
        assert "permission denied" in report["asked"][0]
        assert str(config / "settings.json") in report["asked"][0]
        assert (config / "settings.json").read_bytes() == original
    finally:
        shutil.rmtree(home)


def test_open_recent_shows_unusable_entries_disabled_and_never_raises(make_window, tmp_path):
    good = tmp_path / "R&D notes.txt"
    good.write_text("notes", encoding="utf-8")
    gone = tmp_path / "gone.txt"
    window = make_window(load=False)
    # As a hand-edited settings file (or an older version) could leave them, bypassing the checks.
    window.settings.recent_files = [
        "/docs/a\x00b.txt",
        str(good),
        "/docs/\ud800.txt",
        str(gone),
        "/docs/new\nline.txt",
    ]
    window.main_menu.recent_menu.aboutToShow.emit()
    actions = window.main_menu.recent_menu.actions()
    assert [a.isEnabled() for a in actions] == [False, True, False, True, True]
    assert "\n" not in actions[4].text()  # a newline in a (valid) name does not break the menu
    assert "R&&D notes.txt" in actions[1].text()  # shown as written, not as a mnemonic
    assert actions[0].toolTip() == ascii("/docs/a\x00b.txt")

    actions[1].trigger()
    assert window.editor.toPlainText() == "notes"
    window.questions.answer("error", None)
    window.main_menu.recent_menu.aboutToShow.emit()
    missing = next(a for a in window.main_menu.recent_menu.actions() if a.toolTip() == str(gone))
    missing.trigger()
    assert window.questions.asked[-1][0] == "error"
    assert window.editor.toPlainText() == "notes"


def test_a_recent_entry_with_a_nul_is_dropped_when_the_settings_load(make_window):
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"recent_files": ["/docs/a\u0000b.txt", "/docs/ok.txt"]}), encoding="utf-8")
    settings, warnings = load_settings()
    assert settings.recent_files == ["/docs/ok.txt"]
    assert len(warnings) == 1
    window = make_window(settings, load=False)
    window.main_menu.recent_menu.aboutToShow.emit()
    assert [a.toolTip() for a in window.main_menu.recent_menu.actions()] == ["/docs/ok.txt"]


def test_values_the_panel_cannot_show_are_clamped_and_suggestions_work(make_window, qtbot):
    path = settings_path()
    path.parent.mkdir(parents=True)
    sampling = {"max_new_tokens": 10**9, "temperature": 5, "num_alternatives": 16, "seed": 2**40}
    path.write_text(json.dumps({"precision": "fp32", "sampling": sampling}), encoding="utf-8")
    settings, warnings = load_settings()
    assert len(warnings) == 4
    assert all(str(path) in warning for warning in warnings)
    window = make_window(settings)
    panel = window.panel
    for key in ("max_new_tokens", "temperature", "num_alternatives", "seed"):
        assert getattr(window.settings.sampling, key) == EDITOR_LIMITS[key].high
    assert panel.slider("max_new_tokens").value() == panel.slider("max_new_tokens").maximum()
    assert panel.slider("temperature").value() == panel.slider("temperature").maximum()
    assert panel.seed.value() == EDITOR_LIMITS["seed"].high
    assert panel.settings() == window.settings.sampling  # shown is what is sent

    # The tiny test model's window is 128 tokens, below the panel's 200 (a real GPT-2 has 1024): the
    # request asks for what fits, and the other clamped values are sent as they are.
    assert window.settings.sampling.temperature == 2.0
    window.editor.setPlainText("Once upon a time")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    messages = []
    window.controller.message.connect(messages.append)
    window.controller.suggest_now()
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    assert messages == []
    assert window.editor.ghost is not None
    assert window.editor.ghost_text()


def test_a_value_between_slider_steps_is_shown_and_kept(make_window):
    window = make_window(AppSettings(sampling=AppSettings().sampling.replace(temperature=0.73)), load=False)
    labels = {spec.field: label for _slider, label, spec in window.panel._sliders.values()}
    assert labels["temperature"].text() == "0.73"
    window.panel.slider("top_k").setValue(10)  # another slider moves
    assert window.settings.sampling.temperature == 0.73
    assert window.settings.sampling.top_k == 10
    window.panel.slider("temperature").triggerAction(
        window.panel.slider("temperature").SliderAction.SliderSingleStepAdd
    )
    assert window.settings.sampling.temperature != 0.73  # moved by the user: the slider's value
    assert labels["temperature"].text() == f"{window.settings.sampling.temperature:.2f}"


def test_the_panel_can_be_driven_by_keyboard_to_its_ends(make_window, qtbot):
    window = make_window(load=False)
    slider = window.panel.slider("max_new_tokens")
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert window.settings.sampling.max_new_tokens == EDITOR_LIMITS["max_new_tokens"].high
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    assert window.settings.sampling.max_new_tokens == EDITOR_LIMITS["max_new_tokens"].low


def test_the_more_settings_fold_stays_as_left_across_restarts(make_window, qtbot):
    # An older settings file, without the key: the fold starts closed.
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "theme": "light"}), encoding="utf-8")
    window = make_window(load_settings()[0], load=False)
    assert not window.panel.advanced_toggle.isChecked()
    assert not window.panel.advanced.isVisible()

    qtbot.mouseClick(window.panel.advanced_toggle, Qt.MouseButton.LeftButton)  # open it, then quit
    assert window.panel.advanced.isVisible()
    assert window.close()
    assert json.loads(path.read_text(encoding="utf-8"))["show_more_settings"] is True

    again = make_window(load_settings()[0], load=False)  # the next start: open, its sliders shown
    assert again.panel.advanced_toggle.isChecked()
    assert again.panel.advanced.isVisible()
    assert again.panel.slider("top_k").isVisible()

    qtbot.mouseClick(again.panel.advanced_toggle, Qt.MouseButton.LeftButton)  # closed again, then quit
    assert again.close()
    third = make_window(load_settings()[0], load=False)
    assert not third.panel.advanced_toggle.isChecked()
    assert not third.panel.advanced.isVisible()

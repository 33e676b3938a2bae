"""Suggest (where a suggestion ends) and Token healing: in the panel, in the request, across a restart,
and per preset in the preset editor and the runner."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QStyle, QStyleOptionButton

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import (
    FIELDS,
    STOP_AT_CHOICES,
    STOP_AT_HELP,
    STOP_AT_LABEL,
    TOKEN_HEALING_HELP,
)
from gpt2_studio.core.presets.storage import builtin_presets, user_presets_dir
from gpt2_studio.core.presets.templates import find_preset
from gpt2_studio.core.settings import EDITOR_SAMPLING, load_settings, settings_path
from gpt2_studio.gui.sampling_panel import SamplingPanel
from tests.gui.presets.test_presets_gui import TEXT, click, put_cursor, start_with, wait_done

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def panel(qtbot) -> SamplingPanel:
    made = SamplingPanel(EDITOR_SAMPLING, EDITOR_SAMPLING)
    qtbot.addWidget(made)
    made.show()
    return made


def _choose(qtbot, combo: QComboBox, key: str) -> None:
    """Pick a choice from the keyboard, as a user does: focus the box, then Home and Down."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(list(STOP_AT_CHOICES).index(key)):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == key


def _tick(qtbot, box: QCheckBox) -> None:
    """Click the check box's indicator, where a user clicks (the box may be wider than its text)."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    where = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box).center()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=where)


def _requests(worker) -> list:
    """Every GenerationRequest the worker is handed from now on (its own queued signal)."""
    seen: list = []
    # Direct: recorded on the GUI thread as it is handed over (the worker itself lives on its own thread).
    worker._generate_requested.connect(seen.append, Qt.ConnectionType.DirectConnection)
    return seen


# -- the panel ------------------------------------------------------------------------------------
def test_suggest_offers_the_choices_in_order_and_explains_them(panel):
    combo = panel.stop_at
    assert [combo.itemText(i) for i in range(combo.count())] == list(STOP_AT_CHOICES.values())
    assert [combo.itemData(i) for i in range(combo.count())] == list(STOP_AT_CHOICES)
    assert STOP_AT_HELP in combo.toolTip()
    assert "Default: rest of the sentence." in combo.toolTip()
    assert combo.currentData() == "sentence"
    assert TOKEN_HEALING_HELP in panel.token_healing.toolTip()
    assert "Default: on." in panel.token_healing.toolTip()
    assert panel.token_healing.isChecked()
    # Max length stays: for the other choices it is the cap, and it says so.
    slider = panel.slider("max_new_tokens")
    assert FIELDS["max_new_tokens"].help in slider.toolTip()
    assert f"caps the other choices under {STOP_AT_LABEL}" in slider.toolTip()
    assert slider.isEnabled()


@pytest.mark.parametrize("key", list(STOP_AT_CHOICES))
def test_each_choice_from_the_keyboard_changes_the_settings(panel, qtbot, key):
    seen: list[SamplingSettings] = []
    panel.settings_changed.connect(seen.append)
    _choose(qtbot, panel.stop_at, key)
    assert panel.settings().stop_at == key
    if key != EDITOR_SAMPLING.stop_at:
        assert seen[-1].stop_at == key
    assert panel.settings().max_new_tokens == EDITOR_SAMPLING.max_new_tokens  # the slider stays put
    length = panel._sliders["max_new_tokens"][1].text()
    assert length == ("24 tokens" if key == "tokens" else "≤ 24 tokens")


def test_max_length_in_tokens_uses_the_slider(panel, qtbot):
    _choose(qtbot, panel.stop_at, "tokens")
    slider = panel.slider("max_new_tokens")
    slider.setFocus()
    with qtbot.waitSignal(panel.settings_changed) as changed:
        qtbot.keyClick(slider, Qt.Key.Key_End)
    assert (changed.args[0].stop_at, changed.args[0].max_new_tokens) == ("tokens", 200)


def test_token_healing_is_a_check_box_that_changes_the_settings(panel, qtbot):
    with qtbot.waitSignal(panel.settings_changed) as changed:
        _tick(qtbot, panel.token_healing)
    assert changed.args[0].token_healing is False
    panel.token_healing.setFocus()
    with qtbot.waitSignal(panel.settings_changed) as changed:
        qtbot.keyClick(panel.token_healing, Qt.Key.Key_Space)
    assert changed.args[0].token_healing is True


def test_reset_to_defaults_covers_both(panel, qtbot):
    _choose(qtbot, panel.stop_at, "word")
    _tick(qtbot, panel.token_healing)
    assert (panel.settings().stop_at, panel.settings().token_healing) == ("word", False)
    assert "Suggest rest of the sentence" in panel.reset_button.toolTip()
    assert "Token healing on" in panel.reset_button.toolTip()
    with qtbot.waitSignal(panel.settings_changed) as changed:
        qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert changed.args[0] == EDITOR_SAMPLING
    assert (panel.stop_at.currentData(), panel.token_healing.isChecked()) == ("sentence", True)


def test_showing_settings_does_not_emit_and_shows_both(panel, qtbot):
    seen: list = []
    panel.settings_changed.connect(seen.append)
    panel.set_settings(EDITOR_SAMPLING.replace(stop_at="paragraph", token_healing=False))
    assert seen == []
    assert (panel.stop_at.currentText(), panel.token_healing.isChecked()) == ("Rest of the paragraph", False)


# -- the request, and a restart -------------------------------------------------------------------
def test_a_word_without_healing_reaches_the_worker_and_survives_a_restart(make_window, qtbot):
    window = make_window()
    requests = _requests(window.worker)
    assert window.panel.isVisible()
    _choose(qtbot, window.panel.stop_at, "word")
    _tick(qtbot, window.panel.token_healing)
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "The capital of France is Par")
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    asked = requests[-1].settings
    assert (asked.stop_at, asked.token_healing) == ("word", False)
    assert asked == EDITOR_SAMPLING.replace(stop_at="word", token_healing=False)

    window.editor.document().setModified(False)
    assert window.close()
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert (saved["sampling"]["stop_at"], saved["sampling"]["token_healing"]) == ("word", False)

    settings, warnings = load_settings()
    assert warnings == []
    again = make_window(settings)
    assert (again.panel.stop_at.currentText(), again.panel.token_healing.isChecked()) == ("A word", False)
    requests = _requests(again.worker)
    again.editor.setFocus()
    qtbot.keyClicks(again.editor, "Once upon a ti")
    qtbot.keyClick(again.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: not again.controller.in_flight, timeout=30_000)
    assert (requests[-1].settings.stop_at, requests[-1].settings.token_healing) == ("word", False)


def test_by_default_the_editor_asks_for_healing_and_the_rest_of_the_sentence(window, qtbot):
    requests = _requests(window.worker)
    qtbot.keyClicks(window.editor, "Once upon a time")
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    assert (requests[-1].settings.stop_at, requests[-1].settings.token_healing) == ("sentence", True)


# -- presets ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Continue", "Q&A"])
def test_the_runner_hands_the_worker_the_presets_own_settings(window, qtbot, name):
    preset = find_preset(builtin_presets(), name)
    requests = _requests(window.worker)
    start_with(window)
    put_cursor(window, TEXT.index("capital") if name == "Q&A" else len(TEXT))
    click(qtbot, window, name)
    wait_done(qtbot, window)
    runs = [r for r in requests if r.channel == "preset"]
    assert len(runs) == 1
    assert runs[0].settings == preset.sampling  # untouched (it fits the tiny model's window)
    assert runs[0].settings.token_healing is (name == "Continue")


def test_the_preset_editor_edits_both_and_the_file_and_the_run_keep_them(window, qtbot):
    editor = window.presets.show_editor()
    editor.select("Q&A")
    form = editor.form
    assert (form.stop_at_combo.currentData(), form.token_healing_check.isChecked()) == ("line", False)
    assert STOP_AT_HELP in form.stop_at_combo.toolTip()
    assert TOKEN_HEALING_HELP in form.token_healing_check.toolTip()
    assert f"caps the other choices under {STOP_AT_LABEL}" in form.max_tokens_spin.toolTip()
    _choose(qtbot, form.stop_at_combo, "sentence")
    _tick(qtbot, form.token_healing_check)
    assert editor.save_button.isEnabled()  # the edits count as changes
    assert editor.save()
    files = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in user_presets_dir().glob("*.json")}
    (saved,) = files.values()
    assert (saved["sampling"]["stop_at"], saved["sampling"]["token_healing"]) == ("sentence", True)
    editor.close()

    again = window.presets.show_editor()
    again.select("Q&A")
    shown = again.form
    assert (shown.stop_at_combo.currentData(), shown.token_healing_check.isChecked()) == ("sentence", True)
    again.close()

    requests = _requests(window.worker)
    start_with(window)
    put_cursor(window, TEXT.index("capital"))
    click(qtbot, window, "Q&A")
    wait_done(qtbot, window)
    (run,) = [r for r in requests if r.channel == "preset"]
    assert (run.settings.stop_at, run.settings.token_healing) == ("sentence", True)

"""Suggestions beside presets and at the panel's limits, on the tiny GPT-2 (a 128-token window)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_limits import EDITOR_LIMITS
from gpt2_studio.core.presets.templates import Preset
from tests.gui.presets.test_presets_gui import add_user_preset, put_cursor, start_with, wait_done

CTRL = Qt.KeyboardModifier.ControlModifier


def test_a_suggestion_at_the_panels_longest_length_fits_a_small_models_window(window, qtbot):
    slider = window.panel.slider("max_new_tokens")
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_End)
    longest = EDITOR_LIMITS["max_new_tokens"].high
    assert window.settings.sampling.max_new_tokens == longest
    assert longest >= window.worker.context_window  # more than the tiny model's window holds
    messages: list[str] = []
    window.controller.message.connect(messages.append)
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "Once upon a time")
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    assert messages == []
    assert window.editor.ghost is not None
    assert window.editor.ghost_text()
    assert window.settings.sampling.max_new_tokens == longest  # the panel keeps what the user chose


def test_a_suggestion_ending_while_a_preset_runs_leaves_the_presets_progress_shown(window, qtbot):
    slow = Preset("Long note", "{selection}", SamplingSettings(max_new_tokens=100, top_k=0), output="below")
    add_user_preset(window, slow)
    window.panel.slider("max_new_tokens").setValue(60)
    shown: list[tuple[bool, str]] = []
    # Connected after the window's own slot: sees the label as the window left it.
    window.controller.state_changed.connect(
        lambda _state: shown.append((window.presets.runner.running, window.state_label.text()))
    )
    start_with(window, "First line")
    put_cursor(window, len("First line"))
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)  # a suggestion starts …
    assert window.controller.in_flight
    window.presets.action("Long note").trigger()  # … and the preset waits behind it on the worker
    assert window.state_label.text().startswith("Running Long note")
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    wait_done(qtbot, window)
    during = [text for running, text in shown if running]
    assert during  # the suggestion did end while the preset ran
    assert all(text.startswith("Running Long note") for text in during), during
    assert window.state_label.text() == "Ready"  # and the label is the suggestions' again after it

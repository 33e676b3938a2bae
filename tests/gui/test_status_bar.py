"""The status bar on its own: each label says what its setter was told, and the recovery warning stays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QMainWindow

from gpt2_studio.gui.models.worker import ModelInfo, WindowFill
from gpt2_studio.gui.status_bar import StatusBar

TINY = ModelInfo("tiny", "tiny-gpt2", "/models/tiny", "cpu", "fp32", 64, 100_000, ())


@pytest.fixture
def bar(qtbot) -> Iterator[StatusBar]:
    window = QMainWindow()
    qtbot.addWidget(window)
    status = StatusBar(window)
    window.setStatusBar(status)
    window.show()
    yield status
    window.close()


def test_a_loaded_model_shows_its_name_folder_device_and_ready(bar):
    bar.show_loading("tiny", None)
    assert (bar.model_label.text(), bar.state_label.text()) == ("Loading tiny…", "Loading")
    bar.show_model(TINY)
    assert bar.model_label.text() == "tiny-gpt2"
    assert bar.model_label.toolTip() == "/models/tiny"
    assert bar.device_label.text() == "CPU · fp32"
    assert bar.state_label.text() == "Ready"
    bar.show_model(ModelInfo("big", "gpt2", "/models/gpt2", "cuda", "fp16", 1024, 124_000_000, ()))
    assert bar.device_label.text() == "CUDA · fp16"


def test_loading_another_model_keeps_the_current_one_named_until_it_loads(bar):
    bar.show_model(TINY)
    bar.show_loading("gpt2-medium", TINY)
    assert bar.model_label.text() == "tiny-gpt2"
    assert bar.model_label.toolTip() == "/models/tiny\nLoading gpt2-medium…"
    assert bar.state_label.text() == "Loading"
    bar.keep_model(TINY)  # the new one failed
    assert (bar.model_label.text(), bar.model_label.toolTip()) == ("tiny-gpt2", "/models/tiny")
    assert bar.state_label.text() == "Ready"


def test_no_model_clears_the_device(bar):
    bar.show_model(TINY)
    bar.show_no_model()
    assert (bar.model_label.text(), bar.state_label.text(), bar.device_label.text()) == (
        "No model",
        "No model",
        "",
    )


def test_speed_context_fill_and_alternatives(bar):
    bar.set_speed(31.6)
    assert bar.speed_label.text() == "32 tok/s"
    bar.set_context_fill(WindowFill(10, 40, False))
    assert bar.context_window_label.text() == "Window: 25%"
    assert "Memory" not in bar.context_window_label.toolTip()
    bar.set_context_fill(WindowFill(40, 40, True))
    assert bar.context_window_label.text() == "Window: full"
    assert "no longer fits" in bar.context_window_label.toolTip()
    bar.clear_context_fill()
    assert bar.context_window_label.text() == ""
    bar.set_alternatives(1, 3)
    assert bar.alternative_label.text() == "2/3"
    bar.set_alternatives(0, 1)  # one suggestion: nothing to cycle through
    assert bar.alternative_label.text() == ""


def test_the_recovery_warning_outlasts_other_messages_until_cleared(bar, qtbot):
    warning = bar.recovery_warning
    assert not warning.isVisible()
    bar.set_alternatives(0, 3)
    warning.show_failure("Unsaved work is not being backed up: disk full.")
    # left of every other permanent label, the model's cell (name and device) rightmost
    qtbot.waitUntil(lambda: warning.x() < bar.alternative_label.x() < bar.model_cell.x(), timeout=5_000)
    assert warning.isVisible()
    assert warning.toolTip() == "Unsaved work is not being backed up: disk full."
    assert bar.currentMessage() == "Unsaved work is not being backed up: disk full."
    bar.showMessage("something else", 10)
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=5_000)
    assert warning.isVisible()
    warning.show_failure("again")  # already shown: no new message
    assert bar.currentMessage() == ""
    warning.clear()
    assert not warning.isVisible()
    assert warning.message == ""


def test_context_fill_names_memory_note_and_text_tokens(bar):
    bar.set_context_fill(WindowFill(62, 100, False, memory_tokens=20, note_tokens=1))
    assert bar.context_window_label.text() == "Window: 62%"
    tip = bar.context_window_label.toolTip()
    assert "Memory 20 tokens" in tip
    assert "Author's note 1 token," in tip
    assert "text 41 tokens" in tip
    assert "of 100 tokens" in tip


def test_a_prompt_that_cannot_fit_shows_its_one_sentence(bar):
    sentence = "The Memory is 300 tokens, more than the 100 the window has beside the suggestion."
    bar.set_context_fill(WindowFill(0, 100, False, problem=sentence))
    assert bar.context_window_label.text() == "Window: too full"
    assert bar.context_window_label.toolTip() == sentence
    bar.set_context_fill(WindowFill(5, 100, False))  # the Memory was shortened
    assert bar.context_window_label.text() == "Window: 5%"
    assert bar.context_window_label.toolTip() != sentence


def test_empty_fields_leave_no_bare_separator_in_the_bar(bar, qtbot):
    fields = (bar.device_label, bar.speed_label, bar.context_window_label, bar.alternative_label)
    assert not any(field.isVisible() for field in fields)  # nothing to say yet: nothing drawn
    bar.show_model(TINY)
    bar.set_speed(30)
    bar.set_context_fill(WindowFill(10, 40, False))
    bar.set_alternatives(0, 3)
    assert all(field.isVisible() for field in fields)
    bar.set_alternatives(0, 1)
    bar.clear_context_fill()
    bar.show_no_model()
    assert not any(field.isVisible() for field in (bar.alternative_label, bar.context_window_label))
    assert not bar.device_label.isVisible()
    assert bar.speed_label.isVisible()


def test_with_memory_or_note_the_fill_says_what_it_counts(bar):
    bar.set_context_fill(WindowFill(62, 100, False, memory_tokens=20, note_tokens=1))
    first = bar.context_window_label.toolTip().splitlines()[0]
    assert "Memory" in first
    assert "Author's note" in first
    bar.set_context_fill(WindowFill(62, 100, False))
    assert "Memory" not in bar.context_window_label.toolTip()


def test_a_suggestions_numbers_and_the_tokens_out_of_view(bar):
    import math

    from gpt2_studio.core.generation.scoring import TopToken
    from gpt2_studio.core.generation.token_numbers import TokenChoice
    from gpt2_studio.gui.editor.ghost_numbers import AlternativeNumbers

    choices = tuple(
        TokenChoice(t, math.log(p), (TopToken(t, math.log(p)),)) for t, p in ((" a", 0.9), (" b", 0.52))
    )
    numbers = AlternativeNumbers(choices, 0.43)
    bar.set_alternatives(1, 3, numbers)
    assert bar.alternative_label.text() == "2/3 · 71% · 0.4 s"
    bar.set_alternatives(0, 1, AlternativeNumbers(choices, 0.043))  # one suggestion: its numbers alone
    assert bar.alternative_label.text() == "71% · 0.04 s"
    bar.set_alternatives(0, 0, numbers)  # no suggestion: nothing
    assert bar.alternative_label.text() == ""
    assert not bar.out_of_view_label.isVisible()
    bar.set_out_of_view(1234)
    assert bar.out_of_view_label.text() == "1,234 tokens out of view"
    assert bar.out_of_view_label.isVisible()
    bar.set_out_of_view(1, more=True)
    assert bar.out_of_view_label.text() == "over 1 token out of view"
    bar.set_out_of_view(0)
    assert not bar.out_of_view_label.isVisible()

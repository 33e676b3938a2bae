"""The Learn a Style dialog in each phase, driven by recorded ``train --json`` events.

The events go through the same parser as the real command's output; test_process.py covers the child
process, test_end_to_end.py the real command.
"""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt

from gpt2_studio.gui.training.dialog import LearnStyleDialog
from gpt2_studio.gui.training.events import parse_event
from gpt2_studio.gui.training.setup_page import PRIVACY_LINE
from tests.gui.training.conftest import shoot
from tests.gui.training.recorded import DONE, PLAN, lines, step, training_events


@pytest.fixture
def dialog(qtbot):
    widget = LearnStyleDialog()
    widget.ask_close = lambda: pytest.fail("closing asked a question")
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.ask_close = lambda: "background"  # a test may leave it training (on recorded events)
    widget.close()
    widget.deleteLater()


def filled(dialog: LearnStyleDialog, writing, name: str = "my-style") -> LearnStyleDialog:
    dialog.setup_page.add_paths([str(writing), str(writing / "notes.md")])
    dialog.setup_page.name.setText(name)
    return dialog


def replay(dialog: LearnStyleDialog, events: list[dict]) -> None:
    for line in lines(events):
        event = parse_event(line)
        assert event is not None
        dialog.on_event(event)


def visible_buttons(dialog: LearnStyleDialog) -> set[str]:
    return {b.text().replace("&", "") for b in (
        dialog.check_button, dialog.start_button, dialog.resume_button, dialog.cancel_button,
        dialog.discard_button, dialog.new_run_button, dialog.use_button,
    ) if b.isVisible()}  # fmt: skip


def planned(dialog: LearnStyleDialog, writing) -> LearnStyleDialog:
    filled(dialog, writing)
    dialog.request = dialog.setup_page.request()
    dialog.begin("plan")
    replay(dialog, [PLAN])
    dialog.on_finished(0, "")
    return dialog


def test_without_an_installed_model_check_says_what_to_do(dialog, writing):
    filled(dialog, writing)
    assert not dialog.setup_page.base.isEnabled()
    shoot(dialog, "setup-no-model")
    dialog.check_button.click()
    assert dialog.run.phase == "setup"
    assert (
        dialog.status.text() == "No model is installed to start from: download one in File → Models… first."
    )
    assert not dialog.process.running


def test_the_form_explains_a_missing_or_bad_setting(installed_tiny, dialog, writing):
    page = dialog.setup_page
    assert page.base.currentText() == "tiny"
    dialog.check_button.click()
    assert dialog.status.text() == "Add files or a folder of your writing."
    page.add_paths([str(writing), str(writing)])
    assert page.paths() == [str(writing)]
    page.name.setText("my style")
    assert "cannot be a model name" in page.name_note.text()
    page.name.setText("tiny")
    assert page.name_note.text() == "A model named “tiny” is already installed: choose another name."
    dialog.check_button.click()
    assert dialog.status.text() == page.name_note.text()
    assert dialog.run.phase == "setup"
    assert not dialog.process.running
    assert page.request().steps is None  # automatic: two passes over the text
    page.budget.setValue(120)
    assert page.request().steps == 120
    page.advanced_button.click()
    page.lora_rank.setValue(0)
    page.budget_unit.setCurrentIndex(1)
    page.name.setText("my-style")
    request = page.request()
    assert (request.minutes, request.steps, request.lora_rank, request.learning_rate) == (20.0, None, 0, None)
    assert dialog.status.text() == ""
    shoot(dialog, "setup-filled")


def test_the_plan_shows_size_estimates_skipped_files_and_privacy(installed_tiny, dialog, writing):
    planned(dialog, writing)
    page = dialog.setup_page
    assert dialog.run.phase == "planned"
    plan = page.plan_label.text()
    for expected in (
        "12 documents, 48,210 tokens",
        "43,120 tokens to learn from",
        "5,090 held out",
        "6 steps of 128-token blocks (LoRA, rank 8)",
        "about 4 minutes",
        "812 MB",
        "498 MB",
    ):
        assert expected in plan  # fmt: skip
    shown = [page.skipped.item(i).text() for i in range(page.skipped.count())]
    assert shown == [
        "cover.png: not text (binary data)",
        "old.txt: not UTF-8 text (byte 0xE9 at position 10)",
    ]
    assert page.skipped.isVisible()
    assert page.privacy.text() == PRIVACY_LINE
    assert page.privacy.isVisible()
    assert "nothing is uploaded" in PRIVACY_LINE
    assert visible_buttons(dialog) == {"Start Training"}
    assert dialog.start_button.isDefault()
    shoot(dialog, "planned")
    page.budget.setValue(50)  # another budget: the plan no longer holds
    assert dialog.run.phase == "setup"
    assert dialog.run.plan is None
    assert visible_buttons(dialog) == {"Check"}


def test_a_plan_error_is_one_sentence_and_the_form_stays(installed_tiny, dialog, writing):
    filled(dialog, writing)
    dialog.request = dialog.setup_page.request()
    dialog.begin("plan")
    assert not dialog.setup_page.name.isEnabled()
    message = "The corpus has 40 tokens, fewer than one block of 128: add more text or lower --block-size."
    replay(dialog, [{"event": "error", "message": message}])
    dialog.on_finished(1, message)
    assert dialog.status.text() == message
    assert dialog.setup_page.name.isEnabled()
    assert visible_buttons(dialog) == {"Check"}
    shoot(dialog, "plan-error")


def test_training_shows_progress_speed_time_left_and_both_curves(installed_tiny, dialog, writing):
    planned(dialog, writing)
    dialog.begin("train")
    assert dialog.pages.currentWidget() is dialog.progress_page
    replay(dialog, training_events()[1:7])  # baseline, steps 1-2, held-out 2, checkpoint 2, step 3
    page = dialog.progress_page
    assert page.values["step"].text() == "3 of 6"
    assert page.values["speed"].text() == "1,830 tokens/s"  # 1830.5 rounds to even
    assert page.values["eta"].text() == "0:12"
    assert page.values["loss"].text() == "3.550"
    assert page.values["heldout"].text() == "3.900"
    assert page.values["before"].text() == "4.200 (perplexity 66.7)"
    assert page.bar.value() == 500
    curves = page.plot.curve_data()
    assert curves["training"][0] == [1.0, 2.0, 3.0]
    assert curves["held-out"] == ([0.0, 2.0], [4.2, pytest.approx(3.9)])
    assert visible_buttons(dialog) == {"Cancel Training"}
    shoot(dialog, "training")


def test_cancel_then_resume_or_discard(installed_tiny, dialog, writing):
    planned(dialog, writing)
    dialog.begin("train")
    replay(dialog, training_events()[1:7])
    dialog.cancel_button.click()
    assert dialog.run.phase == "stopping"
    assert not dialog.cancel_button.isEnabled()
    assert dialog.status.text().startswith("Stopping")
    replay(
        dialog, [{"event": "checkpoint", "step": 3}, {"event": "interrupted", "step": 3, "resumable": True}]
    )
    dialog.on_finished(130, "")
    assert dialog.run.phase == "interrupted"
    assert visible_buttons(dialog) == {"Resume", "Discard Run", "New Run"}
    assert dialog.status.text() == (
        "Stopped after step 3. Resume continues from there; Discard removes the stopped run."
    )
    assert dialog.progress_page.values["eta"].text() == "—"  # no time left to count while stopped
    shoot(dialog, "interrupted")
    dialog.begin("resume")
    assert dialog.run.phase == "training"
    assert dialog.status.text() == "Resuming from step 3…"
    replay(dialog, [step(4, 3.3)])
    assert dialog.progress_page.plot.curve_data()["training"][0] == [1.0, 2.0, 3.0, 4.0]


def test_done_says_how_much_better_in_words_and_shows_samples(installed_tiny, dialog, writing, qtbot):
    planned(dialog, writing)
    dialog.begin("train")
    replay(dialog, training_events()[1:-1])
    replay(dialog, [DONE])
    with qtbot.waitSignal(dialog.model_installed, timeout=1000) as installed:
        dialog.on_finished(0, "")
    assert installed.args == ["my-style"]
    page = dialog.result_page
    assert dialog.pages.currentWidget() is page
    gain = 1 - 41.3 / 66.686
    assert math.isclose(round(gain * 100), 38)
    assert page.headline.text() == "Predicts your writing 38% better than the base model."
    assert "1 − (perplexity after ÷ perplexity before)" in page.headline.toolTip()
    assert "66.7 with tiny, 41.3 with “my-style”" in page.details.text()
    assert page.sample_texts()[0] == (
        "The rain had not stopped for three days, and",
        "the city of the first time in the world was a new",
        "Mara had stopped counting the buckets under the roof.",
    )
    assert visible_buttons(dialog) == {"Use This Model", "New Run"}
    assert dialog.use_button.isDefault()
    shoot(dialog, "done")
    with qtbot.waitSignal(dialog.use_model_requested, timeout=1000) as used:
        dialog.use_button.click()
    assert used.args == ["my-style"]
    assert not dialog.isVisible()


def test_a_failed_run_says_why_and_offers_to_resume_from_its_checkpoint(installed_tiny, dialog, writing):
    planned(dialog, writing)
    dialog.begin("train")
    replay(dialog, training_events()[1:6])
    message = "Not enough disk space: the model needs 498 MB, 120 MB are free in /home/ann."
    replay(dialog, [{"event": "error", "message": message}])
    dialog.on_finished(1, message)
    assert dialog.run.phase == "failed"
    assert dialog.status.text() == f"{message} The run can resume from step 2."
    assert "color" in dialog.status.styleSheet()
    assert visible_buttons(dialog) == {"Resume", "Discard Run", "New Run"}
    shoot(dialog, "failed")
    dialog.new_run_button.click()
    assert dialog.run.phase == "setup"
    assert dialog.setup_page.name.text() == "my-style"  # the settings are kept for another try


@pytest.mark.parametrize(("answer", "visible", "phase"), [
    ("background", False, "training"), ("cancel", True, "training"), ("stop", False, "stopping"),
])  # fmt: skip
def test_closing_while_training_asks(installed_tiny, dialog, writing, answer, visible, phase):
    planned(dialog, writing)
    dialog.begin("train")
    replay(dialog, training_events()[1:4])
    asked = []
    dialog.ask_close = lambda: asked.append(True) or answer
    dialog.close()
    assert asked == [True]
    assert dialog.isVisible() is visible
    assert dialog.run.phase == phase


def test_closing_outside_training_asks_nothing(installed_tiny, dialog, writing):
    planned(dialog, writing)
    dialog.close()
    assert not dialog.isVisible()


def test_dark_theme_screenshot(installed_tiny, dialog, writing, qtbot):
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.themes import apply_theme

    app = QApplication.instance()
    apply_theme(app, "dark")
    try:
        planned(dialog, writing)
        dialog.begin("train")
        replay(dialog, training_events()[1:9])
        qtbot.wait(10)
        shoot(dialog, "training-dark")
        assert dialog.progress_page.plot.plot.backgroundBrush().color().lightness() < 100
    finally:
        apply_theme(app, "light")
    assert Qt.AlignmentFlag.AlignLeft


def test_closing_while_checking_stops_the_check_without_an_error(installed_tiny, dialog, writing, qtbot):
    import sys

    filled(dialog, writing)
    dialog.request = dialog.setup_page.request()
    dialog.begin("plan")
    with qtbot.waitSignal(dialog.process.finished, timeout=20_000):
        dialog.process.start_program(sys.executable, ["-c", "import time; time.sleep(60)"])
        dialog.close()
    assert dialog.run.phase == "setup"
    assert dialog.run.error == ""
    assert dialog.status.text() == ""

"""Learn a Style through the real ``gpt2-studio train`` in a child process: plan, train, the result in
the dialog, the new model in the model manager and the editor; cancel and resume; an error sentence.

Skipped, saying why, in a build without the command (gpt2_studio/cli/train.py).
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from gpt2_studio.gui.training.dialog import LearnStyleDialog
from tests.gui.training.conftest import shoot

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("gpt2_studio.cli.train") is None,
        reason="gpt2-studio train (gpt2_studio/cli/train.py) is not in this build",
    ),
    pytest.mark.qt_log_ignore("This plugin does not support raise"),
]

COMMAND_S = 120_000  # one command: importing torch, transformers and peft in a child of a busy machine


def open_dialog(window, writing, name: str = "my-style", steps: int = 4) -> LearnStyleDialog:
    window.training.action.trigger()
    dialog = window.training.dialog
    page = dialog.setup_page
    page.add_paths([str(writing)])
    page.name.setText(name)
    page.budget.setValue(steps)
    page.advanced_button.click()
    page.lora_rank.setValue(4)
    return dialog


def wait_phase(qtbot, dialog: LearnStyleDialog, *phases: str, timeout: int = COMMAND_S) -> None:
    qtbot.waitUntil(lambda: dialog.run.phase in phases, timeout=timeout)
    assert dialog.run.phase in phases, dialog.run.error


def check(qtbot, dialog: LearnStyleDialog) -> None:
    dialog.check_button.click()
    wait_phase(qtbot, dialog, "planned", "setup")
    assert dialog.run.phase == "planned", dialog.status.text()


def test_a_style_is_learned_and_the_new_model_is_used(window, qtbot, installed_tiny, writing):
    from gpt2_studio.core.models.store import list_installed

    (writing / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    dialog = open_dialog(window, writing)
    check(qtbot, dialog)
    plan = dialog.run.plan
    assert plan.documents == 7
    assert plan.corpus_tokens > 0
    assert [s.path.endswith("cover.png") for s in plan.skipped] == [True]
    assert "cover.png: " in dialog.setup_page.skipped.item(0).text()
    assert dialog.setup_page.privacy.isVisible()
    shoot(dialog, "real-planned")
    dialog.start_button.click()
    assert dialog.pages.currentWidget() is dialog.progress_page
    with qtbot.waitSignal(dialog.model_installed, timeout=COMMAND_S) as installed:
        pass
    assert installed.args == ["my-style"]
    assert dialog.run.phase == "done"
    curves = dialog.progress_page.plot.curve_data()
    assert curves["training"][0][-1] == 4.0
    assert curves["held-out"][0][0] == 0.0  # the base model's held-out loss starts the held-out curve
    page = dialog.result_page
    assert re.fullmatch(
        r"Predicts your writing (\d+% (better|worse) than|about as well as) the base model\.",
        page.headline.text(),
    )
    assert "1 − (perplexity after ÷ perplexity before)" in page.headline.toolTip()
    assert page.sample_texts()
    shoot(dialog, "real-done")
    dialog.progress_page.show()
    shoot(dialog.progress_page, "real-curves")
    dialog.progress_page.hide()
    assert "my-style" in [model.name for model in list_installed()]
    window.show_model_manager()
    assert window.model_manager.row("my-style").installed
    window.model_manager.close()
    dialog.use_button.click()
    qtbot.waitUntil(
        lambda: window.model_info is not None and window.model_info.ref == "my-style", timeout=30_000
    )


def test_cancel_then_resume_from_the_checkpoint(window, qtbot, installed_tiny, writing):
    from gpt2_studio.core.models.store import list_installed

    dialog = open_dialog(window, writing, steps=400)
    check(qtbot, dialog)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.run.last_step is not None, timeout=COMMAND_S)
    dialog.cancel_button.click()
    wait_phase(qtbot, dialog, "interrupted", "failed", "done")
    assert dialog.run.phase == "interrupted", dialog.status.text()
    stopped = dialog.run.checkpoint_step
    assert stopped is not None
    assert stopped < 400
    assert dialog.resume_button.isVisible()
    shoot(dialog, "real-interrupted")
    assert "my-style" not in [model.name for model in list_installed()]  # nothing half-made
    # Later (after a restart, say): the name alone finds the stopped run, and a smaller budget ends it.
    dialog.new_run_button.click()
    dialog.setup_page.files.clear()
    dialog.setup_page.budget.setValue(stopped + 2)
    assert f"stopped at step {stopped}" in dialog.setup_page.name_note.text()
    check(qtbot, dialog)
    assert dialog.start_button.text() == "&Resume Training"
    dialog.start_button.click()
    wait_phase(qtbot, dialog, "done", "failed", "interrupted")
    assert dialog.run.phase == "done", dialog.status.text()
    assert dialog.run.last_step.step == stopped + 2
    assert [s for s, _ in dialog.run.losses][-1] == stopped + 2
    assert "my-style" in [model.name for model in list_installed()]


def test_a_corpus_with_no_text_is_one_sentence_and_the_form_stays(window, qtbot, installed_tiny, tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    dialog = open_dialog(window, folder)
    dialog.check_button.click()
    wait_phase(qtbot, dialog, "setup", "planned")
    assert dialog.run.phase == "setup"
    message = dialog.status.text()
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    assert dialog.setup_page.name.isEnabled()
    shoot(dialog, "real-error")
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "ok")
    assert window.editor.toPlainText() == "ok"

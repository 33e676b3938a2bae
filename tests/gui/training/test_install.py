"""Learn a Style in the main window: the menu entry and command palette, the new model reaching the
model manager and the editor, training in the background, and quitting while a run trains."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from gpt2_studio.gui.training.dialog import LearnStyleDialog
from gpt2_studio.gui.training.events import parse_event
from gpt2_studio.gui.window_actions import window_actions
from tests.cli_children import needs_posix
from tests.gui.training.recorded import DONE, PLAN, lines, step, training_events

# Offscreen Qt cannot raise a window; showing the dialog again raises it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")

# A child that trains as `gpt2-studio train --json` reports it, and stops on SIGTERM like it.
TRAINING_CHILD = textwrap.dedent(
    """
    import json, signal, sys, time
    def out(event):
        sys.stdout.write(json.dumps(event) + "\\n"); sys.stdout.flush()
    def stop(signum, frame):
        out({"event": "checkpoint", "step": 1})
        out({"event": "interrupted", "step": 1, "resumable": True})
        sys.exit(130)
    signal.signal(signal.SIGTERM, stop)
    out(%s)
    time.sleep(120)
    """
) % json.dumps(step(1, 3.1))


def file_menu(window) -> QMenu:
    return next(m for m in window.main_menu.models_action.associatedObjects() if isinstance(m, QMenu))


def open_dialog(window) -> LearnStyleDialog:
    window.training.action.trigger()
    dialog = window.training.dialog
    assert isinstance(dialog, LearnStyleDialog)
    return dialog


def train_in_child(dialog: LearnStyleDialog, qtbot) -> None:
    """Start the dialog's process on TRAINING_CHILD and wait for its first step."""
    dialog.setup_page.name.setText("my-style")
    dialog.request = dialog.setup_page.request()
    dialog.begin("train")
    dialog.process.start_program(sys.executable, ["-c", TRAINING_CHILD])
    qtbot.waitUntil(lambda: dialog.run.last_step is not None, timeout=20_000)


def test_the_entry_sits_beside_the_model_entries_and_in_the_command_palette(window):
    texts = [a.text() for a in file_menu(window).actions()]
    assert texts[texts.index("&Models…") : texts.index("&Models…") + 3] == [
        "&Models…",
        "Open &Model Folder…",
        "&Learn a Style…",
    ]
    titles = [found.title for found in window_actions(window)]
    assert "File → Learn a Style…" in titles


def test_the_dialog_leaves_the_editor_usable(window, qtbot, installed_tiny):
    dialog = open_dialog(window)
    assert dialog.isVisible()
    assert not dialog.isModal()
    assert dialog.setup_page.base.currentText() == "tiny"
    window.activateWindow()
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "Still writing")
    assert window.editor.toPlainText() == "Still writing"
    assert open_dialog(window) is dialog  # the same dialog comes back
    dialog.close()


def test_a_new_model_reaches_the_model_manager_and_the_editor(window, qtbot, installed_tiny, tiny_model_dir):
    from gpt2_studio.core.models.store import import_checkpoint

    window.show_model_manager()
    manager = window.model_manager
    assert manager.row("my-style") is None
    dialog = open_dialog(window)
    dialog.setup_page.name.setText("my-style")
    dialog.request = dialog.setup_page.request()
    dialog.begin("train")
    for line in lines(training_events()[:-1]):
        dialog.on_event(parse_event(line))
    import_checkpoint(tiny_model_dir, "my-style")  # what the command installs before it prints "done"
    dialog.on_event(parse_event(lines([DONE])[0]))
    dialog.on_finished(0, "")
    row = manager.row("my-style")
    assert row is not None
    assert row.installed
    assert manager.selected_name() == "my-style"
    manager.close()
    dialog.use_button.click()
    qtbot.waitUntil(
        lambda: window.model_info is not None and window.model_info.ref == "my-style", timeout=30_000
    )
    assert not dialog.isVisible()


@needs_posix
def test_training_goes_on_in_the_background_and_the_status_bar_follows_it(window, qtbot, installed_tiny):
    dialog = open_dialog(window)
    train_in_child(dialog, qtbot)
    dialog.ask_close = lambda: "background"
    dialog.close()
    assert not dialog.isVisible()
    assert dialog.process.running
    dialog.process.event.emit(parse_event(lines([step(2, 3.0)])[0]))  # as the next line would
    assert window.statusBar().currentMessage().startswith("Learning “my-style”: step 2 of 6 (33%).")
    with qtbot.waitSignal(dialog.process.finished, timeout=20_000):
        dialog.process.stop()
    assert dialog.run.phase == "interrupted"
    assert "File → Learn a Style… resumes it" in window.statusBar().currentMessage()


@needs_posix
def test_quitting_while_training_asks_then_stops_with_a_checkpoint(window, qtbot, installed_tiny):
    dialog = open_dialog(window)
    train_in_child(dialog, qtbot)
    window.questions.answer("ask_stop_training", False)
    window.close()
    assert window.isVisible()  # kept open: training goes on
    assert dialog.process.running
    window.questions.answer("ask_stop_training", True)
    window.close()
    assert not window.isVisible()
    assert not dialog.process.running
    assert dialog.run.phase == "interrupted"
    assert dialog.run.checkpoint_step == 1
    assert [q for q, _ in window.questions.asked] == ["ask_stop_training", "ask_stop_training"]


def test_a_plan_in_the_window_uses_the_same_dialog(window, installed_tiny, writing):
    dialog = open_dialog(window)
    dialog.setup_page.add_paths([str(writing)])
    dialog.setup_page.name.setText("my-style")
    dialog.request = dialog.setup_page.request()
    dialog.begin("plan")
    dialog.on_event(parse_event(json.dumps(PLAN)))
    dialog.on_finished(0, "")
    assert dialog.start_button.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    dialog.close()

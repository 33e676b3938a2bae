"""Generate → CPU Threads: the model's thread count, set on the worker thread, kept in the settings."""

from __future__ import annotations

import json

from gpt2_studio.core.runner.threads import usable_cpus
from gpt2_studio.core.settings import AppSettings, settings_path


def _suggest(qtbot, window) -> None:
    """Ask for a suggestion and wait until its completion is back (the worker ran the model)."""
    with qtbot.waitSignal(window.controller.stats, timeout=20_000):
        window.controller.suggest_now()


def test_the_setting_is_applied_on_the_worker_thread_from_the_load_on(make_window, qtbot):
    window = make_window(AppSettings(precision="fp32", ghost_delay_ms=100, threads=1))
    # threads_in_use is what torch reports on the worker thread, which runs the model.
    assert window.worker.threads_in_use == 1
    assert window.main_menu.findChild(type(window.main_menu.auto_action), "action-threads-1").isChecked()
    qtbot.keyClicks(window.editor, "The fox")
    _suggest(qtbot, window)
    assert window.worker.threads_in_use == 1


def test_choosing_in_the_menu_changes_the_next_request_and_is_saved(window, qtbot):
    actions = {a.objectName(): a for a in window.main_menu.threads_menu.actions()}
    assert actions["action-threads-auto"].isChecked()  # automatic by default
    assert "&" in window.main_menu.threads_menu.title()  # Alt+G, T from the keyboard
    assert {f"action-threads-{n}" for n in range(1, usable_cpus() + 1)} <= set(actions)
    qtbot.keyClicks(window.editor, "The quick brown fox")

    actions["action-threads-1"].trigger()
    assert window.settings.threads == 1
    assert actions["action-threads-1"].isChecked()
    assert not actions["action-threads-auto"].isChecked()
    _suggest(qtbot, window)
    assert window.worker.threads_in_use == 1

    top = max(n for n in range(1, usable_cpus() + 1))
    actions[f"action-threads-{top}"].trigger()
    _suggest(qtbot, window)
    assert window.worker.threads_in_use == top

    actions["action-threads-auto"].trigger()
    assert window.settings.threads is None
    _suggest(qtbot, window)
    assert 1 <= window.worker.threads_in_use <= usable_cpus()

    actions["action-threads-1"].trigger()
    window.save_settings()
    assert json.loads(settings_path().read_text(encoding="utf-8"))["threads"] == 1


def test_a_count_above_this_machines_cpus_from_the_settings_file_is_shown_and_used(make_window, qtbot):
    many = usable_cpus() + 3
    window = make_window(AppSettings(precision="fp32", ghost_delay_ms=100, threads=many))
    action = window.main_menu.findChild(type(window.main_menu.auto_action), f"action-threads-{many}")
    assert action is not None
    assert action.isChecked()
    assert window.worker.threads_in_use == many

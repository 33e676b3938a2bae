"""Preferences (Ctrl+,) on the real main window: each control changes the app, Cancel changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontInfo, QPalette
from PySide6.QtWidgets import QApplication

from gpt2_studio import paths
from gpt2_studio.core.settings import AppSettings, load_settings
from gpt2_studio.gui.preferences import PreferencesDialog


def _settings(**values) -> AppSettings:
    return AppSettings(precision="fp32", ghost_delay_ms=400, **values)


@pytest.fixture
def prefs_window(make_window):
    window = make_window(_settings(), load=False)
    yield window
    window.set_theme("light")


def _open(window, qtbot) -> PreferencesDialog:
    window.surface.preferences_action.trigger()  # Edit → Preferences…, Ctrl+,
    dialog = window.surface.preferences
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    return dialog


def test_ctrl_comma_opens_it_with_the_settings_as_they_are(prefs_window, qtbot):
    window = prefs_window
    window.settings.column_width = 64
    window.settings.line_spacing = 170
    dialog = _open(window, qtbot)
    assert dialog.column_width.value() == 64
    assert dialog.line_spacing.value() == 170
    assert dialog.ghost_delay.value() == 400
    assert dialog.length.value() == window.settings.sampling.max_new_tokens
    assert dialog.theme.currentData() == "system"
    assert dialog.changes() == {}  # nothing changed yet: OK would emit nothing
    dialog.reject()


def test_ok_applies_every_change_to_the_running_app(prefs_window, qtbot):
    window = prefs_window
    dialog = _open(window, qtbot)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.column_width.setValue(60)
    dialog.line_spacing.setValue(200)
    dialog.monospace.setChecked(True)
    dialog.font_size.setValue(15)
    dialog.ghost_delay.setValue(1500)
    dialog.length.setValue(40)
    dialog.ghost_enabled.setChecked(False)
    dialog.spell_check.setChecked(False)
    dialog.spelling_language.setCurrentIndex(dialog.spelling_language.findData("fr"))
    with qtbot.waitSignal(window.preferences_changed, timeout=2000) as changed:
        dialog.accept()
    assert "spelling_language" in changed.args[0]
    assert "spell_check" in changed.args[0]
    settings = window.settings
    assert (settings.theme, settings.column_width, settings.line_spacing) == ("dark", 60, 200)
    assert QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 80
    assert window.main_menu.theme_actions["dark"].isChecked()  # View → Theme follows the dialog
    assert window.surface.column.width == 60
    assert window.editor.document().documentLayout().line_spacing == 200
    assert QFontInfo(window.editor.font()).fixedPitch()
    assert window.editor.font().pointSize() == 15
    assert window.controller.timer.interval() == 1500
    assert settings.ghost_delay_ms == 1500
    assert settings.sampling.max_new_tokens == 40
    assert window.panel.settings().max_new_tokens == 40  # the sampling panel shows it too
    assert not settings.ghost_enabled
    assert not window.main_menu.auto_action.isChecked()
    assert (settings.spell_check, settings.spelling_language) == (False, "fr")


def test_they_are_saved_and_read_back(prefs_window, qtbot):
    window = prefs_window
    dialog = _open(window, qtbot)
    dialog.column_width.setValue(dialog.column_width.minimum())  # shown as "Full width"
    assert dialog.column_width.text() == "Full width"
    dialog.line_spacing.setValue(130)
    dialog.accept()
    assert window.settings.column_width == 0
    assert window.save_settings() is None
    loaded, warnings = load_settings()
    assert warnings == []
    assert (loaded.column_width, loaded.line_spacing) == (0, 130)


def test_cancel_changes_nothing(prefs_window, qtbot):
    window = prefs_window
    before = (window.settings.column_width, window.settings.line_spacing, window.settings.theme)
    font = QFont(window.editor.font())
    dialog = _open(window, qtbot)
    dialog.column_width.setValue(120)
    dialog.line_spacing.setValue(250)
    dialog.monospace.setChecked(True)
    dialog.reject()
    assert (window.settings.column_width, window.settings.line_spacing, window.settings.theme) == before
    assert window.editor.font() == font


def test_apply_keeps_the_dialog_open(prefs_window, qtbot):
    window = prefs_window
    dialog = _open(window, qtbot)
    dialog.line_spacing.setValue(180)
    dialog.apply()
    assert window.settings.line_spacing == 180
    assert dialog.isVisible()
    assert dialog.changes() == {}
    dialog.reject()


def test_the_folders_open_where_the_app_keeps_its_files(prefs_window, qtbot):
    dialog = _open(prefs_window, qtbot)
    opened: list[Path] = []
    dialog.open_folder = lambda folder: opened.append(folder) or True
    for button in dialog.folder_buttons.values():
        button.click()
    assert opened == [paths.config_dir(), paths.models_dir(), paths.data_dir()]
    dialog.open_folder = lambda folder: False
    dialog.folder_buttons["Models"].click()
    assert dialog.message.text() == f"The folder {paths.models_dir()} could not be opened."
    dialog.reject()


def test_a_new_device_reloads_the_model_there(make_window, qtbot):
    window = make_window(_settings())
    dialog = _open(window, qtbot)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.accept()
    assert window.settings.device == "cpu"
    qtbot.waitUntil(
        lambda: window.models.loading_ref is None and window.model_info is not None, timeout=30_000
    )
    assert window.model_info.device == "cpu"


def test_a_default_model_that_cannot_load_changes_nothing(make_window, qtbot, tmp_path):
    window = make_window(_settings())
    in_use = window.settings.model
    dialog = _open(window, qtbot)
    dialog.model.setCurrentText(str(tmp_path / "no-such-model"))
    dialog.accept()
    qtbot.waitUntil(lambda: "Still using" in window.status_bar.currentMessage(), timeout=30_000)
    assert "no-such-model" in window.status_bar.currentMessage()  # one sentence names it
    assert window.settings.model == in_use  # the default stays the model that works
    assert window.model_info is not None  # still writing with it


def test_the_font_setting_changes_only_when_the_writer_changes_it(prefs_window, qtbot):
    window = prefs_window
    dialog = _open(window, qtbot)
    assert "font_family" not in dialog.changes()  # "" (the default) shown as the font in use
    dialog.font_family.setCurrentFont(QFont("DejaVu Sans"))
    assert dialog.changes()["font_family"] == "DejaVu Sans"
    dialog.accept()
    assert QFontInfo(window.editor.font()).family() == "DejaVu Sans"
    dialog = _open(window, qtbot)
    assert "font_family" not in dialog.changes()
    default = next(
        b for b in dialog.findChildren(type(dialog.folder_buttons["Models"])) if b.text() == "Default"
    )
    default.click()
    assert dialog.changes()["font_family"] == ""  # back to the default prose font
    dialog.accept()
    assert window.settings.font_family == ""

"""The toolbars: icons only, in groups, named with their keys on hover, in the theme's colours; and the
panels that stay out of the way (the preset result panel is not left docked empty)."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QToolBar

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.icons import preset_icon_name
from gpt2_studio.gui.themes import contrast_ratio
from tests.gui.presets.test_presets_gui import add_user_preset, start_with

GROUPS = ["suggestions-toolbar", "preset-toolbar", "likelihood-toolbar", "model-toolbar"]


def toolbars(window) -> list[QToolBar]:
    return [window.findChild(QToolBar, name) for name in GROUPS]


def wait_for_icons(window, qtbot) -> None:
    """The icon font loads just after the window's first paint."""
    qtbot.waitUntil(lambda: window.toolbars.icons.drawn and window.presets.bar.icons.drawn)


def icon_color(icon: QIcon, mode: QIcon.Mode = QIcon.Mode.Normal) -> QColor:
    """The mean colour of an icon's opaque pixels."""
    image = icon.pixmap(32, 32, mode).toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    opaque = [p for p in pixels if p.alpha() > 200]
    assert opaque, "the icon draws nothing"
    channels = (round(sum(getattr(p, c)() for p in opaque) / len(opaque)) for c in ("red", "green", "blue"))
    return QColor(*channels)


def test_icons_arrive_after_the_first_paint_without_moving_the_buttons(make_window, qtbot):
    window = make_window(load=False)
    button = window.findChild(QToolBar, "suggestions-toolbar").widgetForAction(
        window.main_menu.suggest_action
    )
    before = button.geometry()
    wait_for_icons(window, qtbot)
    qtbot.waitUntil(lambda: button.geometry() == before)  # (the layout settles in the same place)
    icon_color(button.icon())


def test_the_toolbars_are_one_row_of_icon_groups_in_order(make_window, qtbot):
    window = make_window(load=False)
    wait_for_icons(window, qtbot)
    bars = toolbars(window)
    assert all(bar is not None and bar.isVisible() for bar in bars)
    assert all(window.toolBarArea(bar) == Qt.ToolBarArea.TopToolBarArea for bar in bars)
    assert len({bar.y() for bar in bars}) == 1  # one row
    assert [bar.x() for bar in bars] == sorted(bar.x() for bar in bars)
    assert max(bar.height() for bar in bars) < 44
    for bar in bars:
        assert bar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
        for action in bar.actions():
            button = bar.widgetForAction(action)
            if action.isSeparator() or button is None:
                continue
            icon_color(button.icon())  # drawn, not blank (a group's drop-down button too)
            assert button.toolTip(), action.text()
    menu = window.main_menu
    suggestions, presets, lens, model = bars
    expected = [menu.auto_action, menu.suggest_action, menu.accept_action, menu.stop_action]
    assert suggestions.actions() == expected
    assert lens.actions() == [menu.likelihood_action]
    assert menu.models_action in model.actions()
    assert menu.command_palette_action in model.actions()
    assert window.panel.toggleViewAction() in model.actions()


def test_each_button_names_its_action_and_keys_on_hover(make_window):
    window = make_window(load=False)
    menu = window.main_menu
    assert menu.suggest_action.toolTip() == "Suggest now (Ctrl+Space)"
    assert menu.accept_action.toolTip() == "Accept the suggestion (Tab)"
    assert "Ctrl+Shift+M" in menu.models_action.toolTip()
    assert "Ctrl+Shift+P" in menu.command_palette_action.toolTip()
    assert "Ctrl+Shift+L" in menu.likelihood_action.toolTip()
    qa = window.presets.action("Q&A")
    assert "Ctrl+Alt+2" in qa.toolTip()
    assert "Q&A" in qa.toolTip()


def test_every_preset_has_an_icon_a_users_own_its_initial(make_window, qtbot):
    window = make_window(load=False)
    wait_for_icons(window, qtbot)
    add_user_preset(window, Preset("Haiku", "{document}", SamplingSettings()))
    add_user_preset(window, Preset("2 lines", "{document}", SamplingSettings()))
    assert preset_icon_name("Haiku") == "mdi6.alpha-h-box-outline"
    assert preset_icon_name("2 lines") == "mdi6.numeric-2-box-outline"
    assert preset_icon_name("…") == "msc.play"
    for action in window.presets.bar.actions_by_name.values():
        icon_color(action.icon())  # drawn, also after the bar was rebuilt
    icon_color(window.presets.bar.group_buttons["Translate"].icon())


def test_icons_follow_the_theme_with_readable_contrast(make_window, qtbot):
    window = make_window(AppSettings(theme="light"), load=False)
    wait_for_icons(window, qtbot)
    suggest = window.main_menu.suggest_action
    preset = window.presets.action("TL;DR")
    seen = {}
    for theme in ("light", "dark", "light"):
        window.set_theme(theme)
        dark = theme == "dark"
        qtbot.waitUntil(
            lambda d=dark: (window.palette().color(QPalette.ColorRole.Window).lightness() < 128) == d
        )
        palette = window.palette()
        background = palette.color(QPalette.ColorRole.Window)
        for action in (suggest, preset):
            color = icon_color(action.icon())
            assert contrast_ratio(color, background) >= 4.5, (theme, action.text(), color.name())
            seen.setdefault(theme, set()).add(color.name())
    assert seen["light"] != seen["dark"]  # redrawn, not left black on dark grey


def test_accept_is_enabled_only_while_a_suggestion_is_shown(window, qtbot):
    accept = window.main_menu.accept_action
    button = window.findChild(QToolBar, "suggestions-toolbar").widgetForAction(accept)
    window.editor.setPlainText("Once upon a time")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    assert not button.isEnabled()
    window.controller.suggest_now()
    qtbot.waitUntil(lambda: bool(window.editor.ghost and window.editor.ghost_text()), timeout=30_000)
    assert button.isEnabled()
    ghost = window.editor.ghost_text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.editor.toPlainText() == "Once upon a time" + ghost
    assert not button.isEnabled()


def test_stop_is_enabled_only_while_something_generates(window, qtbot):
    stop = window.main_menu.stop_action
    assert not stop.isEnabled()
    window.controller.settings = window.settings.sampling.replace(max_new_tokens=100, stop_at="tokens")
    window.editor.setPlainText("Once upon a time")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    window.controller.suggest_now()
    assert stop.isEnabled()
    button = window.findChild(QToolBar, "suggestions-toolbar").widgetForAction(stop)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not window.controller.in_flight
    assert not stop.isEnabled()
    add_user_preset(
        window, Preset("Long note", "{document}", SamplingSettings(max_new_tokens=60), output="below")
    )
    window.presets.action("Long note").trigger()
    assert stop.isEnabled()
    qtbot.keyClick(window.editor, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)  # Ctrl+.
    assert not window.presets.runner.running
    assert not stop.isEnabled()


def test_the_result_panel_is_not_restored_empty(make_window, qtbot):
    settings = AppSettings(precision="fp32", ghost_delay_ms=100)
    first = make_window(settings, load=False)
    first.presets.panel.show()  # left open at the end of a session; its result is not kept
    assert first.presets.panel.isVisible()
    assert first.save_settings() is None
    second = make_window(settings, load=False)
    assert not second.presets.panel.isVisible()
    assert second.panel.isVisible() == first.panel.isVisible()  # the other docks keep their place


def test_a_run_that_leaves_the_result_panel_empty_closes_it(window, qtbot):
    long = SamplingSettings(max_new_tokens=60, top_k=0)
    add_user_preset(window, Preset("Side note", "{document}", long, output="side_panel"))
    start_with(window, "Some text")
    panel = window.presets.panel
    assert not panel.isVisible()
    window.presets.action("Side note").trigger()
    assert panel.isVisible()  # opened for the result on its way
    window.presets.runner.stop()  # before its first word
    qtbot.waitUntil(lambda: not window.presets.runner.running)
    if not panel.text().strip():
        assert not panel.isVisible()
    else:  # a word came in before the stop: it stays, with its Insert and Copy
        assert panel.isVisible()


def test_without_the_icon_fonts_the_buttons_show_their_text(qtbot, monkeypatch, caplog):
    from PySide6.QtWidgets import QMainWindow

    from gpt2_studio.gui import icons

    monkeypatch.setattr(icons, "_fonts", [])
    monkeypatch.setitem(sys.modules, "qtawesome", None)  # not installed: importing it fails
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = QToolBar("Test", window)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    window.addToolBar(bar)
    action = bar.addAction("Suggest now")
    themed = icons.ThemedIcons(window)
    themed.set_icon(action, "suggest")
    themed.draw()
    assert action.icon().isNull()  # so the button draws its text instead
    assert bar.widgetForAction(action).text() == "Suggest now"
    assert "icon fonts could not be loaded" in caplog.text
    themed.set_icon(action, "accept")  # later icons: no new attempt, no new warning
    assert caplog.text.count("icon fonts could not be loaded") == 1

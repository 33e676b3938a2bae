"""Both themes keep every status-bar field, the preset heading and the model banner readable (WCAG)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

MIN_CONTRAST = 4.5  # WCAG AA for normal text
SHOTS = Path(os.environ["GPT2_STUDIO_SHOTS"]) if os.environ.get("GPT2_STUDIO_SHOTS") else None


def luminance(color: QColor) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def drawn_contrast(image: QImage) -> float:
    """Contrast between the commonest pixel (the background) and the pixel furthest from it (the text)."""
    pixels = Counter(image.pixel(x, y) for y in range(image.height()) for x in range(image.width()))
    background = QColor(pixels.most_common(1)[0][0])
    return max(contrast(QColor(pixel), background) for pixel in pixels)


def palette_contrast(label: QLabel, behind: QWidget) -> float:
    """Contrast of the label's text colour with what is behind it (itself, or the widget it sits on)."""
    holder = label if label.autoFillBackground() else behind
    return contrast(
        label.palette().color(label.foregroundRole()), holder.palette().color(holder.backgroundRole())
    )


def area_in(label: QWidget, behind: QWidget) -> QRect:
    """The label's rectangle in the coordinates of a widget it sits on (its parent or further up)."""
    return QRect(label.mapTo(behind, QPoint(0, 0)), label.size())


def readable_labels(window) -> list[tuple[QLabel, QWidget]]:
    bar = window.statusBar()
    labels = [(label, bar) for label in bar.findChildren(QLabel) if label.isVisible() and label.text()]
    title = window.presets.panel.title
    labels.append((title, title.parentWidget()))
    labels.append((window.model_banner.label, window.model_banner))
    return labels


@pytest.mark.parametrize("themes", [("dark", "light"), ("light", "dark", "light")])
def test_every_status_field_is_readable_in_both_themes(window, qtbot, themes):
    window.presets.panel.show_result("TL;DR", "Short.", "TL;DR: the result heading")
    window.presets.panel.show()
    window.statusBar().clearMessage()
    window.status_bar.speed_label.setText("31 tok/s")
    window.status_bar.alternative_label.setText("1/3")
    window.show_no_model("", first_start=True)  # the banner, as on a first start
    labels = readable_labels(window)
    assert len(labels) >= 6  # model, device, state, window, speed, alternative … and the heading
    try:
        for theme in themes:
            window.main_menu.theme_actions[theme].trigger()
            QApplication.processEvents()
            base = QApplication.palette().color(QPalette.ColorRole.Window)
            assert (base.lightness() < 100) == (theme == "dark")
            for label, behind in labels:
                name = label.objectName() or label.text()
                assert palette_contrast(label, behind) >= MIN_CONTRAST, (theme, name)
                image = behind.grab(area_in(label, behind)).toImage()
                assert drawn_contrast(image) >= MIN_CONTRAST, (theme, name)
            if SHOTS is not None:
                SHOTS.mkdir(parents=True, exist_ok=True)
                window.statusBar().grab().save(str(SHOTS / f"status_bar_{theme}.png"))
                window.grab().save(str(SHOTS / f"window_no_model_{theme}.png"))
    finally:
        window.main_menu.theme_actions["light"].trigger()


@pytest.mark.parametrize("themes", [("dark", "light"), ("light", "dark", "light")])
def test_warnings_are_readable_in_both_themes(window, qtbot, themes, monkeypatch):
    from gpt2_studio.gui.models import manager as model_manager
    from gpt2_studio.gui.models.manager import COLUMNS

    # 2 GB free: GPT-2 fits, GPT-2 XL is "too big" (in the warning colour).
    monkeypatch.setattr(model_manager, "free_ram_bytes", lambda: 2_000_000_000)
    monkeypatch.setattr(model_manager, "free_vram_bytes", lambda: None)
    editor = window.presets.show_editor()
    editor.new_preset()
    editor.form.template_edit.setPlainText("Tell me about {topic}")
    assert not editor.save()  # an error under the form
    message = editor.message
    window.show_model_manager()
    manager = window.model_manager
    table = manager.table
    fits = COLUMNS.index("Fits")
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "gpt2-xl")
    cell = table.item(row, fits)
    assert "too big" in cell.text()
    table.clearSelection()
    try:
        for theme in themes:
            window.main_menu.theme_actions[theme].trigger()
            QApplication.processEvents()
            background = table.viewport().palette().color(QPalette.ColorRole.Base)
            assert (background.lightness() < 100) == (theme == "dark")
            assert contrast(cell.foreground().color(), background) >= MIN_CONTRAST, theme
            image = table.viewport().grab(table.visualItemRect(cell)).toImage()
            assert drawn_contrast(image) >= MIN_CONTRAST, theme
            assert palette_contrast(message, message.parentWidget()) >= MIN_CONTRAST, theme
            red = message.palette().color(message.foregroundRole())
            assert red.red() > max(red.green(), red.blue()) + 40, (theme, red.name())  # still a red
            image = message.parentWidget().grab(message.geometry()).toImage()
            assert drawn_contrast(image) >= MIN_CONTRAST, theme
            if SHOTS is not None:
                SHOTS.mkdir(parents=True, exist_ok=True)
                manager.grab().save(str(SHOTS / f"model_manager_{theme}.png"))
                editor.grab().save(str(SHOTS / f"preset_editor_error_{theme}.png"))
    finally:
        window.main_menu.theme_actions["light"].trigger()
        editor.close()
        manager.close()


def _every_label(window) -> list[tuple[QLabel, QWidget]]:
    """Every label of the window that shows text now, with the widget that paints what is behind it."""
    found = []
    for label in window.findChildren(QLabel):
        if not (label.isVisible() and label.text().strip()):
            continue
        behind = label.parentWidget()
        while behind is not None and not behind.autoFillBackground() and behind.parentWidget() is not None:
            if behind is window.statusBar() or behind.isWindow():
                break
            behind = behind.parentWidget()
        found.append((label, behind))
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_label_of_the_window_is_readable(make_window, qtbot, theme):
    """Walks all the window's labels (status bar, panels, banner, counts), in each theme."""
    from gpt2_studio.core.settings import AppSettings

    window = make_window(AppSettings(precision="fp32"), load=False)
    window.editor.setPlainText("Some words to count.")
    window.surface.counter.count_now()
    window.presets.panel.show_result("TL;DR", "Short.", "TL;DR: the result heading")
    window.presets.panel.show()
    window.context_dock.show()
    window.status_bar.set_speed(31)
    window.status_bar.set_alternatives(0, 3)
    window.show_no_model("", first_start=True)
    window.surface.show_preferences()  # a dialog of the window: its labels are walked too
    try:
        window.set_theme(theme)
        QApplication.processEvents()
        assert (QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100) == (
            theme == "dark"
        )
        labels = _every_label(window)
        names = {label.objectName() for label, _ in labels}
        assert {"status-counts", "status-model", "status-state"} <= names
        assert any(label.window() is window.surface.preferences for label, _ in labels)
        assert len(labels) >= 8
        for label, behind in labels:
            name = label.objectName() or label.text()
            assert palette_contrast(label, behind) >= MIN_CONTRAST, (theme, name)
            image = behind.grab(area_in(label, behind)).toImage()
            assert drawn_contrast(image) >= MIN_CONTRAST, (theme, name)
    finally:
        window.surface.preferences.reject()
        window.set_theme("light")


def test_the_system_theme_follows_the_os_while_it_runs(make_window, monkeypatch):
    """With "system", a change of the OS's light/dark setting switches the palette at once; an override
    ("light" or "dark") stays as it is."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    from gpt2_studio.core.settings import AppSettings
    from gpt2_studio.gui import themes

    window = make_window(AppSettings(precision="fp32"), load=False)
    hints = QGuiApplication.styleHints()
    scheme = {"now": Qt.ColorScheme.Light}
    # The offscreen platform has no OS setting to change: the OS's answer is set here and its signal
    # emitted through Qt, as the platform would.
    monkeypatch.setattr(themes, "system_color_scheme", lambda: scheme["now"])

    def os_switches_to(value) -> None:
        scheme["now"] = value
        hints.colorSchemeChanged.emit(value)
        QApplication.processEvents()

    def base_is_dark() -> bool:
        return QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 80

    try:
        window.set_theme("system")
        assert not base_is_dark()
        os_switches_to(Qt.ColorScheme.Dark)
        assert base_is_dark()
        assert window.main_menu.theme_actions["system"].isChecked()  # the menu shows the setting
        assert window.settings.theme == "system"  # still following, not overridden
        os_switches_to(Qt.ColorScheme.Light)
        assert not base_is_dark()
        assert window.main_menu.theme_actions["system"].isChecked()
        window.set_theme("light")  # an override: the OS's changes no longer apply
        os_switches_to(Qt.ColorScheme.Dark)
        assert not base_is_dark()
    finally:
        scheme["now"] = Qt.ColorScheme.Light
        window.set_theme("light")


def _menu_titles(menu) -> list[str]:
    return [action.text().replace("&", "") for action in menu.actions() if not action.isSeparator()]


def test_view_menu_has_one_theme_submenu_of_exclusive_choices(make_window, monkeypatch):
    from PySide6.QtCore import Qt

    from gpt2_studio.core.settings import AppSettings
    from gpt2_studio.gui import themes

    monkeypatch.setattr(themes, "system_color_scheme", lambda: Qt.ColorScheme.Dark)
    window = make_window(AppSettings(precision="fp32"), load=False)  # theme "system" by default
    view = window.main_menu.view_menu
    titles = _menu_titles(view)
    assert "Theme" in titles
    assert not {"Dark Theme", "Follow System Theme"} & set(titles)  # the two old actions are gone
    submenu = next(a.menu() for a in view.actions() if a.text().replace("&", "") == "Theme")
    assert submenu is window.main_menu.theme_menu
    assert _menu_titles(submenu) == ["System", "Light", "Dark"]
    choices = submenu.actions()

    def checked() -> list[str]:
        return [a.text().replace("&", "") for a in choices if a.isChecked()]

    def base_is_dark() -> bool:
        return QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 80

    try:
        assert checked() == ["System"]
        for index, theme, dark in ((1, "light", False), (2, "dark", True), (0, "system", True)):
            choices[index].trigger()  # as a click on it in the open menu does
            assert checked() == [theme.capitalize()]  # one choice at a time
            assert window.settings.theme == theme
            assert base_is_dark() == dark  # "system" follows the (dark) OS
        choices[0].trigger()  # choosing the checked one again keeps it checked
        assert checked() == ["System"]
        window.set_theme("light")  # from elsewhere (Preferences): the menu follows
        assert checked() == ["Light"]
    finally:
        window.set_theme("light")


@pytest.mark.parametrize(("theme", "dark"), [("dark", True), ("light", False)])
def test_an_old_settings_file_opens_in_its_theme(make_window, theme, dark):
    """A settings file from the first version (``theme`` "light" or "dark", the only key it had for the
    theme, no later keys) opens in that theme with View → Theme showing it."""
    from gpt2_studio.core.settings import load_settings, settings_path
    from gpt2_studio.gui.themes import apply_theme

    old = {
        "version": 1,
        "sampling": {"temperature": 0.8, "top_k": 40, "max_new_tokens": 24},
        "model": None,
        "device": "auto",
        "precision": "auto",
        "font_family": "",
        "font_size": 12,
        "theme": theme,
        "ghost_enabled": True,
        "ghost_delay_ms": 400,
        "recent_files": [],
        "window_geometry": "",
        "window_state": "",
        "show_sampling_panel": True,
    }
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(old), encoding="utf-8")
    settings, warnings = load_settings()
    assert warnings == []
    window = make_window(settings, load=False)
    app = QApplication.instance()
    try:
        apply_theme(app, window.settings.theme)  # as launch() does before showing the window
        assert window.settings.theme == theme
        assert (QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 80) == dark
        assert window.main_menu.theme_actions[theme].isChecked()
        assert [t for t, a in window.main_menu.theme_actions.items() if a.isChecked()] == [theme]
        assert window.close()
        assert json.loads(path.read_text(encoding="utf-8"))["theme"] == theme  # kept on the next save
    finally:
        apply_theme(app, "light")

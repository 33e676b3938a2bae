"""Light and dark themes (Fusion style with a palette), and "system", which follows the OS live.

Widgets colour themselves from the palette only (style sheets may name `palette(...)` roles, never a
colour), so one palette switch recolours everything. The one colour the palette lacks, a warning red, is
derived from it by `warning_color`. With the "system" theme a `SystemThemeFollower` switches the palette
when the operating system's light/dark setting changes (Qt's QStyleHints.colorSchemeChanged).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

THEMES = ("system", "light", "dark")
WARNING_CONTRAST = 4.5  # WCAG AA for normal text
_WARNING_HUE = 4 / 360  # a red that reads as a warning on white and on dark grey alike


def _dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#2b2b2b",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d6fb4",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#353535",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8a8a8a",
        QPalette.ColorRole.Link: "#6ea8fe",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def system_color_scheme() -> Qt.ColorScheme:
    """The operating system's colour scheme as Qt reports it (Unknown where the platform does not say)."""
    return QGuiApplication.styleHints().colorScheme()


def resolved_theme(theme: str) -> str:
    """ "light" or "dark": the theme itself, or for "system" the operating system's colour scheme."""
    if theme != "system":
        return theme
    return "dark" if system_color_scheme() == Qt.ColorScheme.Dark else "light"


def theme_palette(theme: str) -> QPalette:
    """The palette of a theme ("system", "light" or "dark")."""
    if resolved_theme(theme) == "dark":
        return _dark_palette()
    return QStyleFactory.create("Fusion").standardPalette()


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch the whole application to a theme ("system" follows the operating system's setting)."""
    app.setPalette(theme_palette(theme))
    # A widget with a style sheet keeps the palette it was polished with: a palette change alone leaves
    # it in the old theme's colours (black on dark grey). Setting the style after the palette polishes
    # every widget again, against the new palette.
    app.setStyle(QStyleFactory.create("Fusion"))


class SystemThemeFollower(QObject):
    """While the theme setting is "system", re-applies it when the OS's light/dark setting changes.

    ``theme`` returns the setting now ("system", "light" or "dark"); ``switched`` carries the theme
    applied ("light" or "dark") after a change.
    """

    switched = Signal(str)

    def __init__(self, theme: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self._following = True
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)

    def stop(self) -> None:
        """Stop following (the window closes: the theme is the application's, not the window's)."""
        if self._following:  # a window may be closed twice
            self._following = False
            QGuiApplication.styleHints().colorSchemeChanged.disconnect(self._on_scheme_changed)

    def _on_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        app = QApplication.instance()
        if self._theme() != "system" or not isinstance(app, QApplication):
            return
        apply_theme(app, "system")
        self.switched.emit(resolved_theme("system"))


def _luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def warning_color(palette: QPalette) -> QColor:
    """A red for warnings and errors with WARNING_CONTRAST against the palette's Window and Base colours.

    Darker than the backgrounds in a light theme, lighter in a dark one; it starts from a clear red and
    moves its lightness away from the backgrounds only as far as the contrast needs.
    """
    backgrounds = [palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.Base)]
    dark = sum(_luminance(color) for color in backgrounds) / len(backgrounds) < 0.18
    lightness, step = (0.7, 0.02) if dark else (0.45, -0.02)
    color = QColor.fromHslF(_WARNING_HUE, 0.75, lightness)
    while 0.0 < lightness < 1.0 and min(contrast_ratio(color, b) for b in backgrounds) < WARNING_CONTRAST:
        lightness += step
        color = QColor.fromHslF(_WARNING_HUE, 0.75, min(1.0, max(0.0, lightness)))
    return color


def set_warning_text(widget: QWidget, on: bool, theme: QPalette) -> None:
    """Show a widget's text in the warning colour of `theme` (on) or in the colour it inherits (off).

    Call it again when the theme changes (the caller's changeEvent sees QEvent.PaletteChange, with its
    own palette already the new one): the colour is worked out from the palette it is given.
    """
    palette = QPalette()  # no role of its own yet: every other colour is still inherited
    if on:
        palette.setColor(widget.foregroundRole(), warning_color(theme))
    widget.setPalette(palette)

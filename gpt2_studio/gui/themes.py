"""Light and dark themes (Fusion style with a palette).

Widgets colour themselves from the palette only (style sheets may name `palette(...)` roles, never a
colour), so one palette switch recolours everything.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("light", "dark")


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


def theme_palette(theme: str) -> QPalette:
    """The palette of a theme ("light" or "dark")."""
    if theme == "dark":
        return _dark_palette()
    return QStyleFactory.create("Fusion").standardPalette()


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch the whole application to the light or dark theme."""
    app.setPalette(theme_palette(theme))
    # A widget with a style sheet keeps the palette it was polished with: a palette change alone leaves
    # it in the old theme's colours (black on dark grey). Setting the style after the palette polishes
    # every widget again, against the new palette.
    app.setStyle(QStyleFactory.create("Fusion"))

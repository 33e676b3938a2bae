"""Toolbar and menu icons from qtawesome's icon fonts, drawn in the theme's colours.

An icon font is drawn at whatever size Qt asks for, so icons stay crisp at any device-pixel ratio. Each
icon is drawn in colours read from a widget's palette (never a colour of our own); a `ThemedIcons`
registry redraws every icon it gave out when that widget's palette changes (a theme switch, or the
operating system turning dark), so no icon stays black on dark grey.

qtawesome (through QtPy, which picks up the PySide6 already imported) is imported on first use, after
the window's first paint (see `ThemedIcons`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractButton, QWidget

log = logging.getLogger(__name__)

# What each icon means → the qtawesome name drawing it (Codicons, VS Code's own set, where it has one).
ICONS = {
    "auto-suggest": "msc.lightbulb",
    "suggest": "msc.sparkle",
    "accept": "msc.check",
    "stop": "msc.debug-stop",
    "lens": "msc.eye",
    "sampling": "msc.settings",
    "notes": "msc.note",
    "models": "msc.server",
    "palette": "msc.search",
    "edit-presets": "msc.edit",
    "preset": "msc.play",
}

# The built-in presets' icons, by name (or by group: every Translate pair shares one).
PRESET_ICONS = {
    "Continue": "msc.debug-continue",
    "Q&A": "msc.question",
    "Reading comprehension": "msc.book",
    "TL;DR": "msc.fold",
    "Translate": "msc.globe",
    "Point of view": "msc.person",
    "Samples": "msc.versions",
}

Target = QAction | QAbstractButton
_fonts: list[bool] = []  # [True] once qtawesome and its fonts loaded, [False] if they cannot be


def _fonts_loaded() -> bool:
    """Load qtawesome and its fonts once; False (after one warning) when they cannot be loaded."""
    if not _fonts:
        try:
            import qtawesome  # type: ignore[import-untyped]

            qtawesome.icon(ICONS["preset"])  # loads the fonts: a missing or damaged file raises here
            _fonts.append(True)
        except Exception:
            log.warning("The icon fonts could not be loaded; toolbar buttons show text", exc_info=True)
            _fonts.append(False)
    return _fonts[0]


def preset_icon_name(name: str, group: str = "") -> str:
    """The icon of a preset: a built-in's own, else its group's, else its initial in a box (A–Z, 0–9)."""
    for key in (name, group):
        if key in PRESET_ICONS:
            return PRESET_ICONS[key]
    initial = next((c for c in (group or name).lower() if c.isascii() and c.isalnum()), "")
    if initial.isdigit():
        return f"mdi6.numeric-{initial}-box-outline"
    if initial:
        return f"mdi6.alpha-{initial}-box-outline"
    return ICONS["preset"]


def themed_icon(name: str, palette: QPalette) -> QIcon:
    """A qtawesome icon (e.g. "msc.sparkle", or a key of ICONS) drawn in the palette's button colours.

    Enabled: ButtonText; disabled: the disabled ButtonText; selected (in a list): HighlightedText.
    An unknown name, or an icon font that cannot be loaded (a broken install), logs a warning and gives
    an empty icon, with which a toolbar button shows its text: icons must never stop the window.
    """
    if not _fonts_loaded():
        return QIcon()
    import qtawesome  # type: ignore[import-untyped]

    roles = QPalette.ColorRole
    disabled = QPalette.ColorGroup.Disabled
    text = palette.color(roles.ButtonText)
    options: dict[str, Any] = {
        "color": text,
        "color_active": text,
        "color_on": text,
        "color_on_active": text,
        "color_disabled": palette.color(disabled, roles.ButtonText),
        "color_on_disabled": palette.color(disabled, roles.ButtonText),
        "color_selected": palette.color(roles.HighlightedText),
        "color_on_selected": palette.color(roles.HighlightedText),
    }
    try:
        icon: QIcon = qtawesome.icon(ICONS.get(name, name), **options)
    except Exception:  # qtawesome raises a bare Exception for an unknown icon name
        log.warning("No icon named %r", name, exc_info=True)
        return QIcon()
    return icon


def _blank_icon() -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    return QIcon(pixmap)


class ThemedIcons(QObject):
    """Gives actions and buttons icons in the colours of ``widget``'s palette, and redraws them all when
    that palette changes (QEvent.PaletteChange reaches every widget whose palette follows the app's).

    Until the icon font is loaded, targets get a blank icon of the right size; the font (qtawesome and
    QtPy: about 0.1 s) loads just after the widget is first painted, so the window appears as fast as
    it did without icons, and its buttons do not move when the icons arrive.
    """

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.widget = widget
        self.drawn = "qtawesome" in sys.modules  # True once icons are drawn rather than blank
        self._scheduled = False
        self._targets: list[tuple[Target, str]] = []
        widget.installEventFilter(self)

    def set_icon(self, target: Target, name: str) -> None:
        """Give ``target`` the icon ``name`` now, and again in the new colours after each theme change."""
        self._targets = [(t, n) for t, n in self._targets if shiboken6.isValid(t) and t is not target]
        self._targets.append((target, name))
        target.setIcon(themed_icon(name, self.widget.palette()) if self.drawn else _blank_icon())

    def draw(self) -> None:
        """Load the icon font now (if it is not yet) and draw every icon."""
        self.drawn = True
        self.refresh()

    def refresh(self) -> None:
        """Redraw every icon in the widget's current palette (dropping targets Qt has deleted)."""
        self._targets = [(t, n) for t, n in self._targets if shiboken6.isValid(t)]
        if not self.drawn:
            return  # drawn after the first paint, in the palette of that moment
        palette = self.widget.palette()
        for target, name in self._targets:
            target.setIcon(themed_icon(name, palette))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Draw after the first paint; redraw on a palette change of the watched widget."""
        if watched is self.widget:
            kind = event.type()
            if kind == QEvent.Type.PaletteChange:
                self.refresh()
            elif kind == QEvent.Type.Paint and not self.drawn and not self._scheduled:
                self._scheduled = True
                QTimer.singleShot(0, self, self.draw)  # after this paint has reached the screen
        return False


def tooltip_with_keys(text: str, keys: str) -> str:
    """A tooltip that names the action and its keys: "Suggest now (Ctrl+Space)"."""
    return f"{text} ({keys})" if keys else text

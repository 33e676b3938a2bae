"""The editor's fonts: a serif made for reading on screens for prose, or the system's monospace font.

No font is shipped: the first installed family of a list of good screen serifs is used (each platform
has one), else the system's own font. A family the writer chose in the Preferences replaces the prose
font; the monospace choice is the system's fixed-pitch font.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo

# Screen serifs with generous x-heights, in order of preference: macOS, Windows, Linux distributions.
PROSE_FAMILIES = (
    "Charter",
    "Iowan Old Style",
    "Georgia",
    "Cambria",
    "Source Serif 4",
    "Noto Serif",
    "Liberation Serif",
    "DejaVu Serif",
)


def prose_family() -> str:
    """The first installed family of PROSE_FAMILIES, or "" when none is (then the system font is used)."""
    return next((family for family in PROSE_FAMILIES if QFontDatabase.hasFamily(family)), "")


def editor_font(family: str, size: int, *, monospace: bool) -> QFont:
    """The editor's font: the system's monospace font, else ``family`` (or the prose font when "").

    A family that is not installed falls back to the prose font rather than to Qt's substitute.
    """
    if monospace:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
    else:
        chosen = family if family and QFontDatabase.hasFamily(family) else prose_family()
        font = QFont(chosen) if chosen else QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
        font.setStyleHint(QFont.StyleHint.Serif, QFont.StyleStrategy.PreferAntialias)
    font.setPointSize(size)
    # Kerning and ligatures as the font designs them: prose reads better, and monospace keeps its grid.
    font.setKerning(not monospace)
    return font


def font_family_in_use(font: QFont) -> str:
    """The family Qt actually draws ``font`` with (the requested one may be substituted)."""
    return QFontInfo(font).family()

"""The likelihood lens' colours: GLTR's rank buckets or a surprisal scale, as tints of the theme's base.

Each tint is a hue mixed into the editor's background only as far as the text on it keeps a contrast of
TEXT_CONTRAST, so the same code gives pastel tints in the light theme and deep ones in the dark theme.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

from gpt2_studio.core.settings import DEFAULT_RANK_THRESHOLDS
from gpt2_studio.gui.themes import contrast_ratio

# GLTR's buckets: a token in the model's top 10, top 100, top 1,000, or beyond (the thresholds are a
# setting: core.settings.DEFAULT_RANK_THRESHOLDS).
RANK_BUCKETS = DEFAULT_RANK_THRESHOLDS
BUCKET_HUES = (130, 50, 0, 280)  # green, yellow, red, violet (degrees)
BUCKET_NAMES = ("top 10", "top 100", "top 1,000", "beyond")
# The surprisal scale: hue stops by bits (−log₂ p); beyond the last stop the colour stays violet.
SURPRISAL_STOPS = ((0.0, 130.0), (4.0, 50.0), (8.0, 0.0), (12.0, -80.0))
SURPRISAL_STEP_BITS = 0.5  # colours change in half-bit steps: a few dozen formats at most
TEXT_CONTRAST = 4.5  # WCAG AA for normal text
_STRENGTHS = (0.6, 0.5, 0.42, 0.35, 0.28, 0.22, 0.16, 0.1, 0.05, 0.0)

COLORINGS = ("rank", "surprisal")


def rank_bucket(rank: int, thresholds: tuple[int, ...] = RANK_BUCKETS) -> int:
    """0…3: which of GLTR's buckets a rank (1 = the model's top choice) falls in, given the thresholds."""
    for index, high in enumerate(thresholds):
        if rank <= high:
            return index
    return len(thresholds)


def bucket_names(thresholds: tuple[int, ...] = RANK_BUCKETS) -> tuple[str, ...]:
    """The buckets' names for these thresholds: "top 10", "top 100", "top 1,000", "beyond"."""
    return (*(f"top {high:,}" for high in thresholds), "beyond")


def surprisal_step(bits: float) -> float:
    """The surprisal rounded to the scale's step and capped at its last stop (the key of its colour)."""
    last = SURPRISAL_STOPS[-1][0]
    return min(last, round(max(0.0, bits) / SURPRISAL_STEP_BITS) * SURPRISAL_STEP_BITS)


def surprisal_hue(bits: float) -> float:
    """The hue (degrees, 0…360) for a surprisal in bits, interpolated between SURPRISAL_STOPS."""
    stops = SURPRISAL_STOPS
    hue = stops[-1][1]
    for (low, low_hue), (high, high_hue) in zip(stops, stops[1:], strict=False):
        if bits <= high:
            share = (max(bits, low) - low) / (high - low)
            hue = low_hue + share * (high_hue - low_hue)
            break
    return hue % 360


def _mix(color: QColor, base: QColor, strength: float) -> QColor:
    return QColor.fromRgbF(
        color.redF() * strength + base.redF() * (1 - strength),
        color.greenF() * strength + base.greenF() * (1 - strength),
        color.blueF() * strength + base.blueF() * (1 - strength),
    )


def tint(palette: QPalette, hue: float) -> QColor:
    """A background of the given hue on which the palette's text keeps TEXT_CONTRAST."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    dark = contrast_ratio(base, QColor("white")) > contrast_ratio(base, QColor("black"))
    pure = QColor.fromHslF(hue / 360, 0.85, 0.4 if dark else 0.7)
    for strength in _STRENGTHS:
        color = _mix(pure, base, strength)
        if contrast_ratio(text, color) >= TEXT_CONTRAST:
            return color
    return base


@dataclass(frozen=True)
class LegendEntry:
    """One swatch of the legend: its colour and what it means."""

    color: QColor
    label: str


def legend(palette: QPalette, coloring: str, thresholds: tuple[int, ...] = RANK_BUCKETS) -> list[LegendEntry]:
    """What the colours of a colouring ("rank" or "surprisal") mean, in the palette's tints."""
    if coloring == "surprisal":
        stops = SURPRISAL_STOPS
        return [
            LegendEntry(
                tint(palette, surprisal_hue(bits)), f"{bits:g}{'+' if i == len(stops) - 1 else ''} bits"
            )
            for i, (bits, _hue) in enumerate(stops)
        ]
    return [
        LegendEntry(tint(palette, hue), name)
        for hue, name in zip(BUCKET_HUES, bucket_names(thresholds), strict=True)
    ]

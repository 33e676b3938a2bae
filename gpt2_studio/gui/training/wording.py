"""Numbers a writer reads: how much better the new model predicts their text, how long a run takes."""

from __future__ import annotations

import math

IMPROVEMENT_TOOLTIP = (
    "Perplexity measures how surprised a model is by text it has not seen: lower is better. "
    "Both models read the same held-out documents of yours, which training never saw.\n"
    "“{percent} better” is 1 − (perplexity after ÷ perplexity before): {before} → {after}."
)


def improvement(before: float, after: float) -> float:
    """1 − after/before of held-out perplexity: 0.38 means 38% better, a negative value worse.

    NaN when either perplexity is unknown or not positive.
    """
    if not (math.isfinite(before) and math.isfinite(after)) or before <= 0 or after <= 0:
        return math.nan
    return 1.0 - after / before


def improvement_sentence(before: float, after: float) -> str:
    """ "Predicts your writing 38% better" (or worse, or about as well) than the base model."""
    gain = improvement(before, after)
    if math.isnan(gain):
        return "Could not measure how well it predicts your writing"
    if abs(gain) < 0.005:
        return "Predicts your writing about as well as the base model"
    word = "better" if gain > 0 else "worse"
    return f"Predicts your writing {abs(gain):.0%} {word} than the base model"


def improvement_tooltip(before: float, after: float) -> str:
    """The definition behind improvement_sentence, with the two perplexities."""
    gain = improvement(before, after)
    percent = "—" if math.isnan(gain) else f"{gain:.0%}"
    return IMPROVEMENT_TOOLTIP.format(
        percent=percent, before=perplexity_text(before), after=perplexity_text(after)
    )


def perplexity_text(value: float) -> str:
    """A perplexity as shown: three significant figures, "—" when unknown."""
    if not math.isfinite(value):
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def loss_text(value: float | None) -> str:
    """A loss in nats per token, or "—"."""
    return "—" if value is None or not math.isfinite(value) else f"{value:.3f}"


def duration_text(seconds: float) -> str:
    """A rough duration: "under a minute", "about 4 minutes", "about 2 hours 10 minutes"."""
    if not math.isfinite(seconds) or seconds < 0:
        return "unknown"
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    text = f"about {hours} hour{'s' if hours != 1 else ''}"
    return text + (f" {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "")


def clock_text(seconds: float) -> str:
    """A countdown as "1:02:03" or "4:05"; "—" when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

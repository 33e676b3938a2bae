"""The sampling ranges the controls can show: values outside them are clamped when loaded, with a note.

SamplingSettings accepts any value the engine can use, but the sampling panel's sliders and the preset
editor's spin boxes have narrower ranges. A value outside them would be shown at the edge while the real
value is sent, so settings and preset files are clamped into the range on load and the user is told.
The ranges are described with each field in sampling_fields.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gpt2_studio.core.generation.sampling_fields import SAMPLING_FIELDS, Limit

__all__ = ["EDITOR_LIMITS", "PRESET_LIMITS", "Clamped", "Limit", "clamp_sampling_data"]

#: The sampling panel (the editor's suggestions). Seeds go into a QSpinBox, which holds 31 bits.
EDITOR_LIMITS: dict[str, Limit] = {field.name: field.editor for field in SAMPLING_FIELDS}

#: The preset editor's fields (a preset's seed is kept as it is, so it may use the whole range).
PRESET_LIMITS: dict[str, Limit] = {field.name: field.preset for field in SAMPLING_FIELDS}


@dataclass(frozen=True)
class Clamped:
    """One value that was moved into its range: the key, the value given and the value used."""

    key: str
    given: Any
    used: float | int
    limit: Limit

    def describe(self) -> str:
        """'max_new_tokens 1000000000 is outside 1 to 200, so 200 is used'."""
        low, high, used = (self.limit.text(v) for v in (self.limit.low, self.limit.high, self.used))
        return f"{self.key} {self.given!r} is outside {low} to {high}, so {used} is used"


def clamp_sampling_data(
    data: Mapping[str, Any], limits: Mapping[str, Limit]
) -> tuple[dict[str, Any], list[Clamped]]:
    """Plain sampling data with every number outside ``limits`` moved to the nearest edge.

    Values that are not finite numbers (text, true/false, NaN) are left for SamplingSettings to
    reject, so their error still names them. Returns the new data and what was changed.
    """
    result = dict(data)
    changed: list[Clamped] = []
    for key, limit in limits.items():
        value = result.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        if limit.low <= value <= limit.high:
            continue
        used: float | int = limit.low if value < limit.low else limit.high
        used = int(used) if limit.whole else float(used)
        result[key] = used
        changed.append(Clamped(key, value, used, limit))
    return result, changed

"""Sampling settings: one frozen, validated value that every generation request carries."""

from __future__ import annotations

import dataclasses
import math
import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.sampling_fields import (
    MAX_ALTERNATIVES,
    MAX_REPETITION_PENALTY,
    MAX_SEED,
    MAX_TEMPERATURE,
    SAMPLING_FIELDS,
    STOP_AT_CHOICES,
    STOP_AT_TOKENS,
    SamplingField,
)

# The limits are described with the fields; these names stay importable from here.
__all__ = [
    "GREEDY_TEMPERATURE",
    "MAX_ALTERNATIVES",
    "MAX_REPETITION_PENALTY",
    "MAX_SEED",
    "MAX_TEMPERATURE",
    "SamplingSettings",
]

# Below this a temperature is greedy: the best token would win by a factor of at least e^(gap·10^4).
# (A temperature under float32's range would otherwise divide by zero.)
GREEDY_TEMPERATURE = 1e-4


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{name} must be a number, not {reprlib.repr(value)}.")
    try:
        value = float(value)
    except OverflowError:  # an int beyond float's range
        digits = len(str(abs(value)))
        raise SettingsError(f"{name} must be a finite number, not a {digits}-digit one.") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, not {value!r}.")
    return float(value) + 0.0  # -0.0 becomes 0.0


def _integer(name: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{name} must be a whole number, not {reprlib.repr(value)}.")
    if abs(value) >= 2**64:  # every limit is far below; keep the messages short
        digits = len(str(abs(value)))
        raise SettingsError(f"{name} must be a whole number of at most 19 digits, not {digits}.")
    return value


def _checked(spec: SamplingField, value: Any) -> float | int:
    """The value as its field's kind, or SettingsError naming the field and its valid range."""
    number: float | int = _integer(spec.name, value) if spec.kind is int else _number(spec.name, value)
    if number not in spec.valid:
        shown = f"{number:g}" if spec.kind is float else str(number)
        raise SettingsError(f"{spec.name} must be {spec.valid.rule}, not {shown}.")
    return number


@dataclass(frozen=True)
class SamplingSettings:
    """How to pick each next token; defaults are the classic GPT-2 ones (top-k 40, temperature 0.7).

    Each numeric field's range, label and help are described once in sampling_fields.SAMPLING_FIELDS.

    temperature 0 (or anything below 1e-4) means greedy decoding (always the most likely token); top_k 0
    and top_p 1.0 turn
    those filters off; repetition_penalty 1.0 is off (CTRL-style, >1 discourages repeats).

    token_healing: regenerate the prompt's last, possibly partial, token(s) under a constraint and return
    only the text after the prompt (off by default, so that greedy output equals transformers'). stop_at:
    where each continuation ends ("tokens", "word", "sentence", "line", "paragraph"); see
    sampling_fields.STOP_AT_HELP.
    """

    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    max_new_tokens: int = 40
    num_alternatives: int = 1
    seed: int | None = None
    stop_strings: tuple[str, ...] = field(default_factory=tuple)
    token_healing: bool = False
    stop_at: str = STOP_AT_TOKENS

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise types in place once
        for spec in SAMPLING_FIELDS:
            value = getattr(self, spec.name)
            if value is not None or not spec.optional:
                set_(self, spec.name, _checked(spec, value))

        stops = self.stop_strings
        if isinstance(stops, str):
            stops = (stops,)
        if not isinstance(stops, Iterable):
            raise SettingsError(f"stop_strings must be a list of strings, not {reprlib.repr(stops)}.")
        stops = tuple(stops)
        for stop in stops:
            if not isinstance(stop, str) or not stop:
                raise SettingsError(f"each stop string must be non-empty text, not {reprlib.repr(stop)}.")
        set_(self, "stop_strings", stops)
        if not isinstance(self.token_healing, bool):
            shown = reprlib.repr(self.token_healing)
            raise SettingsError(f"token_healing must be true or false, not {shown}.")
        if not isinstance(self.stop_at, str) or self.stop_at not in STOP_AT_CHOICES:
            raise SettingsError(
                f"stop_at must be one of {', '.join(STOP_AT_CHOICES)}, not {reprlib.repr(self.stop_at)}."
            )

    @property
    def greedy(self) -> bool:
        """True when sampling reduces to picking the most likely token."""
        return self.temperature < GREEDY_TEMPERATURE or self.top_k == 1

    def replace(self, **changes: Any) -> SamplingSettings:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (settings files, presets)."""
        data = dataclasses.asdict(self)
        data["stop_strings"] = list(self.stop_strings)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SamplingSettings:
        """Build from plain data; unknown keys are an error so typos do not pass silently."""
        if not isinstance(data, Mapping):
            raise SettingsError(f"sampling settings must be a mapping, not {type(data).__name__}.")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise SettingsError(
                f"unknown sampling setting(s): {', '.join(unknown)}; allowed: {', '.join(sorted(names))}."
            )
        return cls(**dict(data))

"""The events ``gpt2-studio train --json`` prints, one JSON object per line, as typed values.

The command line owns the protocol (README, "Learn a style"); this module is its one reader in the app.
A line that is not one of these events (a warning a library printed, a line cut short by a crash) is
skipped: the process's exit status and its "error" event say what went wrong, not stray output.
"""

from __future__ import annotations

import json
import logging
import math
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class SkippedFile:
    """A file the corpus left out, and why (one sentence)."""

    path: str
    reason: str


@dataclass(frozen=True)
class PlanEvent:
    """What a run will read and cost, printed by ``--plan`` and before training starts."""

    base: str
    name: str
    documents: int
    corpus_tokens: int
    train_tokens: int
    heldout_tokens: int
    skipped: tuple[SkippedFile, ...]
    steps: int
    block_size: int
    lora_rank: int  # 0: full fine-tuning
    estimate_seconds: float
    peak_memory_bytes: int
    disk_bytes: int


@dataclass(frozen=True)
class BaselineEvent:
    """The base model on the held-out documents, before any step."""

    heldout_loss: float  # mean cross-entropy, nats per token
    perplexity: float


@dataclass(frozen=True)
class StepEvent:
    """One optimizer step done."""

    step: int  # 1-based
    steps: int  # the planned total (an estimate under a time budget)
    loss: float  # training loss of this step, nats per token
    tokens_per_second: float
    eta_seconds: float


@dataclass(frozen=True)
class HeldoutEvent:
    """The held-out loss measured after ``step``."""

    step: int
    heldout_loss: float


@dataclass(frozen=True)
class CheckpointEvent:
    """A resumable checkpoint was saved after ``step``."""

    step: int


@dataclass(frozen=True)
class InterruptedEvent:
    """The run stopped on request (Cancel, SIGTERM) after ``step``; the exit status follows (130)."""

    step: int
    resumable: bool


@dataclass(frozen=True)
class Sample:
    """One prompt from the held-out text and what the base and the new model continue it with."""

    prompt: str
    before: str
    after: str


@dataclass(frozen=True)
class DoneEvent:
    """The new model is installed in the models folder."""

    name: str
    folder: str
    perplexity_before: float
    perplexity_after: float
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class ErrorEvent:
    """The run failed; ``message`` is one sentence for the user. A non-zero exit follows."""

    message: str


TrainingEvent = (
    PlanEvent
    | BaselineEvent
    | StepEvent
    | HeldoutEvent
    | CheckpointEvent
    | InterruptedEvent
    | DoneEvent
    | ErrorEvent
)


class MalformedEvent(ValueError):
    """An event of the protocol with a field missing or of the wrong kind; the message says which."""


_KINDS: dict[type, str] = {
    int: "a whole number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "an object",
}


def _short(value: Any) -> str:
    return reprlib.repr(value)


def _field(data: Any, name: str, kind: type[T], where: str = "") -> T:
    """``data[name]`` as ``kind`` (int, float, str, list or dict); raises MalformedEvent naming the field.

    A boolean is never a number (JSON's true is not 1). Where the protocol has floats an integer is read
    as a float, and a number that is not finite, or null (as the command writes NaN and infinity, which
    are not JSON), is NaN. ``where`` names the object the field is in ("estimate", "skipped[1]").
    """
    path = f"{where}.{name}" if where else name
    if not isinstance(data, dict):
        raise MalformedEvent(f'"{where}" must be {_KINDS[dict]}, not {_short(data)}')
    if name not in data:
        raise MalformedEvent(f'"{path}" is missing')
    value = data[name]
    if kind is float:
        if value is None:
            return cast(T, math.nan)
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:  # an integer too large for a float: not finite either
                number = math.nan
            return cast(T, number if math.isfinite(number) else math.nan)
    elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise MalformedEvent(f'"{path}" must be {_KINDS[kind]}, not {_short(value)}')


def _items(data: dict[str, Any], name: str) -> list[tuple[str, Any]]:
    """The objects of the list ``data[name]``, each with where it is ("skipped[1]")."""
    return [(f"{name}[{index}]", item) for index, item in enumerate(_field(data, name, list))]


def _plan(data: dict[str, Any]) -> PlanEvent:
    estimate = _field(data, "estimate", dict)
    skipped = tuple(
        SkippedFile(_field(s, "path", str, where), _field(s, "reason", str, where))
        for where, s in _items(data, "skipped")
    )
    return PlanEvent(
        base=_field(data, "base", str),
        name=_field(data, "name", str),
        documents=_field(data, "documents", int),
        corpus_tokens=_field(data, "corpus_tokens", int),
        train_tokens=_field(data, "train_tokens", int),
        heldout_tokens=_field(data, "heldout_tokens", int),
        skipped=skipped,
        steps=_field(data, "steps", int),
        block_size=_field(data, "block_size", int),
        lora_rank=_field(data, "lora_rank", int),
        estimate_seconds=_field(estimate, "seconds", float, "estimate"),
        peak_memory_bytes=_field(estimate, "peak_memory_bytes", int, "estimate"),
        disk_bytes=_field(estimate, "disk_bytes", int, "estimate"),
    )


def _done(data: dict[str, Any]) -> DoneEvent:
    samples = tuple(
        Sample(*(_field(s, key, str, where) for key in ("prompt", "before", "after")))
        for where, s in _items(data, "samples")
    )
    return DoneEvent(
        name=_field(data, "name", str),
        folder=_field(data, "folder", str),
        perplexity_before=_field(data, "perplexity_before", float),
        perplexity_after=_field(data, "perplexity_after", float),
        samples=samples,
    )


_READERS: dict[str, Callable[[dict[str, Any]], TrainingEvent]] = {
    "plan": _plan,
    "baseline": lambda d: BaselineEvent(_field(d, "heldout_loss", float), _field(d, "perplexity", float)),
    "step": lambda d: StepEvent(
        _field(d, "step", int),
        _field(d, "steps", int),
        _field(d, "loss", float),
        _field(d, "tokens_per_second", float),
        _field(d, "eta_seconds", float),
    ),
    "heldout": lambda d: HeldoutEvent(_field(d, "step", int), _field(d, "heldout_loss", float)),
    "checkpoint": lambda d: CheckpointEvent(_field(d, "step", int)),
    # Read loosely, as before: an event without it counts as resumable.
    "interrupted": lambda d: InterruptedEvent(_field(d, "step", int), bool(d.get("resumable", True))),
    "done": _done,
    "error": lambda d: ErrorEvent(_field(d, "message", str)),
}


def parse_event(line: str) -> TrainingEvent | None:
    """The event a line of ``train --json`` output holds, or None for any other line.

    A number that is not finite (null, as the command writes NaN and infinity, or NaN and Infinity,
    which Python's json reads) comes back as NaN, which the dialog shows as "—" rather than failing.
    """
    text = line.strip()
    if not text.startswith("{"):
        if text:
            log.info("train: %s", text)
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:  # cut short by a crash, or not JSON after all
        log.warning("train: skipped a line that is not valid JSON (%s): %s", exc, text[:200])
        return None
    kind = data.get("event") if isinstance(data, dict) else None
    reader = _READERS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        log.info("train: unknown line %s", text[:200])
        return None
    try:
        return reader(data)
    except MalformedEvent as exc:
        log.warning('Skipped the training run\'s "%s" event: %s.', kind, exc)
        return None

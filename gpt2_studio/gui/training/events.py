"""The events ``gpt2-studio train --json`` prints, one JSON object per line, as typed values.

The command line owns the protocol (README, "Learn a style"); this module is its one reader in the app.
A line that is not one of these events (a warning a library printed, a line cut short by a crash) is
skipped: the process's exit status and its "error" event say what went wrong, not stray output.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


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


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not a string: {value!r}")
    return value


def _finite(value: Any) -> float:
    if value is None:  # the command writes NaN and infinity as null: they are not JSON
        return math.nan
    number = _float(value)
    return number if math.isfinite(number) else math.nan


def _plan(data: dict[str, Any]) -> PlanEvent:
    estimate = data["estimate"]
    skipped = tuple(SkippedFile(_str(s["path"]), _str(s["reason"])) for s in data["skipped"])
    return PlanEvent(
        base=_str(data["base"]),
        name=_str(data["name"]),
        documents=_int(data["documents"]),
        corpus_tokens=_int(data["corpus_tokens"]),
        train_tokens=_int(data["train_tokens"]),
        heldout_tokens=_int(data["heldout_tokens"]),
        skipped=skipped,
        steps=_int(data["steps"]),
        block_size=_int(data["block_size"]),
        lora_rank=_int(data["lora_rank"]),
        estimate_seconds=_finite(estimate["seconds"]),
        peak_memory_bytes=_int(estimate["peak_memory_bytes"]),
        disk_bytes=_int(estimate["disk_bytes"]),
    )


def _done(data: dict[str, Any]) -> DoneEvent:
    samples = tuple(Sample(_str(s["prompt"]), _str(s["before"]), _str(s["after"])) for s in data["samples"])
    return DoneEvent(
        name=_str(data["name"]),
        folder=_str(data["folder"]),
        perplexity_before=_finite(data["perplexity_before"]),
        perplexity_after=_finite(data["perplexity_after"]),
        samples=samples,
    )


_READERS: dict[str, Any] = {
    "plan": _plan,
    "baseline": lambda d: BaselineEvent(_finite(d["heldout_loss"]), _finite(d["perplexity"])),
    "step": lambda d: StepEvent(
        _int(d["step"]),
        _int(d["steps"]),
        _finite(d["loss"]),
        _finite(d["tokens_per_second"]),
        _finite(d["eta_seconds"]),
    ),
    "heldout": lambda d: HeldoutEvent(_int(d["step"]), _finite(d["heldout_loss"])),
    "checkpoint": lambda d: CheckpointEvent(_int(d["step"])),
    "interrupted": lambda d: InterruptedEvent(_int(d["step"]), bool(d.get("resumable", True))),
    "done": _done,
    "error": lambda d: ErrorEvent(_str(d["message"])),
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
        reader = _READERS.get(data.get("event")) if isinstance(data, dict) else None
        if reader is None:
            log.info("train: unknown line %s", text[:200])
            return None
        return reader(data)  # type: ignore[no-any-return]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("train: unreadable event (%s): %s", exc, text[:200])
        return None

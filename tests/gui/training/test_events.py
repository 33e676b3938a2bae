"""Reading ``train --json`` lines: every event of the protocol, and anything else skipped."""

from __future__ import annotations

import json
import logging
import math

import pytest

from gpt2_studio.gui.training.events import (
    BaselineEvent,
    CheckpointEvent,
    DoneEvent,
    ErrorEvent,
    HeldoutEvent,
    InterruptedEvent,
    PlanEvent,
    Sample,
    SkippedFile,
    StepEvent,
    parse_event,
)
from tests.gui.training.recorded import BASELINE, DONE, PLAN, step


def test_the_plan_keeps_every_field():
    plan = parse_event(json.dumps(PLAN))
    assert plan == PlanEvent(
        base="tiny",
        name="my-style",
        documents=12,
        corpus_tokens=48_210,
        train_tokens=43_120,
        heldout_tokens=5_090,
        skipped=(
            SkippedFile("/home/ann/writing/cover.png", "not text (binary data)"),
            SkippedFile("/home/ann/writing/old.txt", "not UTF-8 text (byte 0xE9 at position 10)"),
        ),
        steps=6,
        block_size=128,
        lora_rank=8,
        estimate_seconds=250.0,
        peak_memory_bytes=812_000_000,
        disk_bytes=498_000_000,
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (BASELINE, BaselineEvent(4.2, 66.686)),
        (step(2, 3.5), StepEvent(2, 6, 3.5, 1830.5, 16.0)),
        ({"event": "heldout", "step": 2, "heldout_loss": 3.9}, HeldoutEvent(2, 3.9)),
        ({"event": "checkpoint", "step": 4}, CheckpointEvent(4)),
        ({"event": "interrupted", "step": 3, "resumable": True}, InterruptedEvent(3, True)),
        ({"event": "error", "message": "The folder is empty."}, ErrorEvent("The folder is empty.")),
    ],
)
def test_each_event_becomes_its_value(line, expected):
    assert parse_event(json.dumps(line)) == expected


def test_done_carries_the_samples_side_by_side():
    done = parse_event(json.dumps(DONE) + "\r\n")
    assert isinstance(done, DoneEvent)
    assert done.perplexity_after == 41.3
    assert done.samples[1] == Sample("She opened the letter", ", and the", " with the bread knife.")


def test_integer_numbers_are_read_as_floats_where_the_protocol_has_floats():
    event = parse_event('{"event":"step","step":1,"steps":2,"loss":3,"tokens_per_second":10,"eta_seconds":0}')
    assert event == StepEvent(1, 2, 3.0, 10.0, 0.0)


def test_a_loss_that_is_not_finite_is_nan_rather_than_a_failure():
    event = parse_event('{"event":"heldout","step":1,"heldout_loss":NaN}')
    assert isinstance(event, HeldoutEvent)
    assert math.isnan(event.heldout_loss)
    assert math.isnan(
        parse_event('{"event":"baseline","heldout_loss":Infinity,"perplexity":1e999}').perplexity
    )


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Loading the model…",
        "UserWarning: something a library printed",
        '{"event":"step","step":1',  # cut short by a crash
        '{"event":"telemetry","x":1}',  # not in the protocol
        '{"event":"step","step":"1","steps":2,"loss":3,"tokens_per_second":1,"eta_seconds":1}',
        '{"event":"step","step":true,"steps":2,"loss":3,"tokens_per_second":1,"eta_seconds":1}',
        '{"event":"plan"}',
        '["event","step"]',
        '{"event":"error","message":null}',
    ],
)
def test_anything_else_is_skipped(line):
    assert parse_event(line) is None


def test_an_integer_too_large_for_a_float_is_nan_rather_than_a_crash():
    huge = "1" + "0" * 400  # valid JSON; float() of it overflows
    event = parse_event(f'{{"event":"baseline","heldout_loss":{huge},"perplexity":2}}')
    assert isinstance(event, BaselineEvent)
    assert math.isnan(event.heldout_loss)
    assert event.perplexity == 2.0


@pytest.mark.parametrize(
    ("event", "sentence"),
    [
        (
            {**step(1, 3.0), "step": "1"},
            'Skipped the training run\'s "step" event: "step" must be a whole number, not \'1\'.',
        ),
        (
            {**step(1, 3.0), "loss": True},
            'Skipped the training run\'s "step" event: "loss" must be a number, not True.',
        ),
        (
            {"event": "checkpoint"},
            'Skipped the training run\'s "checkpoint" event: "step" is missing.',
        ),
        (
            {"event": "error", "message": None},
            'Skipped the training run\'s "error" event: "message" must be text, not None.',
        ),
        (
            {**PLAN, "estimate": {**PLAN["estimate"], "disk_bytes": 4.5}},
            'Skipped the training run\'s "plan" event: "estimate.disk_bytes" must be a whole number, '
            "not 4.5.",
        ),
        (
            {**PLAN, "skipped": [PLAN["skipped"][0], {"path": "/a.txt"}]},
            'Skipped the training run\'s "plan" event: "skipped[1].reason" is missing.',
        ),
        (
            {**DONE, "samples": ["text"]},
            'Skipped the training run\'s "done" event: "samples[0]" must be an object, not \'text\'.',
        ),
        (
            {**DONE, "samples": {"prompt": "a"}},
            "Skipped the training run's \"done\" event: \"samples\" must be a list, not {'prompt': 'a'}.",
        ),
    ],
)
def test_a_malformed_event_is_skipped_with_one_sentence_naming_the_field(event, sentence, caplog):
    with caplog.at_level(logging.INFO, logger="gpt2_studio.gui.training.events"):
        assert parse_event(json.dumps(event)) is None
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, sentence)]

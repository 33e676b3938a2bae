"""The training process wrapper on real child processes: a Python child prints recorded protocol lines,
splits them across writes, fails, crashes and answers SIGTERM as ``gpt2-studio train`` does."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from gpt2_studio.gui.training.events import DoneEvent, ErrorEvent, InterruptedEvent, PlanEvent, StepEvent
from gpt2_studio.gui.training.process import TrainingProcess
from tests.cli_children import needs_posix
from tests.gui.training.recorded import lines, step, training_events


@pytest.fixture
def process(qtbot):
    wrapper = TrainingProcess()
    received: list = []
    wrapper.event.connect(received.append)
    wrapper.received = received
    yield wrapper
    if wrapper.running:
        wrapper.kill()
        wrapper.wait(5000)


def child(body: str) -> list[str]:
    """``python -c`` arguments running ``body`` with ``out(text)`` writing stdout unbuffered."""
    prelude = "import json, os, signal, sys, time\ndef out(t):\n    sys.stdout.write(t); sys.stdout.flush()\n"
    return ["-c", prelude + textwrap.dedent(body)]


def run(qtbot, process: TrainingProcess, body: str) -> tuple[int, str]:
    with qtbot.waitSignal(process.finished, timeout=30_000) as finished:
        process.start_program(sys.executable, child(body))
    return tuple(finished.args)


def test_every_line_arrives_in_order_even_split_across_writes(qtbot, process):
    recorded = lines(training_events())
    split = recorded[2]  # the first step, written in two halves with a pause between them
    body = f"""
        recorded = {recorded!r}
        for line in recorded[:2]:
            out(line + "\\n")
        out({split[:20]!r}); time.sleep(0.3); out({split[20:]!r} + "\\nnot JSON: a library's warning\\n")
        for line in recorded[3:]:
            out(line + "\\n")
    """
    assert run(qtbot, process, body) == (0, "")
    kinds = [type(event).__name__ for event in process.received]
    assert kinds[:3] == ["PlanEvent", "BaselineEvent", "StepEvent"]
    assert len(process.received) == len(recorded)
    assert isinstance(process.received[-1], DoneEvent)
    assert not process.running


def test_the_last_line_counts_without_a_newline(qtbot, process):
    assert run(qtbot, process, f"out({json.dumps(step(1, 3.0))!r})") == (0, "")
    assert process.received == [StepEvent(1, 6, 3.0, 1830.5, 20.0)]


def test_an_error_event_is_the_message(qtbot, process):
    body = """
        out(json.dumps({"event": "error", "message": "The base model 'gpt9' is not installed."}) + "\\n")
        sys.stderr.write("gpt2-studio: error: The base model 'gpt9' is not installed.\\n")
        sys.exit(1)
    """
    assert run(qtbot, process, body) == (1, "The base model 'gpt9' is not installed.")
    assert process.received == [ErrorEvent("The base model 'gpt9' is not installed.")]


def test_without_an_error_event_the_last_error_line_of_stderr_is_the_message(qtbot, process):
    body = """
        sys.stderr.write("some warning\\n")
        sys.stderr.write("gpt2-studio: error: unexpected ValueError: boom (run again with --verbose)\\n")
        sys.stderr.write("a last line of noise\\n")
        sys.exit(1)
    """
    assert run(qtbot, process, body) == (1, "unexpected ValueError: boom (run again with --verbose)")


def test_a_bad_settings_status_with_silent_stderr_still_says_something(qtbot, process):
    code, message = run(qtbot, process, "sys.exit(2)")
    assert code == 2
    assert message == "The training process ended with status 2."


@needs_posix
def test_stop_sends_sigterm_and_the_run_ends_interrupted(qtbot, process):
    body = f"""
        def stop(signum, frame):
            out(json.dumps({{"event": "checkpoint", "step": 1}}) + "\\n")
            out(json.dumps({{"event": "interrupted", "step": 1, "resumable": True}}) + "\\n")
            sys.exit(130)
        signal.signal(signal.SIGTERM, stop)
        out({json.dumps(step(1, 3.0))!r} + "\\n")
        time.sleep(60)
    """
    with qtbot.waitSignal(process.finished, timeout=30_000) as finished:
        process.start_program(sys.executable, child(body))
        qtbot.waitUntil(lambda: len(process.received) == 1, timeout=20_000)
        process.stop()
    assert finished.args == [130, ""]
    assert process.received[-1] == InterruptedEvent(1, True)


@needs_posix
def test_a_crash_is_one_sentence(qtbot, process):
    body = f"""
        out({json.dumps(step(1, 3.0))!r} + "\\n")
        sys.stderr.write("Fatal Python error: Segmentation fault\\n"); sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """
    code, message = run(qtbot, process, body)
    assert code == -1
    assert message == "The training process stopped unexpectedly (Fatal Python error: Segmentation fault)."


def test_a_program_that_cannot_start_is_one_sentence(qtbot, process):
    with qtbot.waitSignal(process.finished, timeout=10_000) as finished:
        process.start_program("/nonexistent/gpt2-studio", [])
    code, message = finished.args
    assert code == -1
    assert message.startswith("The training process could not start (")
    assert not process.running


def test_one_command_at_a_time(qtbot, process):
    with qtbot.waitSignal(process.finished, timeout=30_000):
        process.start_program(sys.executable, child("time.sleep(0.5)"))
        with pytest.raises(RuntimeError, match="already running"):
            process.start(["train", "--plan"])


def test_a_plan_event_from_a_real_child(qtbot, process):
    plan = lines(training_events())[0]
    assert run(qtbot, process, f"out({plan!r} + '\\n')") == (0, "")
    assert isinstance(process.received[0], PlanEvent)

"""A run's phase follows from its commands' events and exit statuses, fed here as recorded lines."""

from __future__ import annotations

import pytest

from gpt2_studio.gui.training.events import parse_event
from gpt2_studio.gui.training.run_state import TrainingRun
from tests.gui.training.recorded import PLAN, lines, step, training_events


def feed(run: TrainingRun, events: list[dict]) -> None:
    for line in lines(events):
        event = parse_event(line)
        assert event is not None, line
        run.apply(event)


def test_a_plan_makes_the_run_ready_and_a_change_of_settings_undoes_it():
    run = TrainingRun()
    run.begin("plan")
    assert run.phase == "planning"
    assert run.busy
    feed(run, [PLAN])
    run.finish(0, "")
    assert run.phase == "planned"
    assert run.plan is not None
    assert run.plan.corpus_tokens == 48_210
    run.form_changed()
    assert (run.phase, run.plan) == ("setup", None)


def test_a_plan_that_fails_returns_to_the_form_with_its_sentence():
    run = TrainingRun()
    run.begin("plan")
    feed(run, [{"event": "error", "message": "The folder /x has no .txt, .md, .docx or .odt files."}])
    run.finish(1, "The folder /x has no .txt, .md, .docx or .odt files.")
    assert run.phase == "setup"
    assert run.error == "The folder /x has no .txt, .md, .docx or .odt files."


def test_a_plan_that_prints_nothing_is_not_ready():
    run = TrainingRun()
    run.begin("plan")
    run.finish(0, "")
    assert run.phase == "setup"
    assert run.error


def test_a_whole_run_draws_both_curves_and_ends_done():
    run = TrainingRun()
    run.begin("train")
    feed(run, training_events())
    assert run.progress == 1.0
    assert [s for s, _ in run.losses] == [1, 2, 3, 4, 5, 6]
    assert run.heldout[0] == (0, 4.2)  # the base model's held-out loss starts the curve
    assert [s for s, _ in run.heldout] == [0, 2, 4, 6]
    assert run.checkpoint_step == 6
    run.finish(0, "")
    assert run.phase == "done"
    assert run.result is not None
    assert run.result.name == "my-style"


def test_cancel_then_resume_redraws_from_the_checkpoint():
    run = TrainingRun()
    run.begin("train")
    feed(run, training_events()[:7])  # plan, baseline, steps 1-2, held-out, checkpoint 2, step 3
    run.stop_requested()
    assert run.phase == "stopping"
    assert run.busy
    feed(run, [{"event": "interrupted", "step": 3, "resumable": True}])
    run.finish(130, "")
    assert run.phase == "interrupted"
    assert run.resumable
    assert run.checkpoint_step == 3
    run.begin("resume")
    assert run.phase == "training"
    assert [s for s, _ in run.losses] == [1, 2, 3]
    feed(run, [step(4, 3.2), step(5, 3.1)])
    assert [s for s, _ in run.losses] == [1, 2, 3, 4, 5]


def test_a_run_that_fails_keeps_its_sentence_and_resumes_when_a_checkpoint_was_saved():
    run = TrainingRun()
    run.begin("train")
    feed(run, training_events()[:6])  # up to the first checkpoint (step 2)
    feed(run, [{"event": "error", "message": "Not enough memory: training needs 3.1 GB, 1.2 GB are free."}])
    run.finish(1, "Not enough memory: training needs 3.1 GB, 1.2 GB are free.")
    assert run.phase == "failed"
    assert run.error.startswith("Not enough memory")
    assert run.resumable
    assert run.checkpoint_step == 2


def test_a_crash_before_any_checkpoint_is_not_resumable():
    run = TrainingRun()
    run.begin("train")
    feed(run, training_events()[:3])
    run.finish(-1, "The training process stopped unexpectedly.")
    assert run.phase == "failed"
    assert not run.resumable
    assert run.error == "The training process stopped unexpectedly."


def test_discard_returns_to_the_form_and_a_failed_discard_stays():
    run = TrainingRun(phase="interrupted", checkpoint_step=3)
    run.begin("discard")
    assert run.phase == "discarding"
    run.finish(1, "Cannot remove the run folder: permission denied.")
    assert run.phase == "interrupted"
    assert run.error.startswith("Cannot remove")
    run.begin("discard")
    run.finish(0, "")
    assert run.phase == "setup"
    assert run.checkpoint_step is None


def test_unknown_commands_are_refused():
    with pytest.raises(ValueError, match="unknown command"):
        TrainingRun().begin("upload")

"""Where one "Learn a style" run stands, from the events and exit status of its commands (no Qt).

Phases: ``setup`` (the form; ``error`` may say why the last command failed) → ``planning`` → ``planned``
→ ``training`` (or ``stopping`` after Cancel) → ``done``, ``interrupted`` (Resume or Discard; ``discarding``
while the checkpoint is removed) or ``failed`` (Resume when a checkpoint was saved). The dialog shows a
phase; it never decides one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gpt2_studio.gui.training.events import (
    BaselineEvent,
    CheckpointEvent,
    DoneEvent,
    ErrorEvent,
    HeldoutEvent,
    InterruptedEvent,
    PlanEvent,
    StepEvent,
    TrainingEvent,
)

EXIT_INTERRUPTED = 130
COMMANDS = ("plan", "train", "resume", "discard")


@dataclass
class TrainingRun:
    """The state of the dialog's run: what was planned, the curves so far, how it ended."""

    phase: str = "setup"
    command: str = ""  # the command running or last run: one of COMMANDS
    plan: PlanEvent | None = None
    baseline: BaselineEvent | None = None
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, training loss)
    heldout: list[tuple[int, float]] = field(default_factory=list)  # (step, held-out loss); 0: baseline
    last_step: StepEvent | None = None
    steps_since_begin: int = 0  # steps the running command has done (0: still loading, measuring)
    checkpoint_step: int | None = None
    interrupted: InterruptedEvent | None = None
    result: DoneEvent | None = None
    error: str = ""

    @property
    def busy(self) -> bool:
        """True while a command runs."""
        return self.phase in ("planning", "training", "stopping", "discarding")

    @property
    def resumable(self) -> bool:
        """True when a stopped or failed run left a checkpoint to continue from."""
        if self.phase == "interrupted":
            return self.interrupted is None or self.interrupted.resumable
        return self.phase == "failed" and self.checkpoint_step is not None

    def form_changed(self) -> None:
        """The settings changed: a plan made for the old ones no longer holds."""
        if self.phase in ("planned", "setup"):
            self.phase, self.plan, self.error = "setup", None, ""

    def begin(self, command: str) -> None:
        """A command starts: "plan", "train", "resume" (the stopped run) or "discard" (its checkpoint)."""
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}")
        self.command, self.error, self.steps_since_begin = command, "", 0
        if command == "plan":
            self.phase, self.plan = "planning", None
        elif command == "discard":
            self.phase = "discarding"
        else:
            self.phase, self.result, self.interrupted = "training", None, None
            if command == "train":
                self.baseline, self.last_step, self.checkpoint_step = None, None, None
                self.losses, self.heldout = [], []
            else:  # the steps after the checkpoint are done again: drop what they drew
                kept = self.checkpoint_step or 0
                self.losses = [point for point in self.losses if point[0] <= kept]
                self.heldout = [point for point in self.heldout if point[0] <= kept]

    def stop_requested(self) -> None:
        """Cancel was pressed: the command finishes its step and saves a checkpoint."""
        if self.phase == "training":
            self.phase = "stopping"

    def apply(self, event: TrainingEvent) -> None:
        """One event of the running command."""
        if isinstance(event, PlanEvent):
            self.plan = event
        elif isinstance(event, BaselineEvent):
            self.baseline = event
            self.heldout = [(0, event.heldout_loss), *(p for p in self.heldout if p[0] > 0)]
        elif isinstance(event, StepEvent):
            self.last_step = event
            self.steps_since_begin += 1
            self.losses.append((event.step, event.loss))
        elif isinstance(event, HeldoutEvent):
            self.heldout.append((event.step, event.heldout_loss))
        elif isinstance(event, CheckpointEvent):
            self.checkpoint_step = event.step
        elif isinstance(event, InterruptedEvent):
            self.interrupted = event
        elif isinstance(event, DoneEvent):
            self.result = event
        elif isinstance(event, ErrorEvent):
            self.error = event.message

    def finish(self, exit_code: int, message: str) -> None:
        """The command ended with ``exit_code`` (-1: crashed or not started) and ``message`` (its error)."""
        command = self.command
        if command == "plan":
            if exit_code == 0 and self.plan is not None:
                self.phase = "planned"
            else:
                self.phase = "setup"
                self.error = message or self.error or "Checking the files printed no plan."
        elif command == "discard":
            if exit_code == 0:
                self.phase, self.interrupted, self.checkpoint_step = "setup", None, None
                self.plan = None
            else:
                self.phase = "interrupted"
                self.error = message or "The stopped run could not be removed."
        elif exit_code == 0 and self.result is not None:
            self.phase = "done"
        elif exit_code == EXIT_INTERRUPTED:
            self.phase = "interrupted"
            if self.interrupted is not None:
                self.checkpoint_step = max(self.checkpoint_step or 0, self.interrupted.step)
        else:
            self.phase = "failed"
            self.error = message or self.error or "Training ended without finishing."

    @property
    def progress(self) -> float:
        """Fraction of the planned steps done, 0..1."""
        step = self.last_step
        if step is None or step.steps <= 0:
            return 0.0
        return min(1.0, step.step / step.steps)

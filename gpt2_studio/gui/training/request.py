"""What the dialog asks for, as the command line that does it: ``gpt2-studio train …``.

The app runs training as a child process of itself rather than on the model worker's thread: the
optimizer's Python work would otherwise hold the GIL the editor needs, and a crash (out of memory, a
native fault) would take the editor and the writer's unsaved text with it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

DATA_SUFFIXES = (".txt", ".md", ".docx", ".odt")


@dataclass(frozen=True)
class TrainingRequest:
    """One run's settings; ``steps`` or ``minutes`` is the budget (the other is None)."""

    base: str  # an installed model's name
    data: tuple[str, ...]  # files and folders
    name: str  # the new model's name in the models folder
    steps: int | None = None
    minutes: float | None = None
    lora_rank: int = 8  # 0: full fine-tuning
    learning_rate: float | None = None  # None: the command's default for the method

    def arguments(self, *, plan: bool = False, resume: bool = False) -> list[str]:
        """``train …`` arguments for this request, with JSON-line output.

        A resumed run keeps the base model, files and settings it started with (the command reads them
        from its checkpoint): only its name and a new budget, if one was given, are passed.
        """
        args = ["train"]
        if not resume:
            args += ["--model", self.base, "--data", *self.data]
        args += ["--name", self.name]
        if self.minutes is not None:
            args += ["--minutes", f"{self.minutes:g}"]
        elif self.steps is not None:
            args += ["--steps", str(self.steps)]
        if not resume:
            args += ["--lora-rank", str(self.lora_rank)]
            if self.learning_rate is not None:
                args += ["--learning-rate", f"{self.learning_rate:g}"]
        if plan:
            args.append("--plan")
        if resume:
            args.append("--resume")
        return [*args, "--json"]


def discard_arguments(name: str) -> list[str]:
    """``train`` arguments that remove a stopped run's checkpoint (no model was installed)."""
    return ["train", "--name", name, "--discard"]


def cli_command(arguments: list[str]) -> tuple[str, list[str]]:
    """(program, arguments) that run ``gpt2-studio ARGUMENTS`` as this app does.

    A frozen build's executable is the app itself, which runs a command when its first word is one
    (gpt2_studio/app.py); from source, the same entry point is ``python -m gpt2_studio``.
    """
    if getattr(sys, "frozen", False):
        return sys.executable, list(arguments)
    return sys.executable, ["-m", "gpt2_studio", *arguments]

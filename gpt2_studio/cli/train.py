"""``gpt2-studio train``: learn a style, fine-tuning an installed GPT-2 on the user's own writing.

Progress goes to standard output as lines (or JSON lines with --json, one object per line, flushed);
Ctrl+C or SIGTERM stops after the current step with a resumable checkpoint and status 130.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from gpt2_studio.core.errors import SettingsError, StudioError

if TYPE_CHECKING:
    from gpt2_studio.core.training.plan import TrainingPlan, TrainingSettings

EXIT_INTERRUPTED = 130


def add_train_parser(subparsers: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``train`` and its options."""
    from gpt2_studio.cli.generate import add_threads_option

    p = subparsers.add_parser(
        "train",
        parents=parents,
        help="learn a style: fine-tune a model on your own writing",
        description="Fine-tune an installed GPT-2 on your writing (.txt and .md files; .docx and .odt "
        "with the docs extra) and install the result as a new model. LoRA adapters (merged at the end) "
        "by default, full fine-tuning with --lora-rank 0. Nothing leaves this computer; your files are "
        "only read.",
    )
    p.add_argument("--model", metavar="BASE", help="the installed model to start from (a name or a folder)")
    p.add_argument("--data", nargs="+", metavar="PATH", help="files and folders of your writing")
    p.add_argument("--name", required=True, help="the new model's name (letters, digits, '.', '_', '-')")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, metavar="N", help="optimizer steps (default: two passes)")
    budget.add_argument("--minutes", type=float, metavar="M", help="train for this long instead")
    p.add_argument("--lora-rank", type=int, metavar="R", help="LoRA rank (default 8); 0: full")
    p.add_argument(
        "--learning-rate", type=float, metavar="LR", help="AdamW's rate (default 5e-4 with LoRA, 5e-5 full)"
    )
    p.add_argument("--block-size", type=int, metavar="B", help="tokens per block (default: the window)")
    p.add_argument("--batch-size", type=int, metavar="N", help="blocks per step (default 8)")
    p.add_argument("--save-every", type=int, metavar="N", help="steps between checkpoints (default: ~5 min)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default auto")
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        help="auto: bf16 autocast on a CPU with bf16 instructions and on CUDA, else fp32",
    )
    p.add_argument(
        "--dropout",
        type=float,
        metavar="P",
        help="dropout while training, GPT-2's and LoRA's (default 0: on a CPU 0.1 takes 3.4x the time "
        "and more memory)",
    )
    p.add_argument("--seed", type=int, help="data order and dropout (default 0)")
    add_threads_option(p)
    p.add_argument("--resume", action="store_true", help="continue the stopped run of --name")
    p.add_argument("--discard", action="store_true", help="remove the stopped run of --name and exit")
    p.add_argument("--plan", action="store_true", help="print the plan and estimates, then exit")
    p.add_argument("--json", action="store_true", help="print one JSON object per line")
    p.set_defaults(handler=run_train)


#: Options that shape a run; a resumed run keeps its own (their defaults are None here: "not given").
RUN_OPTIONS = (
    "lora_rank", "learning_rate", "block_size", "batch_size", "save_every", "dropout", "seed", "precision",
    "device",
)  # fmt: skip


def _settings(args: argparse.Namespace, saved: dict[str, Any] | None) -> TrainingSettings:
    from gpt2_studio.core.training.plan import TrainingSettings

    given = {k: getattr(args, k) for k in RUN_OPTIONS if getattr(args, k) is not None}
    if saved is not None:  # a resumed run keeps its settings; only the budget may change
        if given:
            options = ", ".join("--" + k.replace("_", "-") for k in given)
            raise SettingsError(
                f"A resumed run keeps the settings it started with, so {options} cannot be given with "
                "--resume (only --steps or --minutes)."
            )
        settings = TrainingSettings.from_dict(saved)
        if args.steps is not None or args.minutes is not None:
            settings = TrainingSettings.from_dict({**saved, "steps": args.steps, "minutes": args.minutes})
        return settings
    return TrainingSettings(steps=args.steps, minutes=args.minutes, **given)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def describe(event: dict[str, Any], notes: list[str] | None = None) -> str:
    """An event as the human-readable line(s) printed without --json."""
    from gpt2_studio.core.models.memory import format_bytes

    kind = event["event"]
    if kind == "plan":
        estimate = event["estimate"]
        method = f"LoRA rank {event['lora_rank']}" if event["lora_rank"] else "full fine-tuning"
        lines = [
            f"Learning a style: {event['base']} → {event['name']} ({method}); nothing leaves this computer.",
            f"Corpus: {event['documents']:,} documents, {event['corpus_tokens']:,} tokens "
            f"({event['train_tokens']:,} for training, {event['heldout_tokens']:,} held out"
            + (f": {notes[0]}" if notes else "")
            + ").",
        ]
        lines += [f"Skipped {s['path']}: {s['reason']}." for s in event["skipped"]]
        lines.append(
            f"Plan: {event['steps']:,} steps of blocks of {event['block_size']:,} tokens; estimate "
            f"{_duration(estimate['seconds'])}, {format_bytes(estimate['peak_memory_bytes'])} of memory, "
            f"{format_bytes(estimate['disk_bytes'])} of disk."
        )
        return "\n".join(lines)
    if kind == "baseline":
        loss = event["heldout_loss"]
        return f"Held-out perplexity before training: {event['perplexity']:.2f} (loss {loss:.3f})."
    if kind == "step":
        return (
            f"step {event['step']}/{event['steps']}  loss {event['loss']:.3f}  "
            f"{event['tokens_per_second']:,.0f} tokens/s  ETA {_duration(event['eta_seconds'])}"
        )
    if kind == "heldout":
        return f"step {event['step']}  held-out loss {event['heldout_loss']:.3f}"
    if kind == "checkpoint":
        return f"Checkpoint saved at step {event['step']}."
    if kind == "interrupted":
        return f"Stopped at step {event['step']}; the run is saved and can be resumed with --resume."
    if kind == "done":
        return _describe_done(event)
    return f"error: {event.get('message', '')}"


def _describe_done(event: dict[str, Any]) -> str:
    from gpt2_studio.core.training.evaluation import improvement

    before, after = event["perplexity_before"], event["perplexity_after"]
    better = improvement(before, after)
    verdict = f"predicts your writing {abs(better):.0%} {'better' if better > 0 else 'worse'}"
    lines = [
        f"Held-out perplexity {before:.2f} → {after:.2f}: {event['name']} {verdict} than the base model.",
        f"Installed {event['name']} in {event['folder']}.",
    ]
    for sample in event["samples"]:
        lines += [
            f"--- {sample['prompt']!r}",
            f"  before: {sample['before']!r}",
            f"  after:  {sample['after']!r}",
        ]
    return "\n".join(lines)


class _Printer:
    """Events to standard output: a JSON object per line (flushed), or readable lines."""

    def __init__(self, stdout: TextIO, as_json: bool, notes: list[str] | None = None) -> None:
        self._stdout, self._json, self.notes = stdout, as_json, notes

    def __call__(self, event: dict[str, Any]) -> None:
        if self._json:
            self._stdout.write(json.dumps(_finite(event), ensure_ascii=True) + "\n")
        else:
            self._stdout.write(describe(event, self.notes) + "\n")
        self._stdout.flush()


def _finite(value: Any) -> Any:
    """NaN and infinity are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@contextlib.contextmanager
def _stop_on_signals(cancel: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set the cancel flag (the loop stops after its step) instead of killing us."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        previous[number] = signal.signal(number, lambda _n, _f: cancel.set())
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_train(args: argparse.Namespace, stdout: TextIO, stdin: TextIO | None) -> int:
    """Plan, then train (unless --plan); events printed as they come."""
    from gpt2_studio.core.training.lock import run_lock

    printer = _Printer(stdout, args.json)
    try:
        with run_lock(args.name):  # a second run (or --discard) of a name being trained is refused
            return _run(args, printer)
    except StudioError as exc:
        if args.json:
            printer({"event": "error", "message": str(exc)})
        raise


def _run(args: argparse.Namespace, printer: _Printer) -> int:
    from gpt2_studio.core.training import checkpoints
    from gpt2_studio.core.training.corpus import TrainingError
    from gpt2_studio.core.training.plan import make_plan, run_folder

    folder = run_folder(args.name)
    if args.discard and (args.resume or args.plan):
        raise SettingsError(f"Give --discard alone, not with {'--resume' if args.resume else '--plan'}.")
    if args.discard:
        if not checkpoints.discard_run(folder):
            raise TrainingError(f"There is no stopped run named {args.name!r} to remove.")
        if args.json:
            printer({"event": "discarded", "name": args.name})
        else:
            printer._stdout.write(f"Removed the stopped run {args.name}.\n")
        return 0
    if args.resume and not (folder / checkpoints.CHECKPOINT_DIR / checkpoints.STATE_FILE).exists():
        raise TrainingError(f"There is no stopped run named {args.name!r} to resume.")
    saved = checkpoints.read_state(folder).state if args.resume else None
    base = args.model or (saved or {}).get("base_ref")
    sources = args.data or (saved or {}).get("sources")
    if not base:
        raise SettingsError("--model is required: the installed model to start from (such as gpt2).")
    if not sources:
        raise SettingsError("--data is required: the files or folders of your writing.")
    settings = _settings(args, (saved or {}).get("settings"))
    threads = _threads(args)
    plan: TrainingPlan = make_plan(base, sources, args.name, settings, resume=args.resume, threads=threads)
    printer.notes = plan.notes
    if args.plan:
        printer(plan.event())
        return 0
    from gpt2_studio.core.runner.threads import apply_threads
    from gpt2_studio.core.training.run import train

    apply_threads(threads)
    cancel = threading.Event()
    with _stop_on_signals(cancel):
        result = train(plan, printer, cancel, sources=_absolute(sources), base_ref=_absolute([base])[0])
    return EXIT_INTERRUPTED if result.interrupted else 0


def _absolute(refs: list[str]) -> list[str]:
    """Paths made absolute (a resume may run from another folder); model names kept as they are."""
    from pathlib import Path

    out = []
    for ref in refs:
        path = Path(ref).expanduser()
        out.append(str(path.resolve()) if path.exists() else str(ref))
    return out


def _threads(args: argparse.Namespace) -> int:
    from gpt2_studio.core.runner.threads import usable_cpus

    return args.threads or usable_cpus()

"""The command line: ``gpt2-studio generate …`` over the core engine."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.sampling import SamplingSettings

EXIT_USER_ERROR = 1
EXIT_BAD_SETTINGS = 2
EXIT_INTERRUPTED = 130
DEFAULT_MODEL = "gpt2"
_DEFAULTS = SamplingSettings()


def add_generate_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``generate`` and its options."""
    p = subparsers.add_parser(
        "generate",
        help="continue a prompt with a GPT-2 model",
        description="Continue a prompt (from --prompt or standard input) and print the continuation.",
    )
    p.add_argument(
        "--model", default=DEFAULT_MODEL, help="model folder, catalog name or repo id (default: gpt2)"
    )
    p.add_argument("--prompt", help="the text to continue; read from standard input when omitted")
    p.add_argument(
        "--top-k", type=int, default=_DEFAULTS.top_k, help="sample from the K most likely tokens; 0 = off"
    )
    p.add_argument("--temperature", type=float, default=_DEFAULTS.temperature, help="randomness; 0 = greedy")
    p.add_argument("--top-p", type=float, default=_DEFAULTS.top_p, help="nucleus sampling mass; 1 = off")
    p.add_argument("--repetition-penalty", type=float, default=_DEFAULTS.repetition_penalty, help="1 = off")
    p.add_argument(
        "--max-new-tokens", type=int, default=_DEFAULTS.max_new_tokens, help="length of each continuation"
    )
    p.add_argument("--num", type=int, default=1, help="number of alternatives (one batched pass)")
    p.add_argument("--seed", type=int, help="fix the random seed to repeat a result")
    p.add_argument("--stop", action="append", default=[], help="stop before this text (may repeat)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "int8", "fp16"),
        default="auto",
        help="auto: fp16 on CUDA, int8 weights on CPU; fp32 is exact",
    )
    p.add_argument("--stream", action="store_true", help="print text as it is generated")
    p.add_argument(
        "--json", action="store_true", help="print one JSON object with the alternatives and stats"
    )
    p.set_defaults(handler=run_generate)


def _read_prompt(args: argparse.Namespace, stdin: TextIO) -> str:
    if args.prompt is not None:
        return args.prompt
    if stdin is None or stdin.isatty():
        raise SettingsError("no prompt: pass --prompt TEXT or pipe the text into standard input.")
    raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"standard input is not valid UTF-8 text (byte {exc.start}).") from exc


def run_generate(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Load the model, generate, print."""
    from gpt2_studio.core.engine import Engine, TextDelta
    from gpt2_studio.core.loading import load_model

    settings = SamplingSettings(
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        repetition_penalty=args.repetition_penalty,
        max_new_tokens=args.max_new_tokens,
        num_alternatives=args.num,
        seed=args.seed,
        stop_strings=tuple(args.stop),
    )
    prompt = _read_prompt(args, stdin)
    model = load_model(args.model, device=args.device, precision=args.precision)
    engine = Engine(model)
    streaming = args.stream and not args.json

    count = settings.num_alternatives

    def header(index: int) -> str:
        return f"--- alternative {index + 1} of {count} ---\n" if count > 1 else ""

    def show(delta: TextDelta) -> None:
        if delta.index == 0:
            stdout.write(delta.text)
            stdout.flush()

    if streaming:
        stdout.write(header(0))
    try:
        result = engine.complete(prompt, settings, on_text=show if streaming else None)
    except KeyboardInterrupt:
        stdout.write("\n")
        return EXIT_INTERRUPTED
    if args.json:
        json.dump(
            {
                "model": model.name,
                "model_path": str(model.folder),
                "device": model.device,
                "precision": model.precision,
                "alternatives": list(result.alternatives),
                "finish_reasons": list(result.finish_reasons),
                "seed": result.seed,
                "prompt_tokens": result.prompt_tokens,
                "prompt_trimmed": result.trimmed,
                "new_tokens": result.new_tokens,
                "tokens_per_second": round(result.tokens_per_second, 2),
                "first_token_seconds": round(result.first_token_seconds, 4),
                "total_seconds": round(result.total_seconds, 4),
            },
            stdout,
            ensure_ascii=False,
            indent=2,
        )
        stdout.write("\n")
        return 0
    for index, text in enumerate(result.alternatives):
        if index == 0 and streaming:
            stdout.write("\n")
        else:
            stdout.write(header(index) + text + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    from gpt2_studio import __version__

    parser = argparse.ArgumentParser(
        prog="gpt2-studio", description="GPT-2 Studio: write with GPT-2 on your machine."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to standard error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_generate_parser(subparsers)
    from gpt2_studio.cli_models import add_models_parser

    add_models_parser(subparsers)
    return parser


COMMANDS = ("generate", "models")


def run_cli(argv: Sequence[str], stdout: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Parse argv and run a subcommand; user errors become one line on stderr and a non-zero exit."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_SETTINGS
    from gpt2_studio import paths

    args.models_folder = paths.models_dir()
    try:
        return args.handler(args, stdout or sys.stdout, stdin if stdin is not None else sys.stdin)
    except SettingsError as exc:
        print(f"gpt2-studio: error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except StudioError as exc:
        print(f"gpt2-studio: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR

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
    p.add_argument("--preset", help="run a preset (see `gpt2-studio presets`) on the prompt text")
    p.add_argument("--input", help="the answer to a preset's question (its {input}), e.g. a role")
    # Sampling options default to None so that a preset's own settings apply unless one is given.
    p.add_argument(
        "--top-k", type=int, help=f"sample from the K most likely tokens; 0 = off ({_DEFAULTS.top_k})"
    )
    p.add_argument("--temperature", type=float, help=f"randomness; 0 = greedy ({_DEFAULTS.temperature})")
    p.add_argument("--top-p", type=float, help="nucleus sampling mass; 1 = off")
    p.add_argument("--repetition-penalty", type=float, help="1 = off")
    p.add_argument(
        "--max-new-tokens", type=int, help=f"length of each continuation ({_DEFAULTS.max_new_tokens})"
    )
    p.add_argument("--num", type=int, help="number of alternatives (one batched pass; default 1)")
    p.add_argument("--seed", type=int, help="fix the random seed to repeat a result")
    p.add_argument("--stop", action="append", help="stop before this text (may repeat)")
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


def _find_preset(name: str):
    from gpt2_studio.core.presets import find_preset, load_presets

    presets, problems = load_presets()
    for problem in problems:
        print(f"gpt2-studio: warning: {problem}", file=sys.stderr)
    preset = find_preset(presets, name)
    if preset is None:
        names = ", ".join(p.name for p in presets)
        raise SettingsError(f"no preset named {name!r}; the presets are: {names}.")
    return preset


def _render_preset(preset, text: str, answer: str | None, engine, settings: SamplingSettings) -> str:
    """The preset's prompt with the given text as the selection, document and text before the cursor."""
    from gpt2_studio.core.presets import PresetContext, render

    if "input" in preset.placeholders and answer is None:
        if not preset.input_default:
            raise SettingsError(
                f"preset {preset.name!r} needs --input ({preset.input_label or 'its question'})."
            )
        answer = preset.input_default
    context = PresetContext(selection=text, document=text, before_cursor=text, input=answer or "")
    budget = engine.token_budget(settings)
    return render(preset, context, engine.tokenize, engine.model.tokenizer.decode, budget).text


def run_presets(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """List the presets: name, output place, shortcut, description."""
    from gpt2_studio.core.presets import load_presets, user_presets_dir

    presets, problems = load_presets()
    for problem in problems:
        print(f"gpt2-studio: warning: {problem}", file=sys.stderr)
    for preset in presets:
        origin = "built-in" if preset.builtin else "yours"
        stdout.write(f"{preset.name:<30} {preset.output:<13} {origin:<9} {preset.description}\n")
    stdout.write(f"\nYour presets live in {user_presets_dir()}\n")
    return 0


def run_generate(args: argparse.Namespace, stdout: TextIO, stdin: TextIO) -> int:
    """Load the model, generate, print."""
    from gpt2_studio.core.engine import Engine, TextDelta
    from gpt2_studio.core.loading import load_model

    preset = _find_preset(args.preset) if args.preset else None
    given = {
        "temperature": args.temperature,
        "top_k": args.top_k,
        "top_p": args.top_p,
        "repetition_penalty": args.repetition_penalty,
        "max_new_tokens": args.max_new_tokens,
        "num_alternatives": args.num,
        "seed": args.seed,
        "stop_strings": tuple(args.stop) if args.stop else None,
    }
    base = preset.sampling if preset else SamplingSettings(num_alternatives=1)
    settings = base.replace(**{key: value for key, value in given.items() if value is not None})
    text = _read_prompt(args, stdin)
    model = load_model(args.model, device=args.device, precision=args.precision)
    engine = Engine(model)
    prompt = _render_preset(preset, text, args.input, engine, settings) if preset else text
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
    alternatives = list(result.alternatives)
    if preset is not None:
        from gpt2_studio.core.presets import finish

        alternatives = [finish(preset, text) for text in alternatives]
    if args.json:
        json.dump(
            {
                "model": model.name,
                "model_path": str(model.folder),
                "device": model.device,
                "precision": model.precision,
                "alternatives": alternatives,
                "preset": preset.name if preset else None,
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
    for index, text in enumerate(alternatives):
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
    presets = subparsers.add_parser("presets", help="list the presets (--preset NAME runs one)")
    presets.set_defaults(handler=run_presets)
    return parser


COMMANDS = ("generate", "models", "presets")


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

"""``gpt2-studio generate``: continue a prompt from an argument or standard input and print the result."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gpt2_studio.core.documents.text_input import (
    TextInputError,
    argument_text,
    read_text_file,
    read_text_stream,
)
from gpt2_studio.core.errors import ModelError, SettingsError, StudioError
from gpt2_studio.core.generation.context import DEFAULT_AUTHORS_NOTE_DEPTH, Prompt
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import (
    SAMPLING_FIELDS,
    STOP_AT_CHOICES,
    STOP_AT_FLAG,
    STOP_AT_HELP,
    STOP_AT_TOKENS,
    TOKEN_HEALING_FLAG,
    TOKEN_HEALING_HELP,
    SamplingField,
)
from gpt2_studio.std_streams import can_encode

if TYPE_CHECKING:  # presets, the engine and the model loader load lazily: torch only when generating
    from gpt2_studio.core.generation.engine_protocol import GenerationEngine
    from gpt2_studio.core.models.loading import LoadedModel
    from gpt2_studio.core.presets.templates import Preset, RenderedPrompt

EXIT_INTERRUPTED = 130
DEFAULT_MODEL = "gpt2"
_DEFAULTS = SamplingSettings()
# What the Hugging Face Hub accepts as owner/name; anything else is a path or a typo, not a download.
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
#: A Memory or Author's note file longer than this is surely not one (a model's window holds ~4 KB).
MAX_CONTEXT_FILE_BYTES = 1024 * 1024


def add_generate_parser(
    subparsers: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
) -> None:
    """Register ``generate`` and its options."""
    p = subparsers.add_parser(
        "generate",
        parents=parents,
        help="continue a prompt with a GPT-2 model",
        description="Continue a prompt (from --prompt or standard input) and print the continuation.",
    )
    p.add_argument(
        "--model",
        help="model folder, catalog name or repo id (default: gpt2); with --server, the model the server "
        "serves (default: its only one)",
    )
    p.add_argument(
        "--prompt",
        help="the text to continue; read from standard input when omitted (UTF-8, or UTF-16/32 with a BOM)",
    )
    p.add_argument("--preset", help="run a preset (see `gpt2-studio presets`) on the prompt text")
    p.add_argument("--input", help="the answer to a preset's question (its {input}), e.g. a role")
    # Sampling options default to None so that a preset's own settings apply unless one is given.
    for field in SAMPLING_FIELDS:
        p.add_argument(
            field.flag,
            type=field.kind,
            metavar=_dest(field).upper(),
            help=f"{field.described(getattr(_DEFAULTS, field.name), gui=False)} Allowed: {field.valid.rule}.",
        )
    p.add_argument("--stop", action="append", help="stop before this text (may repeat)")
    p.add_argument(
        STOP_AT_FLAG,
        choices=tuple(STOP_AT_CHOICES),
        help=f"{STOP_AT_HELP} Default: {STOP_AT_TOKENS}.",
    )
    p.add_argument(
        TOKEN_HEALING_FLAG,
        action=argparse.BooleanOptionalAction,
        help=f"{TOKEN_HEALING_HELP} Default: off (with --preset, the preset's own setting).",
    )
    p.add_argument(
        "--memory",
        metavar="TEXT|@FILE",
        help="text always placed at the top of the prompt (characters, setting, facts); kept whole, the "
        "prompt is shortened around it. @FILE reads a UTF-8 file; @@ starts a text with a literal @.",
    )
    p.add_argument(
        "--authors-note",
        metavar="TEXT|@FILE",
        help='a line inserted a few lines before the end of the prompt (style or direction: "[Style: '
        'terse]"); kept whole. @FILE and @@ as for --memory.',
    )
    p.add_argument(
        "--authors-note-depth",
        type=int,
        metavar="N",
        help="put the Author's note before the Nth line counted back from the end of the prompt (1: before "
        f"the last line; more than the prompt has: at its top). Default: {DEFAULT_AUTHORS_NOTE_DEPTH}.",
    )
    add_server_options(p)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "int8", "fp16"),
        default="auto",
        help="auto: fp16 on CUDA, int8 weights on CPU; fp32 is exact",
    )
    add_threads_option(p)
    p.add_argument("--stream", action="store_true", help="print text as it is generated")
    p.add_argument(
        "--json", action="store_true", help="print one JSON object with the alternatives and stats"
    )
    p.set_defaults(handler=run_generate)


def add_server_options(p: argparse.ArgumentParser, verb: str = "generate") -> None:
    """--server and what goes with it: generate (or score) on an OpenAI-compatible completions server."""
    p.add_argument(
        "--server",
        metavar="URL|NAME",
        help=f"{verb} on an OpenAI-compatible completions server (llama.cpp, vLLM, TGI) at URL, such as "
        "http://gpu-box:8000/v1, or on a server saved with `models add-server` under NAME",
    )
    p.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="with --server: read the server's API key from environment variable VAR (a saved server's key "
        "otherwise comes from the system keyring)",
    )
    from gpt2_studio.cli.remote import window_value

    p.add_argument(
        "--window",
        type=window_value,
        metavar="TOKENS",
        help="with --server: the model's window where the server does not report it (default: 1024, GPT-2's)",
    )
    p.add_argument(
        "--tokenizer",
        metavar="MODEL",
        help="with --server: a local model (folder or name) whose tokenizer the server's model shares, for "
        "exact prompt fitting, token healing and scoring (default: any GPT-2 on this computer; else "
        "prompts are fitted by their bytes, and healing and scoring are unavailable)",
    )


def threads_value(text: str) -> int | None:
    """--threads: "auto" (None: the CPUs other programs leave free) or a whole number of threads."""
    from gpt2_studio.core.settings import THREADS_RANGE

    low, high = THREADS_RANGE
    if text.strip().lower() == "auto":
        return None
    try:
        count = int(text.strip())
    except ValueError:
        count = 0
    if not low <= count <= high:
        raise argparse.ArgumentTypeError(f"must be auto or a whole number from {low} to {high}, not {text!r}")
    return count


def add_threads_option(p: argparse.ArgumentParser) -> None:
    """--threads for the commands that run the model on the CPU (generate, score)."""
    p.add_argument(
        "--threads",
        type=threads_value,
        default=None,
        metavar="N",
        help="CPU threads for the model: a number, or auto (default): one per CPU that other programs "
        "leave free, measured while the model loads",
    )


def _read_prompt(args: argparse.Namespace, stdin: TextIO | None) -> str:
    if args.prompt is not None:
        return argument_text(args.prompt, "--prompt")
    if stdin is None or stdin.isatty():
        raise SettingsError("no prompt: pass --prompt TEXT or pipe the text into standard input.")
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # a text stream handed in by a caller (tests): its bytes as they were given
        return read_text_stream(_BytesOf(stdin.read()), "standard input")
    return read_text_stream(buffer, "standard input")


class _BytesOf:
    """A text already read, offered as a byte stream."""

    def __init__(self, text: str) -> None:
        self._data = text.encode("utf-8", "surrogateescape")

    def read(self, size: int = -1) -> bytes:
        size = len(self._data) if size < 0 else size
        piece, self._data = self._data[:size], self._data[size:]
        return piece


def context_text(value: str, option: str) -> str:
    """An option's text as given, or with @FILE the text of that UTF-8 file (@@ escapes a leading @).

    Raises TextInputError (a SettingsError: exit 2) with one sentence for a missing, unreadable, binary,
    non-UTF-8 or oversized file, or text that is not valid UTF-8.
    """
    if value.startswith("@@"):
        return argument_text(value[1:], option)
    if not value.startswith("@"):
        return argument_text(value, option)
    name = value[1:]
    if not name.strip():
        raise TextInputError(
            f"{option} @ needs a file name after the @ (write @@ for a text starting with @)."
        )
    if "\x00" in name:  # the one kind of name no file can have
        raise TextInputError(f"{option} names a file that cannot exist: {ascii(name)}.")
    path = Path(name).expanduser()
    return read_text_file(path, f"the {option} file {path}", MAX_CONTEXT_FILE_BYTES)


def prompt_from_args(args: argparse.Namespace, text: str) -> Prompt:
    """The text with --memory, --authors-note and --authors-note-depth; one sentence when they clash."""
    memory = context_text(args.memory, "--memory") if args.memory is not None else ""
    note = context_text(args.authors_note, "--authors-note") if args.authors_note is not None else ""
    if args.authors_note_depth is not None and args.authors_note is None:
        raise SettingsError("--authors-note-depth places the Author's note, so it needs --authors-note TEXT.")
    depth = DEFAULT_AUTHORS_NOTE_DEPTH if args.authors_note_depth is None else args.authors_note_depth
    if depth < 1:
        raise SettingsError(f"--authors-note-depth must be a whole number of lines, at least 1, not {depth}.")
    return Prompt(text, memory=memory, authors_note=note, authors_note_depth=depth)


def find_preset_or_fail(name: str) -> Preset:
    """The preset called ``name``; a SettingsError lists the names when there is none."""
    from gpt2_studio.core.presets.storage import load_presets
    from gpt2_studio.core.presets.templates import find_preset

    presets, problems = load_presets()
    for problem in problems:
        print(f"gpt2-studio: warning: {problem}", file=sys.stderr)
    preset = find_preset(presets, name)
    if preset is None:
        names = ", ".join(p.name for p in presets)
        raise SettingsError(f"no preset named {name!r}; the presets are: {names}.")
    return preset


def _render_preset(
    preset: Preset, text: str, answer: str | None, engine: GenerationEngine, settings: SamplingSettings
) -> RenderedPrompt:
    """The preset's prompt with the given text as the selection, document and text before the cursor."""
    from gpt2_studio.core.presets.templates import PresetContext, render

    if "input" in preset.placeholders and answer is None:
        if not preset.input_default:
            raise SettingsError(
                f"preset {preset.name!r} needs --input ({preset.input_label or 'its question'})."
            )
        answer = preset.input_default
    context = PresetContext(selection=text, document=text, before_cursor=text, input=answer or "")
    budget = engine.token_budget(settings)
    return render(preset, context, engine.tokenize, engine.detokenize, budget)


def _download_hint(ref: str) -> str | None:
    """The download command for a model reference that names a model rather than a folder, else None."""

    from gpt2_studio.core.models.catalog import find_catalog_model
    from gpt2_studio.core.models.checkpoint import expand_user
    from gpt2_studio.core.models.downloads import resolve_repo

    name = ref.strip()
    entry = find_catalog_model(name)
    if entry is None and (not _REPO_ID.fullmatch(name) or expand_user(name).exists()):
        return None
    try:
        resolve_repo(name)  # the same check `models download` makes
    except StudioError:
        return None
    return f"gpt2-studio models download {entry.name if entry else name}"


def _load(args: argparse.Namespace) -> LoadedModel:
    from gpt2_studio import paths
    from gpt2_studio.core.models.loading import load_model
    from gpt2_studio.core.models.resolve import resolve_model

    args.model = args.model if args.model is not None else DEFAULT_MODEL
    try:
        resolve_model(args.model)
    except ModelError:
        hint = _download_hint(args.model)
        if hint is None:
            raise
        raise ModelError(
            f"Model {args.model.strip()!r} is not on this computer (looked in {paths.models_dir()} and the "
            f"Hugging Face cache); download it with `{hint}`, or pass a folder that holds a GPT-2 checkpoint."
        ) from None
    from gpt2_studio.core.runner.threads import CoreMonitor, apply_threads

    cores = CoreMonitor()
    cores.note()  # the load's own span tells how busy the other CPUs are
    model = load_model(args.model, device=args.device, precision=args.precision)
    apply_threads(cores.choose(args.threads))  # on this (main) thread, which runs the model
    return model


def _no_server_options(args: argparse.Namespace) -> None:
    """--api-key-env, --window and --tokenizer describe a server: without --server they are a mistake."""
    given = [flag for flag, value in (("--api-key-env", args.api_key_env), ("--window", args.window),
             ("--tokenizer", args.tokenizer)) if value is not None]  # fmt: skip
    if given:
        raise SettingsError(f"{', '.join(given)} goes with --server URL (a model on a server).")


def _dest(field: SamplingField) -> str:
    """Where argparse keeps a sampling option: its flag's name (--num: num)."""
    return field.flag.removeprefix("--").replace("-", "_")


def settings_from_args(args: argparse.Namespace, preset: Preset | None) -> SamplingSettings:
    """The sampling settings the options ask for, over the preset's own (or the defaults)."""
    given: dict[str, Any] = {field.name: getattr(args, _dest(field)) for field in SAMPLING_FIELDS}
    given |= {
        "stop_strings": tuple(argument_text(s, "--stop", normalise=False) for s in args.stop)
        if args.stop
        else None,
        "token_healing": args.token_healing,
        "stop_at": args.stop_at,
    }
    base = preset.sampling if preset else SamplingSettings(num_alternatives=1)
    return base.replace(**{key: value for key, value in given.items() if value is not None})


def write_json(data: Any, stdout: TextIO) -> None:
    """One JSON object; escaped to ASCII when the stream's encoding cannot hold the text, so it stays JSON."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if not can_encode(stdout, text):
        text = json.dumps(data, ensure_ascii=True, indent=2)
    stdout.write(text + "\n")


def run_generate(args: argparse.Namespace, stdout: TextIO, stdin: TextIO | None) -> int:
    """Load the model, generate, print."""
    from gpt2_studio.core.generation.alternatives import FINISH_CANCELLED
    from gpt2_studio.core.generation.engine import Engine, TextDelta

    if args.input is not None and args.preset is None:
        raise SettingsError("--input answers a preset's question, so it needs --preset NAME.")
    context_options = (args.memory, args.authors_note, args.authors_note_depth)
    if args.preset is not None and any(option is not None for option in context_options):
        # A preset's template shapes the whole prompt (a question, "TL;DR:"); a note inserted lines
        # before its end, or text above it, would break that shape.
        raise SettingsError(
            "--memory, --authors-note and --authors-note-depth give context to a plain continuation; a "
            "preset builds its own prompt from its template, so use them without --preset."
        )
    preset = (
        find_preset_or_fail(argument_text(args.preset, "--preset", normalise=False))
        if args.preset is not None
        else None
    )
    settings = settings_from_args(args, preset)
    answer = argument_text(args.input, "--input") if args.input is not None else None
    text = _read_prompt(args, stdin)
    context = prompt_from_args(args, text) if preset is None else None
    engine: GenerationEngine
    if args.server is not None:
        from gpt2_studio.cli.remote import connect_remote

        engine = connect_remote(args)
    else:
        _no_server_options(args)
        engine = Engine(_load(args))
    model = engine.model
    rendered = _render_preset(preset, text, answer, engine, settings) if preset else None
    prompt: str | Prompt = rendered.text if rendered is not None else context or text
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
    finally:
        close = getattr(engine, "close", None)  # a remote engine's connections
        if close is not None:
            close()
    # Nothing cancels a command-line run but Ctrl+C (above), so a cancelled remote row is a stream that
    # broke mid-suggestion: its text is printed, its warning was, and the exit says it is incomplete.
    code = 1 if args.server is not None and FINISH_CANCELLED in result.finish_reasons else 0
    alternatives = list(result.alternatives)
    if preset is not None:
        from gpt2_studio.core.presets.templates import finish

        alternatives = [finish(preset, text) for text in alternatives]
    if args.json:
        write_json(
            {
                "model": model.name,
                "model_path": str(getattr(model, "folder", None) or getattr(model, "url", "")),
                "device": model.device,
                "precision": model.precision,
                "alternatives": alternatives,
                "preset": preset.name if preset else None,
                "finish_reasons": list(result.finish_reasons),
                "seed": result.seed,
                "prompt_tokens": result.prompt_tokens,
                "memory_tokens": result.memory_tokens,
                "note_tokens": result.note_tokens,
                "healed_tokens": result.healed_tokens,
                # The preset's rendering shortens the user's text to fit; the engine trims what is still over.
                "prompt_trimmed": bool(result.trimmed or (rendered is not None and rendered.trimmed)),
                "new_tokens": result.new_tokens,
                "tokens_per_second": round(result.tokens_per_second, 2),
                "first_token_seconds": round(result.first_token_seconds, 4),
                "total_seconds": round(result.total_seconds, 4),
            },
            stdout,
        )
        return code
    for index, text in enumerate(alternatives):
        if index == 0 and streaming:
            stdout.write("\n")
        else:
            stdout.write(header(index) + text + "\n")
    return code

"""The command line: ``gpt2-studio generate|models|presets`` and ``--self-test``, run like a Unix tool.

Every failure a user can meet is one line on standard error and a non-zero status (2 for bad input,
1 for the rest, 130 after Ctrl+C); a reader that closes the pipe early (``| head -c1``) ends the program
quietly with the status a shell gives a tool killed by SIGPIPE (141).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from gpt2_studio.cli.generate import EXIT_INTERRUPTED, add_generate_parser
from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.std_streams import detach_broken_output, is_closed_output

EXIT_USER_ERROR = 1
EXIT_BAD_SETTINGS = 2
EXIT_CLOSED_OUTPUT = 128 + getattr(signal, "SIGPIPE", 13)
COMMANDS = ("generate", "models", "presets", "provenance", "score", "train")  # build_parser's, tested
# Options that the top level (and so `app.main`) accepts before a command or instead of one.
GLOBAL_FLAGS = ("-v", "--verbose")
USAGE = """\
gpt2-studio [-v] COMMAND [OPTIONS]    run a command (below)
       gpt2-studio [-v] [FILE] [--model PATH_OR_ID] [--device auto|cpu|cuda] [--precision P]
                                          open the editor (no COMMAND)
       gpt2-studio --self-test            check this installation"""
EPILOG = """\
Examples:
  gpt2-studio generate --prompt "The meaning of life is" --num 3
  gpt2-studio models download gpt2
  gpt2-studio score --model gpt2 essay.txt
  gpt2-studio --self-test

Run `gpt2-studio COMMAND --help` for a command's options.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with errors as one line (no usage dump), pointing at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_SETTINGS, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")

    def _print_message(self, message: str, file: TextIO | None = None) -> None:
        # argparse ignores write errors; --help into a full disk must fail like any other output.
        if not message:
            return
        file = file or sys.stderr
        try:
            file.write(message)
        except OSError as error:
            if is_closed_output(error):
                raise
            if file is sys.stdout:
                raise OutputError(error) from error


def _verbose_parent() -> argparse.ArgumentParser:
    """-v/--verbose for every subcommand; SUPPRESS keeps a subcommand from resetting the top level's."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log what happens to standard error",
    )
    return parent


def run_presets(args: argparse.Namespace, stdout: TextIO, stdin: TextIO | None) -> int:
    """List the presets: name, output place, shortcut, description."""
    from gpt2_studio.core.presets.storage import load_presets, user_presets_dir

    presets, problems = load_presets()
    for problem in problems:
        print(f"gpt2-studio: warning: {problem}", file=sys.stderr)
    for preset in presets:
        origin = "built-in" if preset.builtin else "yours"
        stdout.write(f"{preset.name:<30} {preset.output:<13} {origin:<9} {preset.description}\n")
    stdout.write(f"\nYour presets live in {user_presets_dir()}\n")
    return 0


def run_self_test_command(args: argparse.Namespace, stdout: TextIO, stdin: TextIO | None) -> int:
    """``--self-test``: the installation check (see selftest.py)."""
    from gpt2_studio.selftest import run_self_test

    return run_self_test(stdout)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    from gpt2_studio import __version__
    from gpt2_studio.cli.models import add_models_parser
    from gpt2_studio.cli.provenance import add_provenance_parser
    from gpt2_studio.cli.score import add_score_parser
    from gpt2_studio.cli.train import add_train_parser

    parser = _Parser(
        prog="gpt2-studio",
        usage=USAGE,
        description="GPT-2 Studio: write with GPT-2 on your machine. Without a COMMAND it opens the editor.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to standard error")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (a tiny model, generation, the editor offscreen); 0 when all works",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", prog=parser.prog)
    parents = [_verbose_parent()]
    add_generate_parser(subparsers, parents)
    add_models_parser(subparsers, parents)
    add_score_parser(subparsers, parents)
    add_provenance_parser(subparsers, parents)
    add_train_parser(subparsers, parents)
    presets = subparsers.add_parser(
        "presets", parents=parents, help="list the presets (generate --preset NAME runs one)"
    )
    presets.set_defaults(handler=run_presets)
    return parser


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _run(argv: Sequence[str], stdout: TextIO | None, stdin: TextIO | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except OutputError as exc:
        return _output_failed(exc)
    if args.self_test:
        if args.command:
            parser.error("--self-test runs on its own, without a command")
        args.handler = run_self_test_command
    verbose = bool(getattr(args, "verbose", False))
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_SETTINGS
    from gpt2_studio import paths

    args.models_folder = paths.models_dir()
    out = _Output(stdout or sys.stdout)
    try:
        status = args.handler(args, out, stdin if stdin is not None else sys.stdin)
        out.flush()  # here, so that a closed pipe or a full disk is reported, not lost at exit
        return status
    except SettingsError as exc:
        print(f"gpt2-studio: error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except StudioError as exc:
        print(f"gpt2-studio: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OutputError as exc:
        return _output_failed(exc)
    except Exception as exc:
        if is_closed_output(exc):
            raise
        return _unexpected(exc, verbose)


class OutputError(Exception):
    """Writing to standard output failed for a reason other than a closed pipe (a full disk)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.reason = (error.strerror or str(error)).rstrip(".")


class _Output:
    """The command's output stream; a failed write becomes an OutputError (a closed pipe stays itself)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            if is_closed_output(error):
                raise
            raise OutputError(error) from error

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            if is_closed_output(error):
                raise
            raise OutputError(error) from error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _output_failed(exc: OutputError) -> int:
    detach_broken_output()
    print(f"gpt2-studio: error: cannot write the output: {exc.reason}.", file=sys.stderr)
    return EXIT_USER_ERROR


def _unexpected(exc: Exception, verbose: bool) -> int:
    """A fault of ours, not the user's: one line (the traceback with --verbose) and status 1."""
    if verbose:
        traceback.print_exc(file=sys.stderr)
    hint = "" if verbose else " (run again with --verbose to see where)"
    print(f"gpt2-studio: error: unexpected {type(exc).__name__}: {_one_line(exc)}{hint}", file=sys.stderr)
    return EXIT_USER_ERROR


def run_cli(argv: Sequence[str], stdout: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Parse argv and run a subcommand; user errors become one line on stderr and a non-zero exit.

    Ctrl+C ends with status 130, a closed output pipe with 141, both without a traceback.
    """
    try:
        try:
            return _run(argv, stdout, stdin)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code
        sys.stdout.flush()
        return code if isinstance(code, int) else (0 if code is None else EXIT_BAD_SETTINGS)
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if not is_closed_output(exc):
            raise
        detach_broken_output()
        return EXIT_CLOSED_OUTPUT

"""Entry point: a subcommand runs the command line, anything else opens the editor window."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """``gpt2-studio [COMMAND …]`` / ``python main.py [FILE] [--model PATH_OR_ID]``."""
    from gpt2_studio.std_streams import ensure_std_streams

    ensure_std_streams()  # before anything imports tqdm: windowed builds have no stdout/stderr
    args = list(sys.argv[1:] if argv is None else argv)
    # huggingface_hub reads this once at import; with telemetry on it contacts huggingface.co even when
    # HF_ENDPOINT names a mirror.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if args[:1] == ["--self-test"]:
        from gpt2_studio.selftest import run_self_test

        return run_self_test()
    from gpt2_studio.cli import COMMANDS, run_cli

    if args and (args[0] in COMMANDS or args[0] in ("-h", "--help", "--version")):
        return run_cli(args)
    from gpt2_studio.gui.launch import launch

    return launch(args)

"""Entry point: a subcommand runs the command line, anything else opens the editor window."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

CLI_WORDS = ("-h", "--help", "--version", "--self-test")


def _keep_torch_caches_out_of_tmp() -> None:
    """Give torch's compile cache a home in our cache folder instead of ``<tmp>/torchinductor_<user>``.

    transformers imports ``torch._dynamo`` (for a ``torch.compiler.disable`` decorator), whose import
    creates that folder, even though nothing is ever compiled. A folder the user chose is kept.
    """
    if not os.environ.get("TORCHINDUCTOR_CACHE_DIR"):
        from gpt2_studio import paths

        folder = paths.cache_dir() / "torch"
        try:  # torch creates it at import and fails there if it cannot: then leave torch its default
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder)


def _split_global_flags(args: list[str]) -> tuple[bool, list[str]]:
    """(verbose, the rest): leading -v/--verbose, which the editor and every command accept."""
    from gpt2_studio.cli.main import GLOBAL_FLAGS

    index = 0
    while index < len(args) and args[index] in GLOBAL_FLAGS:
        index += 1
    return index > 0, args[index:]


def _editor_refusal(rest: list[str]) -> tuple[str, int] | None:
    """(one line, status) when the editor cannot or should not open: a mistyped command, no display."""
    import difflib

    from gpt2_studio.cli.main import COMMANDS

    word = rest[0] if rest else ""
    if word and not word.startswith("-") and not os.path.lexists(word):
        close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.7)
        if close:
            return f"unknown command {word!r}; did you mean `gpt2-studio {close[0]}`? (see --help)", 2
    no_display = not any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    if sys.platform.startswith("linux") and no_display:
        return (
            "no display to open the editor on (DISPLAY and WAYLAND_DISPLAY are not set); "
            "run it in a desktop session, or use a command such as `gpt2-studio generate` (see --help)",
            1,
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """``gpt2-studio [COMMAND …]`` / ``python main.py [FILE] [--model PATH_OR_ID]``."""
    from gpt2_studio.std_streams import ensure_std_streams, forgive_unencodable_output

    ensure_std_streams()  # before anything imports tqdm: windowed builds have no stdout/stderr
    forgive_unencodable_output()
    args = list(sys.argv[1:] if argv is None else argv)
    # huggingface_hub reads this once at import; with telemetry on it contacts huggingface.co even when
    # HF_ENDPOINT names a mirror.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if "--self-test" not in args:  # the self-test keeps every cache in its own temporary folder
        _keep_torch_caches_out_of_tmp()
    from gpt2_studio.cli.main import COMMANDS, run_cli

    verbose, rest = _split_global_flags(args)
    if rest[:1] and (rest[0] in COMMANDS or rest[0] in CLI_WORDS):
        return run_cli(args)
    refusal = _editor_refusal(rest)
    if refusal is not None:
        print(f"gpt2-studio: error: {refusal[0]}.", file=sys.stderr)
        return refusal[1]
    if verbose:  # the editor's own logging set-up then keeps this level
        logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    from gpt2_studio.gui.launch import launch

    return launch(rest)

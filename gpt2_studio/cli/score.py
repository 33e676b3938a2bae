"""``gpt2-studio score``: how likely GPT-2 finds a text, token by token (perplexity, ranks, top choices)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gpt2_studio.core.documents.text_input import read_text_file, read_text_stream
from gpt2_studio.core.errors import SettingsError

if TYPE_CHECKING:
    from gpt2_studio.core.generation.scoring import Scores

# GLTR's rank buckets: the model's top 10, top 100, top 1,000, and beyond.
RANK_BUCKETS = (10, 100, 1000)
EXIT_INTERRUPTED = 130


def add_score_parser(subparsers: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``score`` and its options."""
    from gpt2_studio.cli.generate import DEFAULT_MODEL, add_threads_option

    p = subparsers.add_parser(
        "score",
        parents=parents,
        help="score a text: perplexity, and each token's log-prob and rank",
        description="Score a text (FILE, or standard input) with a GPT-2 model: its perplexity and, per "
        "token, the natural-log probability the model gave it after all the text before it, its rank "
        "among the model's choices (1 = the top choice) and the model's top choices. Line ends are kept "
        "as they are, so offsets point into the input as given.",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="the text to score (standard input without it)")
    p.add_argument(
        "--model", default=DEFAULT_MODEL, help="model folder, catalog name or repo id (default: gpt2)"
    )
    p.add_argument(
        "--top", type=int, default=10, metavar="N", help="top choices per token, 0–100 (default 10)"
    )
    p.add_argument(
        "--stride",
        type=int,
        metavar="N",
        help="for texts longer than the model's window: tokens between window starts (default: half "
        "the window, so each token is scored with at least half a window of context)",
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "int8", "fp16"),
        default="auto",
        help="auto: fp16 on CUDA, int8 weights on CPU; fp32 matches transformers",
    )
    add_threads_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object with every token")
    p.set_defaults(handler=run_score)


def _read(args: argparse.Namespace, stdin: TextIO | None) -> str:
    if args.file is not None:
        path = Path(args.file).expanduser()
        return read_text_file(path, f"the file {path}", keep_line_ends=True)
    if stdin is None or stdin.isatty():
        raise SettingsError("no text: name a FILE or pipe the text into standard input.")
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # a text stream handed in by a caller (tests)
        from gpt2_studio.cli.generate import _BytesOf

        return read_text_stream(_BytesOf(stdin.read()), "standard input", keep_line_ends=True)
    return read_text_stream(buffer, "standard input", keep_line_ends=True)


def summary(scores: Scores) -> list[str]:
    """The human-readable lines: perplexity, GLTR's rank buckets, mean surprisal, the least expected."""
    tokens = scores.tokens
    lines = [f"Perplexity {scores.perplexity:.2f} over {len(tokens)} tokens ({scores.windows} window(s))."]
    counts = []
    low = 0
    for high in RANK_BUCKETS:
        n = sum(1 for t in tokens if low < t.rank <= high)
        counts.append(f"top {high:,}: {n} ({100 * n / len(tokens):.0f}%)")
        low = high
    beyond = sum(1 for t in tokens if t.rank > RANK_BUCKETS[-1])
    counts.append(f"beyond: {beyond} ({100 * beyond / len(tokens):.0f}%)")
    lines.append("Ranks: " + ", ".join(counts) + ".")
    mean_bits = sum(t.surprisal_bits for t in tokens) / len(tokens)
    lines.append(f"Mean surprisal {mean_bits:.2f} bits per token.")
    worst = sorted((t for t in tokens if t.text.strip()), key=lambda t: t.logprob)[:5]
    if worst:
        shown = ", ".join(
            f"{t.text.strip()!r} at {t.offset} ({t.surprisal_bits:.1f} bits, rank {t.rank:,})" for t in worst
        )
        lines.append(f"Least expected: {shown}.")
    return lines


def as_json(model: str, scores: Scores) -> dict[str, Any]:
    """The JSON object of the README: model, perplexity, and each token with offset, log-prob, rank, top."""
    return {
        "model": model,
        "perplexity": scores.perplexity,
        "windows": scores.windows,
        "tokens": [
            {
                "text": t.text,
                "offset": t.offset,
                "logprob": t.logprob,
                "rank": t.rank,
                "top": [{"text": c.text, "logprob": c.logprob} for c in t.top],
            }
            for t in scores.tokens
        ],
    }


def run_score(args: argparse.Namespace, stdout: TextIO, stdin: TextIO | None) -> int:
    """Load the model, score the text, print the summary or the JSON."""
    from gpt2_studio.cli.generate import _load, write_json
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.generation.scoring import MAX_TOP

    if not 0 <= args.top <= MAX_TOP:
        raise SettingsError(f"--top must be between 0 and {MAX_TOP}, not {args.top}.")
    if args.stride is not None and args.stride < 1:
        raise SettingsError(f"--stride must be at least 1, not {args.stride}.")
    text = _read(args, stdin)
    if not text:
        raise SettingsError("nothing to score: the text is empty.")
    model = _load(args)
    if args.stride is not None and args.stride > model.n_positions:
        raise SettingsError(
            f"--stride must be at most the model's window of {model.n_positions} tokens, not {args.stride}."
        )
    engine = Engine(model)
    try:
        scores = engine.score(text, top=args.top, stride=args.stride)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    if math.isnan(scores.perplexity):  # not reached: any non-empty text has a token
        raise SettingsError("nothing to score: the text has no tokens.")
    if args.json:
        write_json(as_json(model.name, scores), stdout)
    else:
        stdout.write("\n".join(summary(scores)) + "\n")
    return 0

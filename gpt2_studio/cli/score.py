"""``gpt2-studio score``: how likely GPT-2 finds a text, token by token (perplexity, ranks, top choices)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gpt2_studio.core.documents.text_input import read_text_file, read_text_stream
from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.settings import DEFAULT_RANK_THRESHOLDS, RANK_THRESHOLD_RANGE

if TYPE_CHECKING:
    from gpt2_studio.core.generation.engine_protocol import GenerationEngine
    from gpt2_studio.core.generation.scoring import Scores

# GLTR's rank buckets: the model's top 10, top 100, top 1,000, and beyond.
RANK_BUCKETS = DEFAULT_RANK_THRESHOLDS
EXIT_INTERRUPTED = 130
SURPRISING_SHOWN = 5  # the most surprising tokens the summary names


def add_score_parser(subparsers: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``score`` and its options."""
    from gpt2_studio.cli.generate import add_server_options, add_threads_option

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
        "--model",
        help="model folder, catalog name or repo id (default: gpt2); with --server, the model the server "
        "serves (default: its only one)",
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
    add_server_options(p, "score")
    p.add_argument(
        "--thresholds",
        metavar="A,B,C",
        help="the summary's rank buckets: top A, top B, top C and beyond (default: the thresholds set "
        "in the editor's Likelihood Lens, or 10,100,1000)",
    )
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


def parse_thresholds(text: str) -> tuple[int, ...]:
    """--thresholds "10,100,1000": three increasing whole numbers; SettingsError (one sentence) if not."""
    low, high = RANK_THRESHOLD_RANGE
    parts = [part.strip().replace("_", "") for part in text.split(",")]
    if len(parts) == len(DEFAULT_RANK_THRESHOLDS) and all(
        part.isdigit() and part.isascii() for part in parts
    ):
        values = tuple(int(part) for part in parts)
        if all(low <= v <= high for v in values) and all(
            a < b for a, b in zip(values, values[1:], strict=False)
        ):
            return values
    raise SettingsError(
        f"--thresholds must be three increasing whole numbers from {low} to {high:,} separated by "
        f"commas (such as 10,100,1000), not {text!r}."
    )


def saved_thresholds() -> tuple[tuple[int, ...], str]:
    """The rank thresholds set in the editor (its settings file, only read) and where they came from.

    A missing or unusable file or value gives GLTR's defaults: scoring never fails for the editor's
    settings (and never moves or rewrites the file, as the editor does with a damaged one).
    """
    from gpt2_studio.core.jsonio import JsonFileError, read_json_file
    from gpt2_studio.core.settings import settings_path

    try:
        data = read_json_file(settings_path())
        values = data.get("rank_thresholds") if isinstance(data, dict) else None
        if isinstance(values, list) and all(type(v) is int for v in values):
            return parse_thresholds(",".join(str(v) for v in values)), "the buckets set in the editor"
    except (OSError, JsonFileError, SettingsError):
        pass
    return DEFAULT_RANK_THRESHOLDS, "GLTR's buckets"


def bucket_labels(thresholds: tuple[int, ...]) -> list[str]:
    """The buckets' names: "top 10", "11–100", "101–1,000", "beyond 1,000"."""
    labels = [f"top {thresholds[0]:,}"]
    labels += [f"{a + 1:,}–{b:,}" for a, b in zip(thresholds, thresholds[1:], strict=False)]
    return [*labels, f"beyond {thresholds[-1]:,}"]


def summary(
    scores: Scores, thresholds: tuple[int, ...] = RANK_BUCKETS, source: str = "GLTR's buckets"
) -> list[str]:
    """The human-readable lines: perplexity, mean surprisal, tokens per rank bucket, the most surprising.

    source names where the thresholds came from ("GLTR's buckets", "the buckets set in the editor").
    """
    tokens = scores.tokens
    count = len(tokens)
    windows = f"{scores.windows} window{'s' if scores.windows != 1 else ''}"
    mean_bits = sum(t.surprisal_bits for t in tokens) / count
    lines = [
        f"Perplexity {scores.perplexity:.2f} over {count:,} tokens ({windows}); "
        f"mean surprisal {mean_bits:.2f} bits per token.",
        f"Tokens by rank (1 = the model's top choice), in {source} "
        f"({', '.join(f'{t:,}' for t in thresholds)}):",
    ]
    counts = [0] * (len(thresholds) + 1)
    for token in tokens:
        counts[next((i for i, high in enumerate(thresholds) if token.rank <= high), len(thresholds))] += 1
    labels = bucket_labels(thresholds)
    width = max(len(label) for label in labels)
    digits = len(f"{count:,}")
    for label, n in zip(labels, counts, strict=True):
        lines.append(f"  {label:<{width}}  {n:>{digits},} tokens  {100 * n / count:5.1f}%")
    worst = sorted((t for t in tokens if t.text.strip()), key=lambda t: t.logprob)[:SURPRISING_SHOWN]
    if worst:
        lines.append("Most surprising:")
        lines.extend(
            f"  {t.text.strip()!r} at character {t.offset:,}: {t.surprisal_bits:.1f} bits, rank {t.rank:,}"
            for t in worst
        )
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
    """Load the model (or connect to the server), score the text, print the summary or the JSON."""
    from gpt2_studio.cli.generate import _load, _no_server_options, write_json
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.generation.scoring import MAX_TOP

    if not 0 <= args.top <= MAX_TOP:
        raise SettingsError(f"--top must be between 0 and {MAX_TOP}, not {args.top}.")
    if args.stride is not None and args.stride < 1:
        raise SettingsError(f"--stride must be at least 1, not {args.stride}.")
    if args.thresholds is not None:
        thresholds, source = parse_thresholds(args.thresholds), "the buckets of --thresholds"
    else:
        thresholds, source = saved_thresholds()
    text = _read(args, stdin)
    if not text:
        raise SettingsError("nothing to score: the text is empty.")
    engine: GenerationEngine
    if args.server is not None:
        from gpt2_studio.cli.remote import connect_remote

        engine = connect_remote(args)
    else:
        _no_server_options(args)
        engine = Engine(_load(args))
    model = engine.model
    try:
        if args.stride is not None and args.stride > model.n_positions:
            window = model.n_positions
            raise SettingsError(
                f"--stride must be at most the model's window of {window} tokens, not {args.stride}."
            )
        scores = engine.score(text, top=args.top, stride=args.stride)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ValueError as error:  # a server's window leaves a little less room for --stride
        raise SettingsError(f"--{error}.") from None
    finally:
        close = getattr(engine, "close", None)  # a remote engine's connections
        if close is not None:
            close()
    if math.isnan(scores.perplexity):  # a one-token text on a server, which never scores the first token
        raise SettingsError("nothing to score: the text has no token after its first.")
    if args.json:
        write_json(as_json(model.name, scores), stdout)
    else:
        stdout.write("\n".join(summary(scores, thresholds, source)) + "\n")
    return 0

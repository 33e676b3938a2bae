"""``gpt2-studio provenance FILE [--json]``: the spans of model-written text recorded for FILE.

Offsets are characters of the file's decoded text, line ends as they are in the file. Exits 1
with one line when FILE has no record, or its record does not match the file's text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from gpt2_studio.core.errors import StudioError


class ProvenanceMissing(StudioError):
    """FILE has no usable record, or its record is for another text."""


def add_provenance_parser(
    subparsers: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
) -> None:
    """Register ``provenance`` and its options."""
    p = subparsers.add_parser(
        "provenance",
        parents=parents,
        help="list the model-written spans recorded for a file, and their share of it",
        description="Print the spans of FILE that a model wrote in GPT-2 Studio (character offsets into "
        "the file's text, the text, and the model, checkpoint, settings, seed and time of each) and the "
        "share of the text they make up. Exits 1 when FILE has no record or was changed since.",
    )
    p.add_argument("file", metavar="FILE", help="a document saved in GPT-2 Studio")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run_provenance)


def run_provenance(args: argparse.Namespace, stdout: TextIO, stdin: TextIO | None) -> int:
    """Print FILE's spans and share; raises ProvenanceMissing (exit 1) when there is nothing to print."""
    from gpt2_studio.core.documents.text_files import read_text_file
    from gpt2_studio.core.provenance.export import report
    from gpt2_studio.core.provenance.spans import Span
    from gpt2_studio.core.provenance.store import kept_encoding, load_provenance, provenance_folder

    path = Path(args.file)
    folder = provenance_folder()
    loaded_text = read_text_file(path, encoding=kept_encoding(path, folder))
    text = loaded_text.text
    loaded = load_provenance(path, text, folder)
    if not loaded.found:
        raise ProvenanceMissing(
            f"{path} has no provenance record: GPT-2 Studio has not saved model text in it "
            "(a file saved with no model text keeps none)."
        )
    if loaded.notices and not loaded.provenance.records:
        raise ProvenanceMissing(loaded.notices[0])
    if not loaded.matched:
        raise ProvenanceMissing(
            f"The provenance record of {path} does not match the file: it was changed outside "
            "GPT-2 Studio (open it there to re-anchor the spans)."
        )
    provenance = loaded.provenance
    # Offsets into the file's own text: a "\r\n" line end is two characters there.
    newline = loaded_text.newline if loaded_text.newline in ("\r\n", "\r") else "\n"
    file_text = text.replace("\n", newline) if newline != "\n" else text
    extra = len(newline) - 1
    if extra:
        moved, lines, at = [], 0, 0
        for start, end, record_id in provenance.spans:
            lines += text.count("\n", at, start)
            inside = text.count("\n", start, end)
            moved.append(Span(start + lines, end + lines + inside, record_id))
            lines += inside
            at = end
        provenance.spans = moved
    text = file_text
    data = report(text, provenance, str(path))
    if args.json:
        for item in data["spans"]:
            item["text"] = text[item["start"] : item["end"]]
        stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return 0
    share = data["share"]
    stdout.write(
        f"{path}: {share['model_chars']:,} of {share['total_chars']:,} characters written by a model "
        f"({share['model_percent']}%), {share['pasted_chars']:,} pasted ({share['pasted_percent']}%)\n"
    )
    for start, end, record_id in provenance.spans:
        record = provenance.records[record_id]
        described = record.describe().replace("\n", "; ")
        stdout.write(f"{start}-{end} {record.kind} {json.dumps(text[start:end], ensure_ascii=False)}\n")
        stdout.write(f"    {described}\n")
    return 0

"""Copies of a document with model text marked (Markdown, HTML) and a short JSON report.

Model text is wrapped in ``<mark>`` (Markdown allows inline HTML, so both show it highlighted), with the
record's id and description in its title; pasted text in ``<span class="pasted">``. Everything else is
the document's text, escaped.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from gpt2_studio.core.provenance.store import Provenance

_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]()#+-.!|<>~"})


def _escape_markdown(text: str) -> str:
    # Escaped per line start too: a "1." or "#" at a line's start would become a list or a heading.
    return text.translate(_MARKDOWN_SPECIAL)


def _marked(text: str, provenance: Provenance, escape: Any, line_break: str) -> str:
    def body(piece: str) -> str:  # the document's line breaks; never inside an attribute
        escaped: str = escape(piece)
        return escaped.replace("\n", line_break)

    out: list[str] = []
    at = 0
    for start, end, record_id in provenance.spans:
        out.append(body(text[at:start]))
        record = provenance.records[record_id]
        # A record's description has line breaks: in an attribute they are character references.
        title = html.escape(f"{record_id}: {record.describe()}", quote=True).replace("\n", "&#10;")
        piece = body(text[start:end])
        if record.kind == "model":
            out.append(f'<mark class="model" data-record="{record_id}" title="{title}">{piece}</mark>')
        else:
            out.append(f'<span class="pasted" data-record="{record_id}" title="{title}">{piece}</span>')
        at = end
    out.append(body(text[at:]))
    return "".join(out)


def to_markdown(text: str, provenance: Provenance) -> str:
    """The text as Markdown (special characters escaped, line breaks kept), model text in <mark>."""
    return _marked(text, provenance, _escape_markdown, "  \n")


def to_html(text: str, provenance: Provenance, title: str = "Document") -> str:
    """A standalone HTML page of the text, model text highlighted, pasted text underlined."""
    body = _marked(text, provenance, html.escape, "<br>\n")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>\n<style>"
        "body{font-family:serif;max-width:42em;margin:2em auto;line-height:1.5}"
        "mark.model{background:#fff2a8;color:inherit}"
        "span.pasted{text-decoration:underline dotted}"
        "@media (prefers-color-scheme:dark){body{background:#1e1e1e;color:#ddd}"
        "mark.model{background:#5a4a00}}"
        "</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )


def report(text: str, provenance: Provenance, document: str) -> dict[str, Any]:
    """The JSON report: the document, the share of model and pasted text, the models and settings used,
    and every span (character offsets and record id)."""
    used = sorted({span.record for span in provenance.spans})
    models = sorted(
        {
            (r.model, r.checkpoint, r.device, r.precision)
            for r in (provenance.records[rid] for rid in used)
            if r.kind == "model"
        }
    )
    return {
        "document": document,
        "share": provenance.share(text),
        "models": [{"model": m, "checkpoint": c, "device": d, "precision": p} for m, c, d, p in models],
        "records": {rid: provenance.records[rid].to_dict() for rid in used},
        "spans": [{"start": s, "end": e, "record": r} for s, e, r in provenance.spans],
    }


def report_json(text: str, provenance: Provenance, document: str) -> str:
    """report() as indented JSON text."""
    return json.dumps(report(text, provenance, document), indent=2, ensure_ascii=False) + "\n"


def export_formats() -> dict[str, str]:
    """File-dialog filters by format name."""
    return {"text": "Plain text (*.txt)", "markdown": "Markdown (*.md)", "html": "HTML (*.html *.htm)"}


def format_of(path: Path) -> str:
    """The export format a file name asks for: "markdown", "html" or "text"."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".html", ".htm"):
        return "html"
    return "text"


def report_path(path: Path) -> Path:
    """Where the JSON report of an export goes: beside it, ``<name>.provenance.json``."""
    return path.with_name(f"{path.name}.provenance.json")


def export_document(
    path: Path, text: str, provenance: Provenance, *, encoding: str = "utf-8", newline: str = "\n"
) -> Path:
    """Write ``text`` to ``path`` as its suffix asks (plain text as the document is saved; Markdown or
    HTML with model text marked, UTF-8) and the JSON report beside it; returns the report's path.

    Raises DocumentError (one sentence) when either cannot be written.
    """
    from gpt2_studio.core.documents.text_files import write_text_file

    kind = format_of(path)
    if kind == "markdown":
        write_text_file(path, to_markdown(text, provenance))
    elif kind == "html":
        write_text_file(path, to_html(text, provenance, path.stem))
    else:
        write_text_file(path, text, encoding=encoding, newline=newline)
    target = report_path(path)
    write_text_file(target, report_json(text, provenance, path.name))
    return target

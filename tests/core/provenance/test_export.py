"""Marked copies and the JSON report."""

from __future__ import annotations

import json

from gpt2_studio.core.provenance.export import report_json, to_html, to_markdown
from gpt2_studio.core.provenance.records import Record
from gpt2_studio.core.provenance.spans import Span
from gpt2_studio.core.provenance.store import Provenance

MODEL = Record(kind="model", time="t", model="tiny", device="cpu", precision="fp32", action="suggestion")
PASTED = Record(kind="pasted", time="t", action="paste")
TEXT = "Mine <b>. Model *text*.\nPasted"
KEPT = Provenance(
    [Span(9, 23, MODEL.record_id), Span(24, 30, PASTED.record_id)],
    {MODEL.record_id: MODEL, PASTED.record_id: PASTED},
)


def test_markdown_marks_model_text_and_escapes_the_rest() -> None:
    out = to_markdown(TEXT, KEPT)
    assert out.startswith("Mine \\<b\\>\\.")
    assert f'<mark class="model" data-record="{MODEL.record_id}"' in out
    assert "Model \\*text\\*\\.</mark>" in out
    assert '<span class="pasted"' in out
    assert out.endswith("Pasted</span>")


def test_html_is_escaped_and_marked() -> None:
    out = to_html(TEXT, KEPT, "essay")
    assert "Mine &lt;b&gt;." in out
    assert "> Model *text*.</mark><br>\n<span" in out


def test_report_gives_share_models_and_spans() -> None:
    data = json.loads(report_json(TEXT, KEPT, "essay.txt"))
    assert data["share"]["model_chars"] == 14
    assert data["share"]["pasted_chars"] == 6
    assert data["models"] == [{"model": "tiny", "checkpoint": "", "device": "cpu", "precision": "fp32"}]
    assert data["spans"][0] == {"start": 9, "end": 23, "record": MODEL.record_id}


def test_a_records_line_breaks_stay_line_breaks_inside_the_title() -> None:
    from html.parser import HTMLParser

    sampled = Record(
        kind="model", time="t", model="tiny", device="cpu", precision="fp32", action="suggestion",
        sampling={"temperature": 0.7, "top_k": 40}, seed=3,
    )  # fmt: skip
    assert "\n" in sampled.describe()  # the case that matters
    kept = Provenance([Span(0, 4, sampled.record_id)], {sampled.record_id: sampled})
    text = "Line\nnext"

    class Titles(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.titles: list[str] = []

        def handle_starttag(self, tag, attrs) -> None:
            self.titles += [value or "" for name, value in attrs if name == "title"]

    for out, line_break in ((to_html(text, kept), "<br>\n"), (to_markdown(text, kept), "  \n")):
        assert "Line</mark>" + line_break + "next" in out  # the document's own break is kept
        parser = Titles()
        parser.feed(out)
        assert parser.titles == [f"{sampled.record_id}: {sampled.describe()}"]

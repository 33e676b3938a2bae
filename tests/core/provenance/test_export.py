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

"""The entry in the data folder: written atomically, verified by content hash, re-anchored when the file
changed elsewhere, and never touching the document's bytes."""

from __future__ import annotations

import json
from pathlib import Path

from gpt2_studio.core.provenance.reanchor import reanchor
from gpt2_studio.core.provenance.records import Record, checkpoint_hash
from gpt2_studio.core.provenance.spans import Span
from gpt2_studio.core.provenance.store import (
    Provenance,
    content_hash,
    entry_path,
    load_provenance,
    load_recovery_provenance,
    save_provenance,
    save_recovery_provenance,
)

MODEL = Record(
    kind="model",
    time="2026-12-02T13:00:00Z",
    model="tiny",
    checkpoint="abc",
    device="cpu",
    precision="fp32",
    sampling={"temperature": 0.8, "top_k": 40},
    seed=7,
    action="suggestion",
)
PASTED = Record(kind="pasted", time="2026-12-02T13:01:00Z", action="paste")


def provenance(*spans: Span) -> Provenance:
    return Provenance(list(spans), {MODEL.record_id: MODEL, PASTED.record_id: PASTED})


def test_saved_and_loaded_back_when_the_text_matches(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    document = tmp_path / "docs" / "essay.txt"
    text = "I wrote this. The model wrote this. Pasted."
    document.write_text(text)
    before = document.read_bytes()
    kept = provenance(Span(14, 35, MODEL.record_id), Span(36, 43, PASTED.record_id))
    save_provenance(document, text, kept, tmp_path / "data")
    assert document.read_bytes() == before
    assert [p.name for p in document.parent.iterdir()] == ["essay.txt"]  # nothing beside it
    loaded = load_provenance(document, text, tmp_path / "data")
    assert loaded.matched
    assert loaded.found
    assert loaded.notices == []
    assert loaded.provenance.spans == kept.spans
    assert loaded.provenance.records[MODEL.record_id] == MODEL
    assert loaded.provenance.share(text)["model_chars"] == 21
    entry = json.loads(entry_path(document, tmp_path / "data").read_text())
    assert entry["content_sha256"] == content_hash(text)
    assert entry["spans"][0][3] == "The model wrote this."
    assert entry_path(document, tmp_path / "data").stat().st_mode & 0o077 == 0


def test_edited_elsewhere_spans_move_or_drop_with_a_notice(tmp_path: Path) -> None:
    document = tmp_path / "essay.txt"
    text = "Intro. Model one. Middle. Model two. End."
    kept = provenance(Span(7, 17, MODEL.record_id), Span(26, 36, MODEL.record_id))
    save_provenance(document, text, kept, tmp_path)
    edited = "A new first line.\nIntro. Model one. Middle. Model 2. End."
    loaded = load_provenance(document, edited, tmp_path)
    assert not loaded.matched
    assert loaded.found
    assert loaded.provenance.spans == [Span(25, 35, MODEL.record_id)]
    assert edited[25:35] == "Model one."
    assert len(loaded.notices) == 1
    assert "1 model span(s) (10 characters)" in loaded.notices[0]


def test_no_entry_a_damaged_one_and_anothers(tmp_path: Path) -> None:
    document = tmp_path / "a.txt"
    assert not load_provenance(document, "x", tmp_path).found
    entry_path(document, tmp_path).write_text("{not json")
    loaded = load_provenance(document, "x", tmp_path)
    assert loaded.found
    assert loaded.provenance.spans == []
    assert "not used" in loaded.notices[0]
    # An entry copied from another document's name is not this document's.
    other = tmp_path / "b.txt"
    save_provenance(other, "hello", provenance(Span(0, 5, MODEL.record_id)), tmp_path)
    entry_path(other, tmp_path).replace(entry_path(document, tmp_path))
    assert not load_provenance(document, "hello", tmp_path).found


def test_a_span_outside_the_text_is_damage(tmp_path: Path) -> None:
    document = tmp_path / "a.txt"
    save_provenance(document, "hello", provenance(Span(0, 5, MODEL.record_id)), tmp_path)
    path = entry_path(document, tmp_path)
    entry = json.loads(path.read_text())
    entry["spans"][0][1] = 50
    path.write_text(json.dumps(entry))
    loaded = load_provenance(document, "hello", tmp_path)
    assert loaded.provenance.spans == []
    assert "damaged span" in loaded.notices[0]


def test_nothing_owned_removes_the_entry(tmp_path: Path) -> None:
    document = tmp_path / "a.txt"
    save_provenance(document, "hello", provenance(Span(0, 5, MODEL.record_id)), tmp_path)
    save_provenance(document, "hello", Provenance(), tmp_path)
    assert not entry_path(document, tmp_path).exists()


def test_recovery_entries(tmp_path: Path) -> None:
    kept = provenance(Span(0, 3, MODEL.record_id))
    save_recovery_provenance("doc1", "abc def", kept, tmp_path)
    assert load_recovery_provenance("doc1", "abc def", tmp_path).provenance.spans == kept.spans
    assert not load_recovery_provenance("doc2", "abc def", tmp_path).found


def test_reanchor_prefers_the_nearest_copy_and_keeps_order() -> None:
    text = "cat dog cat dog cat"
    kept = [(Span(8, 11, "m"), "cat"), (Span(12, 15, "m"), "dog")]
    assert reanchor(kept, text).spans == [Span(8, 11, "m"), Span(12, 15, "m")]
    shifted = "XX" + text
    assert reanchor(kept, shifted).spans == [Span(10, 13, "m"), Span(14, 17, "m")]
    gone = reanchor(kept, "cat cat cat")
    assert gone.spans == [Span(8, 11, "m")]
    assert gone.dropped == [(Span(12, 15, "m"), "dog")]


def test_checkpoint_hash_reads_content_not_names_of_folders(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        (folder / "config.json").write_text('{"n_layer": 2}')
        header = b'{"a":{}}'
        (folder / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 16)
    assert checkpoint_hash(one) == checkpoint_hash(two) != ""
    (two / "config.json").write_text('{"n_layer": 3}')
    assert checkpoint_hash(one) != checkpoint_hash(two)
    assert checkpoint_hash(tmp_path / "missing") != ""  # an empty folder hashes; unreadable gives ""

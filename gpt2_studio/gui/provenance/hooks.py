"""The calls that the places where text enters the document make, so that the tracker knows whose it is.

Each is a no-op on an editor without a tracker (the Memory box, a preset's fields, tests of other parts).
Model text: ``with model_insertion(editor, "suggestion"): insert_as_undo_step(...)``. Paste: the text is
"pasted" unless the clipboard came from this document, whose copies carry their spans (private MIME type).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.provenance.offsets import Offsets
from gpt2_studio.core.provenance.records import Record, now_iso, pasted_record
from gpt2_studio.core.provenance.spans import Piece, Span
from gpt2_studio.core.provenance.store import Provenance, provenance_folder, save_provenance
from gpt2_studio.gui.provenance.tracker import ProvenanceTracker

log = logging.getLogger(__name__)

MIME_TYPE = "application/x-gpt2studio-provenance"
#: A record is reused (and its spans join) when the same model and settings wrote again within this.
REUSE_SECONDS = 600.0


def _record(
    tracker: ProvenanceTracker, action: str, settings: SamplingSettings | dict[str, Any] | None, preset: str
) -> Record:
    model = tracker.model or {}
    if settings is None:
        settings = tracker.settings_source() if tracker.settings_source is not None else None
    sampling = settings.to_dict() if isinstance(settings, SamplingSettings) else dict(settings or {})
    record = Record(
        kind="model",
        time=now_iso(),
        model=model.get("name", ""),
        checkpoint=model.get("checkpoint", ""),
        device=model.get("device", ""),
        precision=model.get("precision", ""),
        sampling=sampling,
        seed=sampling.get("seed"),
        preset=preset,
        action=action,
    )
    last = tracker.last_record
    now = time.monotonic()
    # Words accepted one by one from a suggestion are one generation: one record, one span.
    if last is not None and now - last[0] < REUSE_SECONDS and replace(last[1], time=record.time) == record:
        return last[1]
    tracker.last_record = (now, record)
    return record


@contextlib.contextmanager
def model_insertion(
    editor: QPlainTextEdit,
    action: str,
    *,
    settings: SamplingSettings | dict[str, Any] | None = None,
    preset: str = "",
    pieces: Sequence[tuple[int, int]] | None = None,
) -> Iterator[None]:
    """Within: what is inserted is model text (all of it, or the given [start, end) pieces of it, in
    Qt positions relative to the insertion). settings None: the editor's current sampling settings; a
    dict: these (empty when none apply, as for a word swap, which ranks without sampling)."""
    tracker = ProvenanceTracker.of(editor)
    if tracker is None:
        yield
        return
    record = _record(tracker, action, settings, preset)
    if pieces is None:
        with tracker.inserting(record):
            yield
        return
    record_id = tracker.add_record(record)
    with tracker.inserting(None, [(start, end, record_id) for start, end in pieces]):
        yield


@contextlib.contextmanager
def pasting(editor: QPlainTextEdit, source: QMimeData) -> Iterator[None]:
    """Within: the pasted text is "pasted", or keeps its spans when it was copied from this document."""
    tracker = ProvenanceTracker.of(editor)
    if tracker is None:
        yield
        return
    carried = _carried(tracker, source)
    length = len(source.text().encode("utf-16-le")) // 2
    with tracker.inserting(pasted_record() if carried is None else None, carried, length):
        yield


def _carried(tracker: ProvenanceTracker, source: QMimeData) -> list[Piece] | None:
    if not source.hasFormat(MIME_TYPE):
        return None
    try:
        data: Any = json.loads(bytes(source.data(MIME_TYPE).data()).decode("utf-8"))
        if data.get("document") != tracker.document_id or data.get("text_length") != len(source.text()):
            return None
        pieces: list[Piece] = []
        last = 0
        for start, end, record_id in data["pieces"]:
            if not last <= int(start) < int(end) <= data["text_length"] * 2:  # UTF-16: at most 2 a char
                return None
            last = int(end)
            if record_id not in tracker.records:
                tracker.records[record_id] = Record.from_dict(data["records"][record_id])
            pieces.append((int(start), int(end), str(record_id)))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return pieces


def add_spans_to_mime(editor: QPlainTextEdit, data: QMimeData, cursor: QTextCursor) -> None:
    """Put the selection's spans (relative Qt positions) and their records on a copy of it."""
    tracker = ProvenanceTracker.of(editor)
    if tracker is None or not cursor.hasSelection():
        return
    start, end = cursor.selectionStart(), cursor.selectionEnd()
    pieces = [
        [max(s, start) - start, min(e, end) - start, r] for s, e, r in tracker.table.overlapping(start, end)
    ]
    used = {piece[2] for piece in pieces}
    payload = {
        "document": tracker.document_id,
        "text_length": len(data.text()),
        "pieces": pieces,
        "records": {rid: tracker.records[rid].to_dict() for rid in used},
    }
    data.setData(MIME_TYPE, QByteArray(json.dumps(payload).encode("utf-8")))


@contextlib.contextmanager
def exact_edits(editor: QPlainTextEdit) -> Iterator[Callable[[int, int, int], None]]:
    """Within: edits in one edit block told one by one (see ProvenanceTracker.exact_edits)."""
    tracker = ProvenanceTracker.of(editor)
    if tracker is None:
        yield lambda _position, _removed, _added: None
        return
    with tracker.exact_edits() as tell:
        yield tell


def samples_file_written(
    editor: QPlainTextEdit,
    path: Path,
    text: str,
    pieces: Sequence[tuple[int, int]],
    *,
    settings: SamplingSettings,
    preset: str,
) -> None:
    """Samples saved straight to a file: keep the file's entry (pieces in Qt positions of ``text``).

    A failure to write the entry is logged; the samples are saved either way.
    """
    tracker = ProvenanceTracker.of(editor)
    if tracker is None:
        return
    record = _record(tracker, "samples", settings, preset)
    offsets = Offsets(text)
    spans = [Span(offsets.to_chars(a), offsets.to_chars(b), record.record_id) for a, b in pieces]
    try:
        save_provenance(path, text, Provenance(spans, {record.record_id: record}), provenance_folder())
    except OSError as error:
        log.warning("Could not keep the provenance of %s: %s", path, error)

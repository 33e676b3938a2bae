"""The provenance entry of a document, kept in the user's data folder, never in or beside the document.

Like the Memory and Author's note (core/documents/context_notes.py), one JSON file per document, named by
a hash of its resolved path, with the path stored inside and checked. The entry holds the text's SHA-256
(of its UTF-8, line ends as "\\n", as the app reads it), the records once per id, and each span as
character offsets with its text; a file whose content hash differs was edited elsewhere, and its spans
are re-anchored by their texts (reanchor.py). The document's own bytes are never touched. Entries are
read through jsonio's bounded reader and written atomically, private to the user.

Recovery copies (unsaved work) keep their entry in the recovery folder's ``provenance/<doc id>.json``
(RecoveryStore.discard removes it with the copy), so a restored copy gets its spans back.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.documents.savefile import atomic_write_bytes
from gpt2_studio.core.jsonio import JsonFileError, read_json_file
from gpt2_studio.core.provenance.reanchor import reanchor
from gpt2_studio.core.provenance.records import Record
from gpt2_studio.core.provenance.spans import Span, SpanTable, share

VERSION = 1
SUFFIX = ".json"
#: An entry's file: span texts (at most the document) escaped, the records, the offsets.
MAX_FILE_BYTES = 256 * 1024 * 1024


class ProvenanceError(ValueError):
    """An entry that cannot be used: one sentence saying why."""


@dataclass
class Provenance:
    """A text's spans (character offsets) and the records they name."""

    spans: list[Span] = field(default_factory=list)
    records: dict[str, Record] = field(default_factory=dict)

    def kinds(self) -> dict[str, str]:
        """Each record id's kind."""
        return {record_id: record.kind for record_id, record in self.records.items()}

    def share(self, text: str) -> dict[str, float | int]:
        """Model and pasted characters and percent of ``text`` (see spans.share)."""
        return share(SpanTable(self.spans).lengths(), self.kinds(), len(text))

    def is_empty(self) -> bool:
        """True when no character is owned."""
        return not self.spans


@dataclass
class Loaded:
    """What was found for a document: its provenance, whether the text matched, and notices."""

    provenance: Provenance
    matched: bool  # the content hash matched (False: re-anchored, or nothing kept)
    found: bool  # an entry exists for the document
    notices: list[str] = field(default_factory=list)


def content_hash(text: str) -> str:
    """SHA-256 of the text's UTF-8 (a lone surrogate kept as it is)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def provenance_folder() -> Path:
    """Where the entries live: a folder in the user's data folder."""
    return paths.data_dir() / "provenance"


def _resolved(document: Path) -> str:
    return str(Path(os.path.abspath(document)).resolve())


def entry_path(document: Path, folder: Path) -> Path:
    """The entry's file for a document."""
    digest = hashlib.sha256(os.fsencode(_resolved(document))).hexdigest()[:40]
    return Path(folder) / f"{digest}{SUFFIX}"


def recovery_entry_path(doc_id: str, folder: Path) -> Path:
    """The entry kept with the recovery copy ``doc_id`` (folder: the recovery folder's "provenance")."""
    return Path(folder) / f"{doc_id}{SUFFIX}"


def to_record(provenance: Provenance, text: str, document: str, encoding: str = "utf-8") -> dict[str, Any]:
    """The entry's JSON data for ``text`` (spans in characters; encoding: what the file is saved in)."""
    used = {span.record for span in provenance.spans}
    return {
        "version": VERSION,
        "document": document,
        "encoding": encoding,
        "content_sha256": content_hash(text),
        "length": len(text),
        "records": {rid: provenance.records[rid].to_dict() for rid in sorted(used)},
        "spans": [[s.start, s.end, s.record, text[s.start : s.end]] for s in provenance.spans],
    }


def _write(path: Path, record: dict[str, Any]) -> None:
    data = json.dumps(record, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    if len(data) > MAX_FILE_BYTES:
        raise OSError(errno.EFBIG, f"the provenance record is {len(data):,} bytes, more than can be kept")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data, new_file_mode=0o600)


def save_provenance(
    document: Path, text: str, provenance: Provenance, folder: Path, encoding: str = "utf-8"
) -> None:
    """Keep ``provenance`` for ``document`` whose text is ``text``; nothing owned removes the entry.

    Raises OSError when the folder cannot be written.
    """
    path = entry_path(document, folder)
    if provenance.is_empty():
        path.unlink(missing_ok=True)
        return
    _write(path, to_record(provenance, text, _resolved(document), encoding))


def save_recovery_provenance(doc_id: str, text: str, provenance: Provenance, folder: Path) -> None:
    """Keep ``provenance`` with the recovery copy ``doc_id`` (or remove it when empty)."""
    path = recovery_entry_path(doc_id, folder)
    if provenance.is_empty():
        path.unlink(missing_ok=True)
        return
    _write(path, to_record(provenance, text, f"recovery:{doc_id}"))


def discard_recovery_provenance(doc_id: str, folder: Path) -> None:
    """Remove the entry of the recovery copy ``doc_id`` (if any); raises OSError when it cannot be."""
    recovery_entry_path(doc_id, folder).unlink(missing_ok=True)


def parse_entry(data: Any, what: str) -> tuple[Provenance, list[tuple[Span, str]], str, int]:
    """An entry's provenance, its spans with their texts, content hash and length.

    Raises ProvenanceError (one sentence naming ``what``) when the entry is damaged.
    """
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ProvenanceError(f"{what} is not a version-{VERSION} provenance record.")
    records: dict[str, Record] = {}
    raw_records = data.get("records")
    raw_spans = data.get("spans")
    digest, length = data.get("content_sha256"), data.get("length")
    if not isinstance(raw_records, dict) or not isinstance(raw_spans, list):
        raise ProvenanceError(f"{what} has no records or spans.")
    if not isinstance(digest, str) or not isinstance(length, int):
        raise ProvenanceError(f"{what} has no content hash.")
    try:
        for record_id, value in raw_records.items():
            records[str(record_id)] = Record.from_dict(value)
    except ValueError as error:
        raise ProvenanceError(f"{what}: {error}") from None
    kept: list[tuple[Span, str]] = []
    last = 0
    for item in raw_spans:
        ok = isinstance(item, list) and len(item) == 4
        if ok:
            start, end, record_id, piece = item
            ok = (
                isinstance(start, int)
                and isinstance(end, int)
                and last <= start < end <= length
                and record_id in records
                and isinstance(piece, str)
                and len(piece) == end - start
            )
        if not ok:
            raise ProvenanceError(f"{what} has a damaged span: {str(item)[:80]}.")
        kept.append((Span(start, end, record_id), piece))
        last = end
    return Provenance([span for span, _ in kept], records), kept, digest, length


def _load(path: Path, text: str, what: str, document: str) -> Loaded:
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return Loaded(Provenance(), matched=False, found=False)
    except OSError:
        pass  # unreadable: read_json_file says why
    try:
        data = read_json_file(path, what, max_bytes=MAX_FILE_BYTES)
        if isinstance(data, dict) and data.get("document") != document:
            return Loaded(Provenance(), matched=False, found=False)  # a copied entry, a collision
        provenance, kept, digest, _length = parse_entry(data, what)
    except (JsonFileError, ProvenanceError) as error:
        return Loaded(Provenance(), False, True, [f"{str(error).rstrip('.')}; it is not used."])
    if digest == content_hash(text):
        return Loaded(provenance, matched=True, found=True)
    result = reanchor(kept, text)
    provenance.spans = SpanTable(result.spans).spans()
    notices = []
    if result.dropped:
        chars = sum(len(piece) for _, piece in result.dropped)
        notices.append(
            f"The file was changed outside GPT-2 Studio: {len(result.dropped):,} model span(s) "
            f"({chars:,} characters) no longer match its text and were dropped; "
            f"{len(result.spans):,} were found again."
        )
    elif result.spans:
        notices.append(
            f"The file was changed outside GPT-2 Studio; its {len(result.spans):,} model span(s) "
            "were found again in the new text."
        )
    return Loaded(provenance, matched=False, found=True, notices=notices)


def kept_encoding(document: Path, folder: Path) -> str | None:
    """The encoding the document had when its entry was written (None: no readable entry)."""
    try:
        data = read_json_file(entry_path(document, folder), max_bytes=MAX_FILE_BYTES)
    except JsonFileError:
        return None
    encoding = data.get("encoding", "utf-8") if isinstance(data, dict) else None
    return encoding if isinstance(encoding, str) else None


def load_provenance(document: Path, text: str, folder: Path) -> Loaded:
    """The provenance kept for ``document``, now holding ``text`` (matched, re-anchored or none).

    Never raises for a damaged entry: it is not used, and a notice says so. An entry written for
    another path (a copied entry, a collision) is ignored.
    """
    path = entry_path(document, folder)
    what = f"The provenance record of {Path(document).name} ({path})"
    return _load(path, text, what, _resolved(document))


def load_recovery_provenance(doc_id: str, text: str, folder: Path) -> Loaded:
    """The provenance kept with the recovery copy ``doc_id`` for its ``text``."""
    path = recovery_entry_path(doc_id, folder)
    what = f"The provenance record of the recovered document ({path})"
    return _load(path, text, what, f"recovery:{doc_id}")

"""TEMP stand-in for CONTEXT's per-document Memory and Author's note storage (the lead drops this file).

Same API as issue 11's design: one JSON entry per document in ``folder``, keyed by the resolved path.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from gpt2_studio import paths
from gpt2_studio.core.documents.savefile import atomic_write_bytes
from gpt2_studio.core.jsonio import JsonFileError, read_json_file


@dataclass(frozen=True)
class ContextNotes:
    """A document's Memory, Author's note and the note's depth in lines."""

    memory: str = ""
    authors_note: str = ""
    authors_note_depth: int = 3

    def is_empty(self) -> bool:
        """True when there is no text to keep."""
        return not self.memory and not self.authors_note


def notes_folder() -> Path:
    """Where the app keeps the entries: a folder in the user's data folder."""
    return paths.data_dir() / "context_notes"


def _entry(document: Path, folder: Path) -> Path:
    key = os.fsencode(str(Path(document).resolve()))
    return folder / f"{hashlib.sha256(key).hexdigest()}.json"


def load_context_notes(document: Path, folder: Path) -> tuple[ContextNotes, list[str]]:
    """The notes stored for ``document`` (defaults when none), and one-sentence warnings."""
    entry = _entry(document, folder)
    if not entry.exists():
        return ContextNotes(), []
    try:
        data = read_json_file(entry, f"The notes file {entry}")
        notes = ContextNotes(
            memory=str(data["memory"]),
            authors_note=str(data["authors_note"]),
            authors_note_depth=int(data["authors_note_depth"]),
        )
    except (JsonFileError, KeyError, TypeError, ValueError):
        return ContextNotes(), [f"The Memory and Author's note of {document.name} could not be read."]
    return notes, []


def save_context_notes(document: Path, notes: ContextNotes, folder: Path) -> None:
    """Store ``notes`` for ``document`` atomically (empty notes remove the entry); raises OSError."""
    entry = _entry(document, folder)
    if notes.is_empty():
        entry.unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "path": str(Path(document).resolve()),
        "memory": notes.memory,
        "authors_note": notes.authors_note,
        "authors_note_depth": notes.authors_note_depth,
    }
    atomic_write_bytes(entry, json.dumps(data, ensure_ascii=True).encode("ascii"))


def move_context_notes(old: Path, new: Path, folder: Path) -> None:
    """Save As: the notes of ``old`` become those of ``new``; raises OSError."""
    notes, _warnings = load_context_notes(old, folder)
    save_context_notes(new, notes, folder)
    _entry(old, folder).unlink(missing_ok=True)

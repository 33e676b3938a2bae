"""Each document's Memory and Author's note, kept in the user's data folder, never in or beside the document.

One small JSON file per document, named by a hash of the document's resolved path; the path itself is
stored inside too and checked on load, so a renamed or copied entry (or a hash collision) never gives
one document another's notes. Files are read through jsonio's bounded reader and written atomically.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.documents.savefile import atomic_write_bytes
from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.jsonio import JsonFileError, read_json_file

log = logging.getLogger(__name__)

VERSION = 1
DEFAULT_DEPTH = 3
#: Characters each of Memory and note may have: far more than any model's window holds (≈4 per token).
MAX_TEXT_CHARS = 100_000
#: An entry's file: two texts at the limit, every character escaped (\\ud83d\\ude42 is 12 bytes).
MAX_FILE_BYTES = 4 * 1024 * 1024
SUFFIX = ".json"


@dataclass(frozen=True)
class ContextNotes:
    """A document's Memory, Author's note and the note's depth (lines back from the cursor, ≥ 1).

    Raises SettingsError (one sentence) for a non-text Memory or note, or a depth that is not a whole
    number of at least 1.
    """

    memory: str = ""
    authors_note: str = ""
    authors_note_depth: int = DEFAULT_DEPTH

    def __post_init__(self) -> None:
        for name, label in (("memory", "The Memory"), ("authors_note", "The Author's note")):
            if not isinstance(getattr(self, name), str):
                raise SettingsError(f"{label} must be text, not {type(getattr(self, name)).__name__}.")
        depth = _whole_depth(self.authors_note_depth)
        if depth is None:
            raise SettingsError(
                "The Author's note depth must be a whole number of lines, at least 1, "
                f"not {self.authors_note_depth!r}."
            )
        object.__setattr__(self, "authors_note_depth", depth)

    def is_empty(self) -> bool:
        """True when there is nothing to keep: no Memory, no note, the default depth."""
        return not self.memory and not self.authors_note and self.authors_note_depth == DEFAULT_DEPTH


def _whole_depth(value: object) -> int | None:
    """value as a depth (3 and 3.0 alike, as Prompt takes them); None when it is not one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def notes_folder() -> Path:
    """Where the app keeps the entries: a folder in the user's data folder."""
    return paths.data_dir() / "context_notes"


def _resolved(document: Path) -> str:
    return str(Path(os.path.abspath(document)).resolve())


def _entry(document: Path, folder: Path) -> tuple[Path, str]:
    """The entry's file for a document, and the resolved path stored in it."""
    resolved = _resolved(document)
    digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:40]
    return Path(folder) / f"{digest}{SUFFIX}", resolved


def _text_field(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        return None
    return value


def load_context_notes(document: Path, folder: Path) -> tuple[ContextNotes, list[str]]:
    """The notes kept for ``document`` (empty ones when none are) and warnings, one sentence each.

    A damaged, oversized or wrongly typed entry never raises: what cannot be used starts at its default
    and a warning says so. An entry written for another path (a copied file, a collision) is ignored.
    """
    path, resolved = _entry(document, folder)
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return ContextNotes(), []
    except OSError:
        pass  # unreadable: read_json_file says why
    what = f"The Memory and Author's note file for {Path(document).name} ({path})"
    try:
        data = read_json_file(path, what, max_bytes=MAX_FILE_BYTES)
    except JsonFileError as error:
        return ContextNotes(), [f"{str(error).rstrip('.')}; the document opens without them."]
    if not isinstance(data, dict):
        return ContextNotes(), [f"{what} is not a JSON object; the document opens without them."]
    if data.get("document") != resolved:
        log.info("ignoring %s: it was written for %r, not %r", path, data.get("document"), resolved)
        return ContextNotes(), []
    if data.get("version") != VERSION:
        return ContextNotes(), [
            f"{what} has version {data.get('version')!r}, not {VERSION}; the document opens without them."
        ]
    bad: list[str] = []
    memory = _text_field(data, "memory")
    note = _text_field(data, "authors_note")
    depth = _whole_depth(data.get("authors_note_depth", DEFAULT_DEPTH))
    if memory is None:
        bad.append("memory")
    if note is None:
        bad.append("authors_note")
    if depth is None:
        bad.append("authors_note_depth")
        depth = DEFAULT_DEPTH
    notes = ContextNotes(memory or "", note or "", depth)
    if not bad:
        return notes, []
    return notes, [
        f"{what} has unusable entries ({', '.join(bad)}: not text of at most {MAX_TEXT_CHARS:,} "
        "characters, or a depth that is not a whole number of at least 1); they start at their defaults."
    ]


def save_context_notes(document: Path, notes: ContextNotes, folder: Path) -> None:
    """Keep ``notes`` for ``document`` (atomically); empty notes remove its entry.

    Raises OSError when the folder cannot be written, or (errno EFBIG) when the Memory or note is
    longer than MAX_TEXT_CHARS; the message (strerror) is one sentence.
    """
    path, resolved = _entry(document, folder)
    if notes.is_empty():
        path.unlink(missing_ok=True)
        return
    for label, text in (("Memory", notes.memory), ("Author's note", notes.authors_note)):
        if len(text) > MAX_TEXT_CHARS:
            raise OSError(
                errno.EFBIG,
                f"the {label} is {len(text):,} characters long, more than the {MAX_TEXT_CHARS:,} "
                "that can be kept",
            )
    record = {
        "version": VERSION,
        "document": resolved,
        "memory": notes.memory,
        "authors_note": notes.authors_note,
        "authors_note_depth": notes.authors_note_depth,
    }
    # ASCII escapes keep any text the editor holds (a lone surrogate included) valid UTF-8 JSON.
    data = json.dumps(record, ensure_ascii=True, indent=1).encode("ascii")
    Path(folder).mkdir(parents=True, exist_ok=True)
    # Private: the notes are the user's writing, perhaps about a file only they may read.
    atomic_write_bytes(path, data, new_file_mode=0o600)


def move_context_notes(old: Path, new: Path, folder: Path) -> None:
    """After Save As: the notes of ``old`` become those of ``new`` (whose own, if any, are replaced).

    Raises OSError when the folder cannot be written.
    """
    if _resolved(old) == _resolved(new):
        return
    notes, _warnings = load_context_notes(old, folder)
    save_context_notes(new, notes, folder)
    _entry(old, folder)[0].unlink(missing_ok=True)

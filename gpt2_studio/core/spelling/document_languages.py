"""Each document's spelling language, remembered by the document's resolved path.

One small JSON file in the per-user data folder (`spelling/documents.json`), never beside the document
(the user's folder and file are not touched). Read through jsonio's bounded reader, written atomically;
a damaged file counts as empty (logged) and is replaced on the next choice. Untitled documents use the
default language from the settings.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from gpt2_studio import paths
from gpt2_studio.core.documents.savefile import atomic_write_bytes
from gpt2_studio.core.jsonio import JsonFileError, read_json_file
from gpt2_studio.core.settings import SPELLING_LANGUAGES

log = logging.getLogger(__name__)

VERSION = 1
#: Documents remembered; the oldest choices are forgotten past this.
MAX_DOCUMENTS = 2000


def languages_path() -> Path:
    """The file that maps documents to their spelling languages."""
    return paths.data_dir() / "spelling" / "documents.json"


def _read() -> dict[str, str]:
    path = languages_path()
    if not path.exists():
        return {}
    try:
        data = read_json_file(path, "The spelling languages file")
    except JsonFileError as exc:
        log.warning("%s", exc)
        return {}
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, dict):
        return {}
    return {k: v for k, v in documents.items() if isinstance(k, str) and v in SPELLING_LANGUAGES}


def document_language(document: Path | None, default: str) -> str:
    """The language chosen for document, or default (untitled, never chosen, or an unreadable file)."""
    if document is None:
        return default
    return _read().get(str(document.resolve()), default)


def remember_language(document: Path, language: str) -> None:
    """Remember language for document. Raises ValueError for an unknown language, OSError if unwritable."""
    if language not in SPELLING_LANGUAGES:
        raise ValueError(
            f"There is no spelling dictionary for {language!r}; choose one of {SPELLING_LANGUAGES}."
        )
    documents = _read()
    key = str(document.resolve())
    documents.pop(key, None)
    documents[key] = language  # the newest last, so the oldest go first
    kept = dict(list(documents.items())[-MAX_DOCUMENTS:])
    path = languages_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"version": VERSION, "documents": kept}, ensure_ascii=False, indent=1)
    atomic_write_bytes(path, data.encode("utf-8"))

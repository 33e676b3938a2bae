"""The user's writing, read for training: .txt and .md (and .docx/.odt with the `docs` extra).

Files are only read, never changed. A file that cannot serve as text (binary, not UTF-8, empty, a
format whose reader library is absent) is skipped with a reason the plan lists, so one stray file does
not stop a run; a corpus with no usable text at all is an error.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gpt2_studio.core.documents.text_files import MAX_FILE_BYTES
from gpt2_studio.core.documents.text_input import TextInputError, read_text_file
from gpt2_studio.core.errors import StudioError

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
OFFICE_SUFFIXES = (".docx", ".odt")
SUFFIXES = TEXT_SUFFIXES + OFFICE_SUFFIXES
#: How many files one corpus may hold: a folder picked by mistake (a home folder) stops early.
MAX_FILES = 20_000


class TrainingError(StudioError):
    """Training cannot start or go on; the message is one sentence for the user."""


@dataclass(frozen=True)
class Document:
    """One file's text (line ends as "\\n"); path is resolved (absolute, no symbolic links)."""

    path: Path
    text: str


@dataclass(frozen=True)
class Skipped:
    """A file left out of the corpus and why (one sentence fragment: "not UTF-8 text")."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Corpus:
    """The documents read, in a stable order, and the files skipped."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]

    @property
    def characters(self) -> int:
        """Characters in all documents."""
        return sum(len(d.text) for d in self.documents)

    def fingerprint(self) -> str:
        """A hash of the documents' paths and texts: a resumed run checks that its corpus is unchanged."""
        digest = hashlib.sha256()
        for document in self.documents:
            digest.update(os.fsencode(str(document.path)) + b"\0")
            digest.update(document.text.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()


def _files_in(folder: Path, skipped: list[Skipped]) -> list[Path]:
    """Every file under folder, hidden ones left out, sorted; other suffixes are listed as skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.suffix.lower() in SUFFIXES:
                found.append(path)
            else:
                skipped.append(Skipped(path, f"not a {', '.join(SUFFIXES[:2])}, .docx or .odt file"))
            if len(found) > MAX_FILES:
                raise TrainingError(
                    f"{folder} holds more than {MAX_FILES:,} text files; choose the folder of your writing."
                )
    return found


def _office_text(path: Path) -> str:
    """The paragraphs of a .docx (python-docx) or .odt (odfpy) file; ImportError when the reader is absent."""
    if path.suffix.lower() == ".docx":
        import docx

        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    from odf import teletype
    from odf.opendocument import load
    from odf.text import P

    document = load(str(path))
    return "\n".join(teletype.extractText(p) for p in document.getElementsByType(P))


def read_document(path: Path) -> Document:
    """Read one file as text; TrainingError (its reason) when it cannot serve as text."""
    suffix = path.suffix.lower()
    if suffix in OFFICE_SUFFIXES:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise TrainingError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            text = _office_text(path)
        except ImportError:
            library = "python-docx" if suffix == ".docx" else "odfpy"
            raise TrainingError(
                f"reading {suffix} files needs {library} (pip install 'gpt2-studio[docs]')"
            ) from None
        except TrainingError:
            raise
        except Exception as exc:  # a damaged or foreign file: zip, XML and format errors of all kinds
            raise TrainingError(f"not a readable {suffix} file ({type(exc).__name__})") from None
    else:
        try:
            text = read_text_file(path, "it")
        except TextInputError as exc:
            # "it is not valid UTF-8 text (...)" → "not valid UTF-8 text (...)"
            reason = str(exc).rstrip(".")
            for prefix in ("Cannot open it: it ", "Cannot open it: ", "it is ", "it "):
                if reason.startswith(prefix):
                    reason = reason[len(prefix) :]
                    break
            raise TrainingError(reason) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise TrainingError("empty")
    return Document(path, text)


def read_corpus(sources: Sequence[str | Path]) -> Corpus:
    """Read the named files and every .txt/.md/.docx/.odt file under the named folders.

    Raises TrainingError for a path that does not exist, a folder without any such file, or when no file
    holds usable text (the reasons are in the message); files that fail alone are in ``skipped``.
    Paths are resolved first, so however a file is spelled (relative, absolute, through a link) the
    corpus, its fingerprint and its held-out split are the same: a run resumes from another folder.
    """
    if not sources:
        raise TrainingError("No writing given: name one or more files or folders of your text.")
    skipped: list[Skipped] = []
    files: list[Path] = []
    for source in sources:
        path = Path(source).expanduser().resolve()
        try:
            mode = path.stat().st_mode
        except OSError:
            raise TrainingError(f"{path} does not exist.") from None
        if stat.S_ISDIR(mode):
            inside = _files_in(path, skipped)
            if not inside:
                raise TrainingError(f"The folder {path} holds no .txt, .md, .docx or .odt files.")
            files += inside
        else:
            files.append(path)
    documents: list[Document] = []
    for path in _unique(files):
        try:
            documents.append(read_document(path))
        except TrainingError as exc:
            skipped.append(Skipped(path, str(exc)))
    if not documents:
        reasons = "; ".join(f"{s.path.name}: {s.reason}" for s in skipped[:3])
        raise TrainingError(f"None of the files holds text that can be used ({reasons}).")
    return Corpus(tuple(documents), tuple(skipped))


def _unique(paths: Iterable[Path]) -> list[Path]:
    """Each file once (resolved), even when named twice or reached through two folders or a link."""
    seen: set[Path] = set()
    out = []
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out

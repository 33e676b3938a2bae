"""Each document's Memory and Author's note: kept in the data folder, restored on reopen, not in the file."""

from __future__ import annotations

import errno
import json
import os
import stat
import textwrap
from pathlib import Path

import pytest

from gpt2_studio.core.documents.context_notes import (
    MAX_TEXT_CHARS,
    ContextNotes,
    load_context_notes,
    move_context_notes,
    notes_folder,
    save_context_notes,
)
from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.context import Prompt
from tests.as_nobody import public_temp_dir, run_as_nobody

NOTES = ContextNotes(
    memory="Anna: a sailor.\nSetting: 1900, a lighthouse.",
    authors_note="[Style: terse]",
    authors_note_depth=5,
)


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "story.txt"
    path.parent.mkdir()
    path.write_bytes(b"Once upon a time\r\n")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data" / "context_notes"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_nothing_saved_is_empty_notes_without_warnings(document, folder):
    assert load_context_notes(document, folder) == (ContextNotes(), [])
    assert ContextNotes().is_empty()
    assert not ContextNotes(authors_note_depth=4).is_empty()


@pytest.mark.parametrize(
    "notes",
    [
        NOTES,
        ContextNotes(memory="Café — 日本語 🙂 Ελληνικά", authors_note="naïve\tnote\n"),
        ContextNotes(memory="<|endoftext|> is just text", authors_note="[<|endoftext|>]"),
        ContextNotes(memory="  \n", authors_note=""),  # whitespace is the user's text too
        ContextNotes(memory="\x00\x1b\u2028\ud800 lone surrogate", authors_note_depth=10**6),
        ContextNotes(memory="m" * MAX_TEXT_CHARS, authors_note="🙂" * MAX_TEXT_CHARS),
    ],
    ids=["plain", "non-ascii", "end-of-text", "whitespace", "controls", "at-the-limit"],
)
def test_round_trip(document, folder, notes):
    save_context_notes(document, notes, folder)
    assert load_context_notes(document, folder) == (notes, [])


def test_the_entry_is_found_by_any_spelling_of_the_path(document, folder, tmp_path, monkeypatch):
    save_context_notes(document, NOTES, folder)
    link = tmp_path / "link-to-docs"
    link.symlink_to(document.parent)
    monkeypatch.chdir(document.parent)
    for spelling in (
        link / "story.txt",
        Path("story.txt"),
        document.parent / "." / ".." / "docs" / "story.txt",
    ):
        assert load_context_notes(spelling, folder) == (NOTES, [])
    assert len(entries(folder)) == 1


def test_each_document_has_its_own(document, folder):
    other = document.with_name("other.txt")
    save_context_notes(document, NOTES, folder)
    save_context_notes(other, ContextNotes(memory="other"), folder)
    assert load_context_notes(document, folder)[0] == NOTES
    assert load_context_notes(other, folder)[0] == ContextNotes(memory="other")


def test_saving_empty_notes_removes_the_entry(document, folder):
    save_context_notes(document, NOTES, folder)
    save_context_notes(document, ContextNotes(), folder)
    assert entries(folder) == []
    save_context_notes(document, ContextNotes(), folder)  # nothing to remove: fine
    assert load_context_notes(document, folder) == (ContextNotes(), [])


def test_the_document_file_is_never_touched(document, folder):
    before = (document.read_bytes(), document.stat().st_mtime_ns, sorted(os.listdir(document.parent)))
    save_context_notes(document, NOTES, folder)
    load_context_notes(document, folder)
    move_context_notes(document, document.with_name("copy.txt"), folder)
    save_context_notes(document, NOTES, folder)
    save_context_notes(document, ContextNotes(), folder)
    after = (document.read_bytes(), document.stat().st_mtime_ns, sorted(os.listdir(document.parent)))
    assert after == before  # same bytes, same time, nothing beside it


def test_entries_are_private_and_no_temporary_file_stays(document, folder):
    save_context_notes(document, NOTES, folder)
    save_context_notes(document, NOTES, folder)
    (entry,) = entries(folder)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert entry.suffix == ".json"


def test_save_as_moves_the_notes(document, folder):
    new = document.with_name("renamed.txt")
    save_context_notes(document, NOTES, folder)
    move_context_notes(document, new, folder)
    assert load_context_notes(new, folder) == (NOTES, [])
    assert load_context_notes(document, folder) == (ContextNotes(), [])
    assert len(entries(folder)) == 1


def test_save_as_over_a_path_with_notes_replaces_them(document, folder):
    new = document.with_name("old-story.txt")
    save_context_notes(new, ContextNotes(memory="the old story's"), folder)
    move_context_notes(document, new, folder)  # this document had none: the old story's go
    assert load_context_notes(new, folder) == (ContextNotes(), [])
    assert entries(folder) == []


def test_save_as_to_the_same_path_keeps_them(document, folder):
    save_context_notes(document, NOTES, folder)
    move_context_notes(document, document.parent / "." / "story.txt", folder)
    assert load_context_notes(document, folder) == (NOTES, [])


def test_an_entry_for_another_path_is_never_used(document, folder):
    """A copied or renamed entry file (as a hash collision would be) gives nothing, not another's notes."""
    other = document.with_name("other.txt")
    save_context_notes(other, NOTES, folder)
    save_context_notes(document, ContextNotes(memory="mine"), folder)
    other_entry = next(p for p in entries(folder) if "other.txt" in p.read_text())
    mine_entry = next(p for p in entries(folder) if p != other_entry)
    other_entry.replace(mine_entry)  # the file under this document's name now holds other.txt's notes
    assert load_context_notes(document, folder) == (ContextNotes(), [])


def _entry_file(document: Path, folder: Path) -> Path:
    save_context_notes(document, NOTES, folder)
    (entry,) = entries(folder)
    return entry


def _record(document: Path, **fields: object) -> dict[str, object]:
    return {
        "version": 1,
        "document": str(document.resolve()),
        "memory": "m",
        "authors_note": "n",
        "authors_note_depth": 2,
        **fields,
    }


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "is not valid JSON"),
        (b"", "is not valid JSON"),
        (b"\xff\xfe\x00garbage", "is not"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
        (b'"just a string"', "is not a JSON object"),
        (b" " * (5 * 1024 * 1024), "more than the"),
    ],
    ids=["broken", "empty", "binary", "deep", "not-an-object", "oversized"],
)
def test_a_damaged_entry_gives_empty_notes_and_one_warning(document, folder, content, says):
    _entry_file(document, folder).write_bytes(content)
    notes, warnings = load_context_notes(document, folder)
    assert notes == ContextNotes()
    (warning,) = warnings
    assert says in warning
    assert "story.txt" in warning
    assert warning.endswith("the document opens without them.")
    assert "\n" not in warning


@pytest.mark.parametrize(
    ("fields", "expected", "bad"),
    [
        ({"memory": 42}, ContextNotes("", "n", 2), "memory"),
        ({"authors_note": ["x"]}, ContextNotes("m", "", 2), "authors_note"),
        ({"authors_note_depth": 0}, ContextNotes("m", "n", 3), "authors_note_depth"),
        ({"authors_note_depth": "4"}, ContextNotes("m", "n", 3), "authors_note_depth"),
        ({"authors_note_depth": True}, ContextNotes("m", "n", 3), "authors_note_depth"),
        ({"authors_note_depth": 2.5}, ContextNotes("m", "n", 3), "authors_note_depth"),
        ({"memory": "x" * (MAX_TEXT_CHARS + 1)}, ContextNotes("", "n", 2), "memory"),
        ({"memory": None, "authors_note_depth": -3}, ContextNotes("", "n", 3), "memory, authors_note_depth"),
    ],
)
def test_wrongly_typed_entries_start_at_their_defaults_with_one_warning(
    document, folder, fields, expected, bad
):
    _entry_file(document, folder).write_text(json.dumps(_record(document, **fields)))
    notes, warnings = load_context_notes(document, folder)
    assert notes == expected
    (warning,) = warnings
    assert f"unusable entries ({bad}:" in warning
    assert warning.count(". ") == 0


def test_another_version_is_a_warning(document, folder):
    _entry_file(document, folder).write_text(json.dumps(_record(document, version=99)))
    notes, (warning,) = load_context_notes(document, folder)
    assert notes == ContextNotes()
    assert "version 99" in warning


def test_missing_fields_take_their_defaults(document, folder):
    _entry_file(document, folder).write_text(json.dumps({"version": 1, "document": str(document.resolve())}))
    assert load_context_notes(document, folder) == (ContextNotes(), [])


def test_an_over_long_text_is_refused_on_save_with_one_sentence(document, folder):
    with pytest.raises(OSError, match="characters long") as raised:
        save_context_notes(document, ContextNotes(memory="x" * (MAX_TEXT_CHARS + 1)), folder)
    assert raised.value.errno == errno.EFBIG
    assert raised.value.strerror.startswith("the Memory is 100,001 characters long")
    assert entries(folder) == []


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"memory": None}, "The Memory must be text"),
        ({"authors_note": 3}, "The Author's note must be text"),
        ({"authors_note_depth": 0}, "at least 1"),
        ({"authors_note_depth": True}, "at least 1"),
    ],
)
def test_notes_are_checked_when_made(fields, says):
    with pytest.raises(SettingsError, match=says):
        ContextNotes(**fields)


def test_the_app_keeps_them_in_its_data_folder(isolated_home):
    assert notes_folder().is_relative_to(isolated_home)


def test_an_unwritable_folder_is_an_oserror_and_changes_nothing():
    """Run as an unprivileged user: a read-only folder stops root nowhere."""
    base = public_temp_dir()
    document = base / "story.txt"
    document.write_text("text")
    save_context_notes(document, NOTES, base / "notes")
    (base / "notes").chmod(0o755)  # root's: the unprivileged user may read, not write
    (entry,) = entries(base / "notes")
    entry.chmod(0o644)
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from gpt2_studio.core.documents.context_notes import ContextNotes, load_context_notes
        from gpt2_studio.core.documents.context_notes import move_context_notes, save_context_notes
        folder, document = Path({str(base / "notes")!r}), Path({str(document)!r})
        for attempt in (
            lambda: save_context_notes(document, ContextNotes(memory="m"), folder),
            lambda: save_context_notes(document, ContextNotes(memory="m"), folder / "sub"),
            lambda: move_context_notes(document, document.with_name("b.txt"), folder),
        ):
            try:
                attempt()
            except OSError as error:
                print("OSError", error.errno)
            else:
                print("saved")
        print(load_context_notes(document, folder))
        """
    )
    done = run_as_nobody(code, {"GPT2_STUDIO_HOME": str(base / "home")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [f"OSError {errno.EACCES}"] * 3
    assert done.stdout.splitlines()[3] == repr((NOTES, []))
    assert entries(base / "notes") == [entry]


def test_an_unreadable_entry_is_a_warning_not_an_error():
    base = public_temp_dir()
    document = base / "story.txt"
    document.write_text("text")
    folder = base / "notes"
    save_context_notes(document, NOTES, folder)
    folder.chmod(0o755)
    next(folder.iterdir()).chmod(0o600)  # root's own: the unprivileged user may not read it
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from gpt2_studio.core.documents.context_notes import load_context_notes
        notes, warnings = load_context_notes(Path({str(document)!r}), Path({str(folder)!r}))
        print(notes.is_empty(), len(warnings), warnings[0])
        """
    )
    done = run_as_nobody(code, {"GPT2_STUDIO_HOME": str(base / "home")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True 1 ")
    assert "cannot be read: Permission denied; the document opens without them." in done.stdout


@pytest.mark.parametrize("depth", [4, 4.0])
def test_a_whole_number_depth_is_taken_as_prompt_takes_it(document, folder, depth):
    # JSON writers (and Prompt) treat 4.0 as 4: the entry loads without a warning, as an int.
    _entry_file(document, folder).write_text(json.dumps(_record(document, authors_note_depth=depth)))
    notes, warnings = load_context_notes(document, folder)
    assert (notes, warnings) == (ContextNotes("m", "n", 4), [])
    assert type(notes.authors_note_depth) is int
    made = ContextNotes(authors_note_depth=depth)
    assert type(made.authors_note_depth) is int
    assert made == ContextNotes(authors_note_depth=4)
    assert Prompt("x", authors_note_depth=depth).authors_note_depth == made.authors_note_depth

"""Reading the user's writing: which files count, which are skipped and why, and that none is changed."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from gpt2_studio.core.training.corpus import TrainingError, read_corpus


def _snapshot(folder: Path) -> dict[Path, tuple[str, int]]:
    return {
        p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_text_and_markdown_are_read_and_other_files_skipped_with_a_reason(tmp_path):
    folder = tmp_path / "writing"
    (folder / "chapters").mkdir(parents=True)
    (folder / "one.txt").write_text("First story.\r\nSecond line.", encoding="utf-8")
    (folder / "chapters" / "two.md").write_text("# Title\n\nBody.", encoding="utf-8")
    (folder / ".hidden.txt").write_text("not mine", encoding="utf-8")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "binary.txt").write_bytes(b"abc\x00\x01\x02")
    (folder / "latin.txt").write_bytes("café".encode("latin-1"))
    (folder / "blank.md").write_text("  \n\n", encoding="utf-8")
    before = _snapshot(folder)

    corpus = read_corpus([folder])

    assert [d.path.name for d in corpus.documents] == ["one.txt", "two.md"]
    assert corpus.documents[0].text == "First story.\nSecond line."
    reasons = {s.path.name: s.reason for s in corpus.skipped}
    assert set(reasons) == {"picture.png", "binary.txt", "latin.txt", "blank.md"}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin.txt"]
    assert reasons["blank.md"] == "empty"
    assert _snapshot(folder) == before  # only read: not a byte or a time changed


def test_a_file_named_twice_counts_once_and_the_fingerprint_follows_the_text(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Some words.", encoding="utf-8")
    corpus = read_corpus([path, tmp_path])
    assert len(corpus.documents) == 1
    path.write_text("Other words.", encoding="utf-8")
    assert read_corpus([path]).fingerprint() != corpus.fingerprint()


def test_an_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainingError, match="holds no .txt, .md, .docx or .odt files"):
        read_corpus([tmp_path / "empty"])


def test_no_readable_text_is_refused_with_the_reasons(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\x00\x00\x00")
    (tmp_path / "b.md").write_bytes(b"caf\xe9 \xc3\x28 garbage")
    with pytest.raises(TrainingError, match=r"None of the files holds text that can be used \(a.txt: "):
        read_corpus([tmp_path])


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(TrainingError, match="does not exist"):
        read_corpus([tmp_path / "nowhere"])


def test_docx_and_odt_are_read_through_their_libraries(tmp_path):
    docx = pytest.importorskip("docx")
    pytest.importorskip("odf")
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = docx.Document()
    document.add_paragraph("A paragraph from Word.")
    document.add_paragraph("And a second one.")
    document.save(str(tmp_path / "story.docx"))
    odt = OpenDocumentText()
    odt.text.addElement(P(text="A paragraph from Writer."))
    odt.save(str(tmp_path / "story.odt"))
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")

    corpus = read_corpus([tmp_path])

    texts = {d.path.name: d.text for d in corpus.documents}
    assert texts == {
        "story.docx": "A paragraph from Word.\nAnd a second one.",
        "story.odt": "A paragraph from Writer.",
    }
    assert [(s.path.name, s.reason.split(" (")[0]) for s in corpus.skipped] == [
        ("broken.docx", "not a readable .docx file")
    ]


def test_without_the_reader_library_a_docx_is_skipped_saying_what_to_install(tmp_path, monkeypatch):
    (tmp_path / "story.docx").write_bytes(b"PK")
    (tmp_path / "notes.txt").write_text("Plain notes.", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "docx", None)  # what Python does when the package is absent

    corpus = read_corpus([tmp_path])

    assert [d.path.name for d in corpus.documents] == ["notes.txt"]
    assert (
        corpus.skipped[0].reason == "reading .docx files needs python-docx (pip install 'gpt2-studio[docs]')"
    )


def test_however_a_path_is_spelled_the_corpus_is_the_same(tmp_path, monkeypatch):
    folder = tmp_path / "writing"
    folder.mkdir()
    for name in ("doc1.txt", "doc2.txt", "notes.md"):
        (folder / name).write_text(f"The text of {name}.", encoding="utf-8")
    (tmp_path / "link").symlink_to(folder)
    absolute = read_corpus([folder / "doc1.txt", folder / "doc2.txt", folder / "notes.md"])
    monkeypatch.chdir(tmp_path)

    for spelled in (
        ["writing/doc1.txt", "writing/doc2.txt", "writing/notes.md"],
        ["./writing/../writing/doc1.txt", "link/doc2.txt", "writing/notes.md"],
    ):
        corpus = read_corpus(spelled)
        assert [d.path for d in corpus.documents] == [d.path for d in absolute.documents]
        assert all(d.path.is_absolute() for d in corpus.documents)
        assert corpus.fingerprint() == absolute.fingerprint()

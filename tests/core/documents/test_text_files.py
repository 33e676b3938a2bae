"""Opening and saving user text: nothing is guessed silently, nothing is lost on a failed save."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import pytest

from gpt2_studio.core.documents import text_files as documents
from gpt2_studio.core.documents.text_files import (
    DocumentError,
    FileChangedOnDiskError,
    FileStamp,
    NotUtf8Error,
    file_stamp,
    read_text_file,
    write_text_file,
)
from gpt2_studio.core.errors import StudioError

BOMS = {
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
}
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


# Reading ---------------------------------------------------------------------------------------


def test_utf8_round_trip_keeps_every_character(tmp_path):
    path = tmp_path / "story.txt"
    text = "Once upon a time 🐉 — naïve café, 日本語.\nThe end.\n"
    path.write_bytes(text.encode("utf-8"))

    opened = read_text_file(path)
    assert opened.text == text
    assert opened.encoding == "utf-8"
    assert opened.newline == "\n"
    assert opened.warning is None
    assert opened.path == path
    assert opened.stamp == file_stamp(path)

    write_text_file(path, opened.text + "More 🐉.\n", encoding=opened.encoding, newline=opened.newline)
    assert path.read_bytes() == (text + "More 🐉.\n").encode("utf-8")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_are_shown_as_newlines_and_saved_back(tmp_path, newline):
    path = tmp_path / "notes.txt"
    original = newline.join(["first", "second 🐉", "", "last"]).encode("utf-8")
    path.write_bytes(original)

    opened = read_text_file(path)
    assert opened.text == "first\nsecond 🐉\n\nlast"
    assert opened.newline == newline

    write_text_file(path, opened.text, newline=opened.newline)
    assert path.read_bytes() == original


def test_mixed_line_endings_are_normalised_to_the_first_one(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"a\r\nb\nc\rd")
    opened = read_text_file(path)
    assert opened.text == "a\nb\nc\nd"
    assert opened.newline == "\r\n"


def test_empty_file_opens_as_empty_text(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    opened = read_text_file(path)
    assert opened.text == ""
    assert opened.newline == "\n"
    assert opened.stamp.size == 0


def test_utf8_bom_is_accepted_hidden_and_written_back(tmp_path):
    path = tmp_path / "bom.txt"
    original = codecs.BOM_UTF8 + "héllo\r\n".encode()
    path.write_bytes(original)

    opened = read_text_file(path)
    assert opened.text == "héllo\n"
    assert opened.encoding == "utf-8-sig"
    assert opened.warning is None

    write_text_file(path, opened.text, encoding=opened.encoding, newline=opened.newline)
    assert path.read_bytes() == original


@pytest.mark.parametrize(
    ("codec", "encoding"),
    [("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"), ("utf-32-le", "utf-32"), ("utf-32-be", "utf-32")],
)
def test_utf16_and_utf32_with_a_bom_open_with_a_warning(tmp_path, codec, encoding):
    path = tmp_path / "wide.txt"
    path.write_bytes(BOMS[codec] + "wide 🐉 text\r\n".encode(codec))

    opened = read_text_file(path)
    assert opened.text == "wide 🐉 text\n"
    assert opened.encoding.startswith(encoding)  # "utf-16-be-sig" on a little-endian machine
    assert opened.newline == "\r\n"
    assert encoding.upper() in opened.warning

    write_text_file(path, opened.text, encoding=opened.encoding, newline=opened.newline)
    assert path.read_bytes() == BOMS[codec] + "wide 🐉 text\r\n".encode(codec)  # in its own byte order


def test_not_utf8_names_the_file_the_offset_and_an_encoding_to_try(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"Caf" + "é and “quotes”".encode("cp1252"))

    with pytest.raises(NotUtf8Error) as caught:
        read_text_file(path)
    error = caught.value
    assert isinstance(error, DocumentError)
    assert isinstance(error, StudioError)
    assert error.path == path
    assert error.offset == 3
    assert error.suggested_encoding == "cp1252"
    message = str(error)
    assert str(path) in message
    assert "offset 3" in message
    assert "Windows-1252 (cp1252)" in message


def test_bytes_that_are_not_cp1252_offer_only_encodings_that_decode_them(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(b"abc\x81def")  # 0x81 is unassigned in cp1252
    with pytest.raises(NotUtf8Error) as caught:
        read_text_file(path)
    assert caught.value.offset == 3
    candidates = caught.value.candidates
    assert "cp1252" not in candidates
    assert "latin-1" in candidates  # decodes any bytes, so there is always a choice
    assert caught.value.suggested_encoding == candidates[0]
    for encoding in candidates:
        assert read_text_file(path, encoding=encoding).text.startswith("abc")


def test_explicit_cp1252_opens_with_a_warning_and_saves_the_exact_bytes(tmp_path):
    path = tmp_path / "legacy.txt"
    original = "Café “quoted” — 5€\r\nsecond line\r\n".encode("cp1252")
    path.write_bytes(original)

    opened = read_text_file(path, encoding="cp1252")
    assert opened.text == "Café “quoted” — 5€\nsecond line\n"
    assert opened.encoding == "cp1252"
    assert opened.warning == "Opened as Windows-1252 (cp1252); it will be saved in the same encoding."

    write_text_file(path, opened.text, encoding=opened.encoding, newline=opened.newline)
    assert path.read_bytes() == original


def test_explicit_encoding_that_does_not_fit_is_refused(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(b"abc\x81def")
    with pytest.raises(DocumentError, match=r"as Windows-1252 \(cp1252\): byte 3 is not valid"):
        read_text_file(path, encoding="cp1252")


def test_unknown_encoding_is_refused(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x")
    with pytest.raises(DocumentError, match="'klingon' is not a known encoding"):
        read_text_file(path, encoding="klingon")


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DocumentError, match="looks like a binary file, not text") as caught:
        read_text_file(path)
    assert not isinstance(caught.value, NotUtf8Error)
    with pytest.raises(DocumentError, match="looks like a binary file, not text"):
        read_text_file(path, encoding="latin-1")


def test_a_file_over_the_limit_is_refused_with_its_size_and_the_limit(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * (3 * 1024 * 1024 // 2))
    with pytest.raises(DocumentError, match=r"too large \(1\.5 MB; the limit is 1\.0 MB\)") as caught:
        read_text_file(path, max_bytes=1024 * 1024)
    assert str(path) in str(caught.value)


def test_the_default_limit_is_64_mb_and_a_10_mb_file_reads_fine(tmp_path):
    assert documents.MAX_FILE_BYTES == 64 * 1024 * 1024
    path = tmp_path / "big.txt"
    line = "All work and no play makes Jack a dull boy. 🐉\n"
    text = line * (10 * 1024 * 1024 // len(line.encode()))
    path.write_bytes(text.encode("utf-8"))
    assert read_text_file(path).text == text


def test_a_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(DocumentError, match=r"Cannot open .*nope\.txt: it does not exist\."):
        read_text_file(path)
    assert file_stamp(path) is None


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(DocumentError, match="it is a folder, not a file"):
        read_text_file(tmp_path)


def test_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("x")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)  # chmod 0 does not stop root, so simulate it
    with pytest.raises(DocumentError, match=r"secret\.txt: permission denied\."):
        read_text_file(path)


# Saving ----------------------------------------------------------------------------------------


def test_save_returns_the_new_stamp_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "new.txt"
    stamp = write_text_file(path, "hello\n")
    assert path.read_bytes() == b"hello\n"
    assert stamp == file_stamp(path)
    assert stamp.size == 6
    assert _leftovers(tmp_path) == []


@POSIX_ONLY
def test_save_keeps_the_permission_bits_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "script.txt"
    path.write_text("old")
    path.chmod(0o640)
    write_text_file(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "new"


@POSIX_ONLY
def test_a_new_file_gets_the_usual_permissions_not_the_temp_files(tmp_path):
    path = tmp_path / "fresh.txt"
    write_text_file(path, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


@POSIX_ONLY
def test_save_through_a_symlink_writes_the_target(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_text_file(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_a_failed_replace_leaves_the_original_intact_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "precious.txt"
    path.write_bytes(b"precious words")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(documents.os, "replace", broken_replace)
    with pytest.raises(DocumentError, match=r"Cannot save .*precious\.txt: no space left on device\."):
        write_text_file(path, "half-written")
    assert path.read_bytes() == b"precious words"
    assert _leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_original_intact_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "precious.txt"
    path.write_bytes(b"precious words")

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(documents.os, "fsync", broken_fsync)
    with pytest.raises(DocumentError, match="input/output error"):
        write_text_file(path, "half-written")
    assert path.read_bytes() == b"precious words"
    assert _leftovers(tmp_path) == []


def test_saving_over_a_file_changed_on_disk_is_refused_unless_asked(tmp_path):
    path = tmp_path / "shared.txt"
    path.write_text("version 1")
    opened = read_text_file(path)
    path.write_text("version 2 from another program")

    with pytest.raises(FileChangedOnDiskError, match="changed on disk since it was opened") as caught:
        write_text_file(path, "my edit", expected=opened.stamp)
    assert isinstance(caught.value, DocumentError)
    assert path.read_text() == "version 2 from another program"

    write_text_file(path, "my edit", expected=opened.stamp, overwrite_changed=True)
    assert path.read_text() == "my edit"


def test_saving_twice_with_the_returned_stamp_is_not_a_conflict(tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text("one")
    stamp = read_text_file(path).stamp
    stamp = write_text_file(path, "two", expected=stamp)
    stamp = write_text_file(path, "three", expected=stamp)
    assert path.read_text() == "three"
    assert stamp == file_stamp(path)


def test_touching_a_file_without_changing_it_is_not_a_conflict(tmp_path):
    path = tmp_path / "touched.txt"
    path.write_text("same")
    stamp = read_text_file(path).stamp
    os.utime(path, ns=(stamp.mtime_ns + 5_000_000_000, stamp.mtime_ns + 5_000_000_000))
    write_text_file(path, "mine", expected=stamp)
    assert path.read_text() == "mine"


def test_a_file_deleted_since_it_was_opened_is_simply_written(tmp_path):
    path = tmp_path / "gone.txt"
    path.write_text("before")
    stamp = read_text_file(path).stamp
    path.unlink()
    write_text_file(path, "after", expected=stamp)
    assert path.read_text() == "after"


def test_text_the_legacy_encoding_cannot_hold_names_the_first_bad_character(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"old")
    with pytest.raises(DocumentError, match=r"the character '🐉' \(U\+1F409\) cannot be encoded"):
        write_text_file(path, "Café 🐉 ☃", encoding="cp1252")
    assert path.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_saving_into_a_missing_folder(tmp_path):
    with pytest.raises(DocumentError, match="does not exist"):
        write_text_file(tmp_path / "no" / "such" / "file.txt", "x")


def test_saving_over_a_folder_is_refused(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(DocumentError, match="it is a folder, not a file"):
        write_text_file(folder, "x")


def test_stamps_are_values():
    stamp = FileStamp(size=1, mtime_ns=2, sha256="ab")
    assert stamp == FileStamp(1, 2, "ab")
    assert stamp.same_content(FileStamp(1, 99, "ab"))
    assert not stamp.same_content(FileStamp(1, 2, "cd"))
    with pytest.raises(AttributeError):
        stamp.size = 3  # type: ignore[misc]

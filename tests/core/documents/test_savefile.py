"""Saving respects who may write a file, keeps owner/group/mode and hard links, and leaves no temporaries.

Permission cases run in a real subprocess as the unprivileged user 65534 (``setpriv``), since root may
write anything; they are skipped with the reason where that is not possible.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from gpt2_studio.core.documents import instance
from gpt2_studio.core.documents.instance import TEMP_MARK, clean_stale_temporaries
from gpt2_studio.core.documents.text_files import ReadOnlyDocumentError, read_text_file, write_text_file

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
SETPRIV = shutil.which("setpriv")
needs_setpriv = pytest.mark.skipif(
    os.name != "posix" or not SETPRIV or os.geteuid() != 0,
    reason="needs root and setpriv to run a case as an unprivileged user",
)
as_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to chown files")


@pytest.fixture
def shared_dir():
    """A folder the unprivileged user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="gpt2studio-perm-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _save_as_nobody(path: Path, text: str, home: Path) -> subprocess.CompletedProcess:
    """Try write_text_file(path, text) as user 65534; prints OK or the error sentence."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from gpt2_studio.core.documents.text_files import DocumentError, write_text_file
        try:
            write_text_file({str(path)!r}, {text!r})
        except DocumentError as error:
            print("ERROR", type(error).__name__, error)
        else:
            print("OK")
        """
    )
    env = dict(os.environ, GPT2_STUDIO_HOME=str(home))
    command = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-c"]
    return subprocess.run([*command, script], env=env, capture_output=True, text=True, timeout=60)


@needs_setpriv
def test_a_read_only_file_is_refused_with_one_sentence(shared_dir):
    target = shared_dir / "notes.txt"
    target.write_text("original")
    os.chown(target, NOBODY, NOBODY)
    target.chmod(0o444)
    result = _save_as_nobody(target, "changed", shared_dir / "home")
    assert result.stdout.startswith("ERROR ReadOnlyDocumentError"), result.stderr
    assert "it is read-only; use Save As" in result.stdout
    assert target.read_text() == "original"
    assert [p.name for p in shared_dir.iterdir() if p.name.endswith(".tmp")] == []


@needs_setpriv
def test_another_users_file_is_refused_even_in_a_folder_we_may_write(shared_dir):
    target = shared_dir / "theirs.txt"
    target.write_text("root's words")
    target.chmod(0o644)  # owned by root, folder writable by all: a rename would succeed
    result = _save_as_nobody(target, "replaced", shared_dir / "home")
    assert "belongs to another user" in result.stdout, result.stdout + result.stderr
    assert target.read_text() == "root's words"
    assert target.stat().st_uid == 0


@needs_setpriv
def test_a_new_file_in_a_read_only_folder_is_refused(shared_dir):
    folder = shared_dir / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    result = _save_as_nobody(folder / "new.txt", "x", shared_dir / "home")
    assert "is read-only for you" in result.stdout, result.stdout + result.stderr
    assert not (folder / "new.txt").exists()


@needs_setpriv
def test_a_writable_file_in_a_read_only_folder_is_written_in_place(shared_dir):
    folder = shared_dir / "locked"
    folder.mkdir()
    target = folder / "mine.txt"
    target.write_text("old")
    os.chown(target, NOBODY, NOBODY)
    folder.chmod(0o555)
    inode = target.stat().st_ino
    result = _save_as_nobody(target, "new", shared_dir / "home")
    assert result.stdout.strip() == "OK", result.stdout + result.stderr
    assert target.read_text() == "new"
    assert target.stat().st_ino == inode


@needs_setpriv
def test_a_group_writable_file_of_another_user_keeps_its_owner(shared_dir):
    target = shared_dir / "team.txt"
    target.write_text("old")
    os.chown(target, 0, NOBODY)
    target.chmod(0o664)
    script_home = shared_dir / "home"
    command = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", f"--groups={NOBODY}"]
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r});"
        " from gpt2_studio.core.documents.text_files import write_text_file;"
        f" write_text_file({str(target)!r}, 'new'); print('OK')"
    )
    result = subprocess.run(
        [*command, sys.executable, "-c", code],
        env=dict(os.environ, GPT2_STUDIO_HOME=str(script_home)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "OK", result.stderr
    assert target.read_text() == "new"
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, NOBODY, 0o664)


@as_root
def test_root_saving_a_users_file_keeps_owner_group_and_mode(tmp_path):
    target = tmp_path / "users.txt"
    target.write_text("old")
    os.chown(target, NOBODY, NOBODY)
    target.chmod(0o640)
    write_text_file(target, "new")
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (NOBODY, NOBODY, 0o640)
    assert target.read_text() == "new"


@as_root
def test_even_root_does_not_overwrite_a_file_marked_read_only(tmp_path):
    target = tmp_path / "frozen.txt"
    target.write_text("keep")
    target.chmod(0o444)
    with pytest.raises(ReadOnlyDocumentError, match=r"frozen\.txt: it is read-only; use Save As"):
        write_text_file(target, "overwrite")
    assert target.read_text() == "keep"


@pytest.mark.skipif(not hasattr(os, "link"), reason="hard links")
def test_a_file_with_hard_links_is_written_in_place_so_every_name_sees_the_save(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    other = tmp_path / "b.txt"
    os.link(target, other)
    opened = read_text_file(target)
    write_text_file(target, "new text", expected=opened.stamp)
    assert other.read_text() == "new text"
    assert target.stat().st_ino == other.stat().st_ino
    assert target.stat().st_nlink == 2
    # shorter text truncates the file
    write_text_file(target, "x")
    assert other.read_bytes() == b"x"


def test_a_single_link_file_is_replaced_atomically(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    inode = target.stat().st_ino
    write_text_file(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_ino != inode  # renamed over, so a crash leaves old or new


KILLED_DURING_SAVE = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from gpt2_studio.core.documents import savefile

    real_fsync = os.fsync

    def die(fd):  # killed while the big temporary file is being written
        os._exit(9)

    os.fsync = die
    savefile.atomic_write_bytes({target!r}, b"x" * 5_000_000)
    """
)


def test_a_temporary_left_by_a_save_killed_midway_is_removed_at_the_next_start(tmp_path, isolated_home):
    target = tmp_path / "big.txt"
    target.write_text("the saved version")
    script = KILLED_DURING_SAVE.format(root=str(ROOT), target=str(target))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 9, result.stderr
    (left,) = [path for path in tmp_path.iterdir() if TEMP_MARK in path.name]
    assert left.stat().st_size > 0
    unrelated = tmp_path / f".other{TEMP_MARK}abc.tmp"  # not in any dead instance's journal
    unrelated.write_text("someone else's")

    assert clean_stale_temporaries() == [left]
    assert not left.exists()
    assert unrelated.exists()
    assert target.read_text() == "the saved version"
    assert clean_stale_temporaries() == []


def test_a_running_instances_temporaries_are_left_alone(tmp_path):
    me = instance.current()
    assert me is not None
    temp = tmp_path / f".x{TEMP_MARK}1.tmp"
    instance.note_temporary(temp)
    temp.write_text("in flight")
    assert clean_stale_temporaries() == []
    assert temp.exists()


def test_a_failed_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    target = folder / "t.txt"
    target.write_text("kept")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(Exception, match="no space left"):
        write_text_file(target, "new")
    assert [p.name for p in folder.iterdir()] == ["t.txt"]
    assert target.read_text() == "kept"


def test_the_journal_of_temporaries_stays_small_in_a_long_session(tmp_path, monkeypatch):
    monkeypatch.setattr(instance, "_JOURNAL_PRUNE_BYTES", 2_000)
    target = tmp_path / "autosaved.txt"
    for number in range(200):
        write_text_file(target, f"version {number}")
    journal = instance.current().journal
    assert journal.stat().st_size <= 2_000 + 200
    assert target.read_text() == "version 199"

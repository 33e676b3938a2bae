"""Crash recovery: work left by a dead instance is offered back; a running instance's work is not.

Liveness is told by a lock each instance holds; the tests use real second processes (that crash, or
keep running) and, where the machine allows, PID namespaces in which every process is PID 1.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gpt2_studio.core.documents.recovery import RecoveredDocument, RecoveryStore
from gpt2_studio.core.documents.text_files import FileStamp

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from gpt2_studio.core.documents.text_files import FileStamp
    from gpt2_studio.core.documents.recovery import RecoveryStore

    store = RecoveryStore({folder!r})
    store.write({doc_id!r}, {text!r}, {source!r}, encoding="cp1252", newline="\\r\\n",
                stamp=FileStamp(3, 7, "ab" * 32))
    print(os.getpid(), flush=True)
    if {stay!r}:
        sys.stdin.read()  # runs until the test closes stdin
    os._exit(9)  # no clean-up, as a crash
    """
)


def _script(folder: Path, doc_id: str, text: str = "Unsaved 🐉\u00a0words\u2028", *, stay=False) -> str:
    return WRITER.format(
        root=str(ROOT), folder=str(folder), doc_id=doc_id, text=text, source="/x/story.txt", stay=stay
    )


def _crashed_writer(folder: Path, doc_id: str, text: str = "Unsaved 🐉\u00a0words\u2028") -> int:
    """Run a process that writes a copy and dies without clean-up; returns its PID."""
    result = subprocess.run(
        [sys.executable, "-c", _script(folder, doc_id, text)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 9, result.stderr
    return int(result.stdout)


def test_the_default_folder_is_in_the_data_folder_and_created_only_when_needed(isolated_home):
    store = RecoveryStore()
    assert store.folder == isolated_home / "data" / "recovery"
    assert not store.folder.exists()
    assert store.pending() == []
    store.save(RecoveryStore.new_doc_id(), "text", None)
    assert store.folder.is_dir()


def test_new_ids_are_unique_and_safe_file_names():
    ids = {RecoveryStore.new_doc_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(doc_id.isalnum() for doc_id in ids)


def test_work_of_a_crashed_process_is_pending_with_encoding_line_ending_and_stamp(tmp_path):
    folder = tmp_path / "recovery"
    pid = _crashed_writer(folder, "doc1")
    (recovered,) = RecoveryStore(folder).pending()
    assert isinstance(recovered, RecoveredDocument)
    assert recovered.doc_id == "doc1"
    assert recovered.text == "Unsaved 🐉\u00a0words\u2028"
    assert recovered.source_path == "/x/story.txt"
    assert (recovered.encoding, recovered.newline) == ("cp1252", "\r\n")
    assert recovered.stamp == FileStamp(3, 7, "ab" * 32)
    assert recovered.pid == pid
    assert recovered.saved_at > 0


def test_own_work_is_not_pending(tmp_path):
    store = RecoveryStore(tmp_path)
    store.save(store.new_doc_id(), "mine", None)
    assert store.pending() == []


def test_work_of_another_running_process_is_not_pending_until_it_dies(tmp_path):
    folder = tmp_path / "recovery"
    process = subprocess.Popen(
        [sys.executable, "-c", _script(folder, "theirs", stay=True)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip().isdigit()  # the copy is written
        assert RecoveryStore(folder).pending() == []
    finally:
        process.kill()
        process.wait(timeout=30)
    assert [document.doc_id for document in RecoveryStore(folder).pending()] == ["theirs"]


def test_a_reused_pid_does_not_hide_a_crashed_copy(tmp_path):
    """The copy names a PID that is in use again (here: this test's own); it is still offered."""
    folder = tmp_path / "recovery"
    _crashed_writer(folder, "doc")
    path = folder / "doc.recovery"
    header, _, body = path.read_bytes().partition(b"\n")
    record = json.loads(header)
    record["pid"] = os.getpid()
    path.write_bytes(json.dumps(record).encode() + b"\n" + body)
    assert [document.doc_id for document in RecoveryStore(folder).pending()] == ["doc"]


NAMESPACED_CHECK = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from gpt2_studio.core.documents.recovery import RecoveryStore
    RecoveryStore({folder!r}).save("mine", "other text", None)  # this instance's own copy
    print(os.getpid(), [d.doc_id for d in RecoveryStore({folder!r}).pending()])
    """
)


@pytest.mark.skipif(not shutil.which("unshare") or os.name != "posix", reason="needs unshare (Linux)")
def test_recovery_is_offered_inside_a_pid_namespace_where_every_instance_is_pid_1(tmp_path):
    folder = tmp_path / "recovery"
    unshare = [shutil.which("unshare"), "--pid", "--fork"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    probe = subprocess.run([*unshare, "true"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"this machine does not allow PID namespaces: {probe.stderr.decode().strip()}")
    command = [*unshare, sys.executable, "-c", _script(folder, "crashed")]
    crashed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert crashed.stdout.strip() == "1", crashed.stderr
    check = subprocess.run(
        [*unshare, sys.executable, "-c", NAMESPACED_CHECK.format(root=str(ROOT), folder=str(folder))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip() == "1 ['crashed']", check.stderr


def test_pending_is_newest_first(tmp_path):
    folder = tmp_path / "recovery"
    for doc_id in ("old", "middle", "newest"):
        _crashed_writer(folder, doc_id, doc_id)
    pending = RecoveryStore(folder).pending()
    assert [document.doc_id for document in pending] == ["newest", "middle", "old"]
    assert [document.text for document in pending] == ["newest", "middle", "old"]


def test_saving_again_replaces_the_copy_and_discard_forgets_it(tmp_path):
    tmp_path = tmp_path / "recovery"
    store = RecoveryStore(tmp_path)
    store.save("doc", "first", None)
    store.save("doc", "second", "/some/file.txt")
    assert [path.name for path in tmp_path.iterdir()] == ["doc.recovery"]
    store.discard("doc")
    assert list(tmp_path.iterdir()) == []
    store.discard("doc")  # discarding twice is harmless


def test_copies_from_the_previous_release_are_still_offered(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    record = {"version": 1, "text": "old format", "source_path": None, "saved_at": 5.0, "pid": dead.pid}
    (tmp_path / "legacy.json").write_text(json.dumps(record), encoding="utf-8")
    (recovered,) = RecoveryStore(tmp_path).pending()
    assert (recovered.text, recovered.encoding, recovered.newline) == ("old format", "utf-8", "\n")
    RecoveryStore(tmp_path).discard("legacy")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_recovery_files_are_private_and_no_temporary_files_remain(tmp_path):
    tmp_path = tmp_path / "recovery"
    store = RecoveryStore(tmp_path)
    store.save("doc", "secret", None)
    assert [path.name for path in tmp_path.iterdir()] == ["doc.recovery"]
    assert stat.S_IMODE((tmp_path / "doc.recovery").stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize(
    "content",
    [
        b"{not json\ntext",
        b"no header line at all",
        b'\xff\xfe not utf-8\n',
        b"[1, 2, 3]\ntext",
        b'{"version": 3, "source_path": null}\ntext',
        b'{"version": 2, "source_path": 5, "encoding": "utf-8", "newline": "\\n", "saved_at": 1,'
        b' "instance": "", "pid": 1}\ntext',
        b'{"version": 2, "source_path": null, "encoding": "utf-8", "newline": "x", "saved_at": 1,'
        b' "instance": "", "pid": 1}\ntext',
        b'{"version": 2, "source_path": null, "encoding": "utf-8", "newline": "\\n", "saved_at": 1,'
        b' "instance": "", "pid": 1, "stamp": {"size": "big"}}\ntext',
        b'{"version": 2, "source_path": null, "encoding": "utf-8", "newline": "\\n", "saved_at": 1,'
        b' "instance": "", "pid": 1}\n\xff\xfe',
        b"[" * 100_000 + b"\ntext",
    ],
)
def test_a_damaged_recovery_file_is_skipped_with_a_warning(tmp_path, caplog, content):
    folder = tmp_path / "recovery"
    _crashed_writer(folder, "good", "keep me")
    (folder / "bad.recovery").write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="gpt2_studio.core.documents.recovery"):
        pending = RecoveryStore(folder).pending()
    assert [document.doc_id for document in pending] == ["good"]
    assert "bad.recovery" in caplog.text


def test_a_failed_save_is_reported_not_raised(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    store = RecoveryStore(blocker / "recovery")
    with caplog.at_level(logging.WARNING, logger="gpt2_studio.core.documents.recovery"):
        assert store.save("doc", "text", None) is False
    assert "Could not write the recovery file" in caplog.text
    with pytest.raises((FileExistsError, NotADirectoryError)):
        store.write("doc", "text", None)


def test_ids_cannot_escape_the_folder(tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    with pytest.raises(ValueError, match="doc_id"):
        store.save("../evil", "x", None)
    assert not (tmp_path / "evil.recovery").exists()

"""Crash recovery: work left by a dead instance is offered back; a running instance's work is not."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys

import pytest

from gpt2_studio.core.recovery import RecoveredDocument, RecoveryStore


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _pretend_written_by(store: RecoveryStore, doc_id: str, pid: int, saved_at: float | None = None) -> None:
    """Rewrite a recovery file as if another process had saved it."""
    path = store.folder / f"{doc_id}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["pid"] = pid
    if saved_at is not None:
        record["saved_at"] = saved_at
    path.write_text(json.dumps(record), encoding="utf-8")


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


def test_work_of_a_crashed_instance_is_pending(tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    doc_id = store.new_doc_id()
    assert store.save(doc_id, "Unsaved 🐉 words\r\n", str(tmp_path / "story.txt"))
    dead = _dead_pid()
    _pretend_written_by(store, doc_id, dead)

    (recovered,) = store.pending()
    assert isinstance(recovered, RecoveredDocument)
    assert recovered.doc_id == doc_id
    assert recovered.text == "Unsaved 🐉 words\r\n"
    assert recovered.source_path == str(tmp_path / "story.txt")
    assert recovered.pid == dead
    assert recovered.saved_at > 0


def test_own_work_is_not_pending(tmp_path):
    store = RecoveryStore(tmp_path)
    store.save(store.new_doc_id(), "mine", None)
    assert store.pending() == []


def test_work_of_another_running_instance_is_not_pending(tmp_path):
    store = RecoveryStore(tmp_path)
    doc_id = store.new_doc_id()
    store.save(doc_id, "theirs", None)
    _pretend_written_by(store, doc_id, os.getppid())  # the process that started the tests is alive
    assert store.pending() == []


def test_pending_is_newest_first_and_untitled_documents_have_no_path(tmp_path):
    store = RecoveryStore(tmp_path)
    dead = _dead_pid()
    for doc_id, saved_at in [("old", 1000.0), ("newest", 3000.0), ("middle", 2000.0)]:
        store.save(doc_id, doc_id, None)
        _pretend_written_by(store, doc_id, dead, saved_at)
    pending = store.pending()
    assert [document.doc_id for document in pending] == ["newest", "middle", "old"]
    assert all(document.source_path is None for document in pending)


def test_saving_again_replaces_the_copy_and_discard_forgets_it(tmp_path):
    store = RecoveryStore(tmp_path)
    store.save("doc", "first", None)
    store.save("doc", "second", "/some/file.txt")
    _pretend_written_by(store, "doc", _dead_pid())
    assert [document.text for document in store.pending()] == ["second"]

    store.discard("doc")
    assert store.pending() == []
    assert list(tmp_path.iterdir()) == []
    store.discard("doc")  # discarding twice is harmless


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_recovery_files_are_private_and_no_temporary_files_remain(tmp_path):
    store = RecoveryStore(tmp_path)
    store.save("doc", "secret", None)
    assert [path.name for path in tmp_path.iterdir()] == ["doc.json"]
    assert stat.S_IMODE((tmp_path / "doc.json").stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"version": 2, "text": "from the future", "source_path": null, "saved_at": 1, "pid": 1}',
        b'{"version": 1, "text": 5, "source_path": null, "saved_at": 1, "pid": 1}',
        b'{"version": 1, "text": "x", "source_path": null, "saved_at": "noon", "pid": 1}',
        b'{"version": 1, "text": "x", "source_path": null, "saved_at": 1}',
    ],
)
def test_a_damaged_recovery_file_is_skipped_with_a_warning(tmp_path, caplog, content):
    store = RecoveryStore(tmp_path)
    store.save("good", "keep me", None)
    _pretend_written_by(store, "good", _dead_pid())
    (tmp_path / "bad.json").write_bytes(content)

    with caplog.at_level(logging.WARNING, logger="gpt2_studio.core.recovery"):
        pending = store.pending()
    assert [document.doc_id for document in pending] == ["good"]
    assert "bad.json" in caplog.text


def test_a_failed_save_is_reported_not_raised(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    store = RecoveryStore(blocker / "recovery")
    with caplog.at_level(logging.WARNING, logger="gpt2_studio.core.recovery"):
        assert store.save("doc", "text", None) is False
    assert "Could not write the recovery file" in caplog.text


def test_ids_cannot_escape_the_folder(tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    with pytest.raises(ValueError, match="doc_id"):
        store.save("../evil", "x", None)
    assert not (tmp_path / "evil.json").exists()

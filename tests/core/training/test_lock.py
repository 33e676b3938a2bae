"""One run per name: a second one is refused while the first runs; a dead run's lock does not block."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from gpt2_studio.core.training.corpus import TrainingError
from gpt2_studio.core.training.lock import lock_path, run_lock


def _write_lock(name: str, pid: int, started: float | None = None) -> None:
    path = lock_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "started": started}), encoding="utf-8")


def test_a_lock_held_by_a_live_process_refuses_with_one_sentence():
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock("mine", other.pid)
        refusal = rf"A run named 'mine' is already going on \(process {other.pid}\)"
        with pytest.raises(TrainingError, match=refusal), run_lock("mine"):
            pass
        assert lock_path("mine").exists()  # the holder's lock is left alone
    finally:
        other.kill()
        other.wait()


def test_a_dead_processs_lock_is_taken_over_and_removed_at_the_end():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _write_lock("mine", dead.pid)
    with run_lock("mine"):
        assert json.loads(lock_path("mine").read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert not lock_path("mine").exists()


def test_a_reused_process_id_does_not_keep_a_lock():
    _write_lock("mine", os.getppid(), started=1.0)  # a live process, but not the one that wrote the lock
    with run_lock("mine"):
        pass


def test_the_same_thread_nests_and_another_thread_is_refused():
    errors: list[Exception] = []
    with run_lock("mine"):
        with run_lock("mine"):
            pass
        assert lock_path("mine").exists()  # the inner block does not release the outer one

        def other() -> None:
            try:
                with run_lock("mine"):
                    pass
            except TrainingError as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        with run_lock("other-name"):  # another name is another lock
            pass
    assert len(errors) == 1
    assert "already going on" in str(errors[0])
    assert not lock_path("mine").exists()

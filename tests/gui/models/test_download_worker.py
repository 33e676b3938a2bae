"""The download worker on its own, against the hub stand-in: signals, cancel, retry, failure, stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt2_studio.core.models.store import installed_folder, list_installed
from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint
from gpt2_studio.gui.models.download_worker import DownloadWorker
from tests.hub_stand_in import HubStandIn, serve_tiny_gpt2

WEIGHTS = "model.safetensors"


@pytest.fixture
def online(hub_stand_in: HubStandIn, monkeypatch: pytest.MonkeyPatch) -> HubStandIn:
    """The stand-in hub reached through HF_ENDPOINT, downloads allowed."""
    monkeypatch.setenv("HF_ENDPOINT", hub_stand_in.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return hub_stand_in


@pytest.fixture
def make_worker(qtbot):
    """DownloadWorkers that record their signals; each is stopped after the test and its thread checked."""
    workers: list[DownloadWorker] = []

    def make(name: str = "gpt2") -> tuple[DownloadWorker, dict[str, list]]:
        worker = DownloadWorker(name)
        seen: dict[str, list] = {"planned": [], "progress": [], "finished": [], "failed": [], "cancelled": []}
        worker.planned.connect(seen["planned"].append)
        worker.progress.connect(seen["progress"].append)
        worker.finished.connect(seen["finished"].append)
        worker.failed.connect(seen["failed"].append)
        worker.cancelled.connect(lambda: seen["cancelled"].append(True))
        workers.append(worker)
        return worker, seen

    yield make
    for worker in workers:
        worker.stop()
        assert not worker.is_running()


def ended(seen: dict[str, list]) -> int:
    return len(seen["finished"]) + len(seen["failed"]) + len(seen["cancelled"])


def test_a_download_plans_reports_progress_and_finishes_once(online, tmp_path, make_worker, qtbot):
    serve_tiny_gpt2(online, tmp_path)
    worker, seen = make_worker()
    assert worker.start()
    qtbot.waitUntil(lambda: ended(seen) > 0, timeout=30_000)
    assert seen["finished"] == [str(installed_folder("gpt2"))]
    assert seen["failed"] == seen["cancelled"] == []
    (plan,) = seen["planned"]
    assert plan.repo_id == "openai-community/gpt2"
    done = [p.done_bytes for p in seen["progress"]]
    assert done == sorted(done)
    assert done[-1] == seen["progress"][-1].total_bytes == plan.total_bytes  # the last report is kept
    assert not worker.is_running()
    assert "pytorch_model.bin" not in online.fetched_files()


def test_a_damaged_file_fails_with_one_sentence(online, tmp_path, make_worker, qtbot):
    serve_tiny_gpt2(online, tmp_path)
    online.corrupt(WEIGHTS)
    worker, seen = make_worker()
    worker.start()
    qtbot.waitUntil(lambda: ended(seen) > 0, timeout=30_000)
    (message,) = seen["failed"]
    assert "model.safetensors arrived damaged" in message
    assert "checksum" in message
    assert "\n" not in message
    assert seen["finished"] == seen["cancelled"] == []
    assert installed_folder("gpt2") is None


def test_downloads_switched_off_fail_clearly_without_a_plan(make_worker, qtbot):
    worker, seen = make_worker()  # tests/conftest.py sets HF_HUB_OFFLINE=1
    worker.start()
    qtbot.waitUntil(lambda: ended(seen) > 0, timeout=10_000)
    (message,) = seen["failed"]
    assert "HF_HUB_OFFLINE" in message
    assert seen["planned"] == []


@pytest.fixture
def slow(online: HubStandIn, tmp_path: Path) -> HubStandIn:
    """A 6.6 MB GPT-2 whose weights arrive at 2 MB/s, in several of huggingface_hub's 1 MB chunks."""
    online.add_repo("openai-community/gpt2", build_tiny_checkpoint(tmp_path / "larger", n_embd=256, n_head=4))
    online.throttle(2_000_000, WEIGHTS)
    return online


def test_cancel_mid_file_reports_cancelled_and_a_second_start_completes(slow, make_worker, qtbot):
    worker, seen = make_worker()
    worker.start()
    qtbot.waitUntil(lambda: any(p.file == WEIGHTS for p in seen["progress"]), timeout=30_000)
    assert not worker.start()  # one attempt at a time
    worker.cancel()
    qtbot.waitUntil(lambda: ended(seen) > 0, timeout=10_000)
    assert seen["cancelled"] == [True]
    assert seen["finished"] == seen["failed"] == []
    assert not worker.is_running()
    assert list_installed() == []

    slow.throttle(None, WEIGHTS)
    assert worker.start()
    qtbot.waitUntil(lambda: ended(seen) > 1, timeout=30_000)
    assert seen["finished"] == [str(installed_folder("gpt2"))]
    assert slow.fetched_files().count("generation_config.json") == 1  # verified files were kept


def test_stop_waits_for_the_thread_and_drops_what_the_attempt_still_had_queued(slow, make_worker, qtbot):
    worker, seen = make_worker()
    worker.start()
    qtbot.waitUntil(lambda: any(p.file == WEIGHTS for p in seen["progress"]), timeout=30_000)
    worker.stop()
    assert not worker.is_running()
    reported = len(seen["progress"])
    qtbot.wait(300)  # let anything still queued arrive: none of it may be delivered
    assert ended(seen) == 0
    assert len(seen["progress"]) == reported
    assert installed_folder("gpt2") is None

"""Downloading GPT-2 from the Hugging Face Hub, against a local stand-in that speaks the hub's API.

The stand-in (tests/hub_stand_in.py) serves a tiny real checkpoint plus the decoy formats real GPT-2
repos carry, and can cut, corrupt, slow down or refuse transfers.
"""

from __future__ import annotations

import json
import threading

import pytest

from gpt2_studio.core.models import downloads
from gpt2_studio.core.models.downloads import (
    MODEL_FILES,
    DownloadCancelled,
    DownloadError,
    download_model,
    plan_download,
)
from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.store import PARTIAL_DIR, installed_folder, list_installed
from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint
from tests.core.models.conftest import REPO
from tests.hub_stand_in import serve_tiny_gpt2


def test_the_plan_lists_only_the_needed_files_with_sizes_and_checksums(hub):
    plan = plan_download("gpt2")
    assert plan.name == "gpt2"
    assert plan.repo_id == REPO
    assert len(plan.revision) == 40
    names = {f.name for f in plan.files}
    assert names <= set(MODEL_FILES)
    assert {"config.json", "model.safetensors", "vocab.json", "merges.txt"} <= names
    weights = next(f for f in plan.files if f.name == "model.safetensors")
    assert weights.sha256 == hub.files(REPO)["model.safetensors"].sha256
    assert plan.total_bytes == sum(hub.files(REPO)[name].size for name in names)


def test_a_full_download_reports_progress_and_installs_a_loadable_model(hub):
    reports = []
    folder = download_model(plan_download("gpt2"), progress=reports.append)
    assert folder == installed_folder("gpt2")
    assert load_model("gpt2", precision="fp32").folder == folder
    fetched = set(hub.fetched_files())
    assert fetched <= set(MODEL_FILES)
    assert "pytorch_model.bin" not in fetched
    assert not any(name.startswith("onnx/") for name in fetched)
    done = [r.done_bytes for r in reports]
    assert done == sorted(done)
    assert reports[-1].done_bytes == reports[-1].total_bytes
    assert json.loads((folder / ".gpt2-studio.json").read_text())["repo_id"] == REPO
    assert not (folder.parent / PARTIAL_DIR / "gpt2").exists()


def test_cancel_leaves_no_model_and_a_retry_fetches_only_what_is_missing(hub, tmp_path):
    # Weights of several megabytes, so that progress (every megabyte) arrives mid-file.
    big = build_tiny_checkpoint(tmp_path / "bigger", n_embd=256, n_head=4)
    hub.add_repo(REPO, big)
    assert (big / "model.safetensors").stat().st_size > 3_000_000
    hub.throttle(4_000_000, "model.safetensors")
    cancel = threading.Event()

    def cancel_midway(progress):
        if progress.file == "model.safetensors" and progress.done_bytes > 0:
            cancel.set()

    plan = plan_download("gpt2")
    with pytest.raises(DownloadCancelled, match="cancelled"):
        download_model(plan, progress=cancel_midway, cancel=cancel)
    assert installed_folder("gpt2") is None
    assert list_installed() == []
    fetched_before = hub.fetched_files()
    hub.clear_faults()
    download_model(plan)
    assert installed_folder("gpt2") is not None
    refetched = hub.fetched_files()[len(fetched_before) :]
    assert "model.safetensors" in refetched
    assert (installed_folder("gpt2") / "model.safetensors").read_bytes() == (
        big / "model.safetensors"
    ).read_bytes()
    finished_first_time = [name for name in fetched_before if name != "model.safetensors"]
    assert not set(finished_first_time) & set(refetched), "verified files are kept for the retry"


def test_a_connection_cut_for_good_fails_cleanly_and_a_retry_succeeds(hub):
    hub.cut_connection_after("model.safetensors", 1000, times=50)
    plan = plan_download("gpt2")
    with pytest.raises(DownloadError, match="connection to the hub failed while fetching model.safetensors"):
        download_model(plan)
    assert installed_folder("gpt2") is None
    hub.clear_faults()
    assert download_model(plan) == installed_folder("gpt2")


def test_a_connection_cut_once_is_resumed_within_the_same_download(hub):
    hub.cut_connection_after("model.safetensors", 1000, times=1)
    folder = download_model(plan_download("gpt2"))
    assert (folder / "model.safetensors").read_bytes() == hub.files(REPO)["model.safetensors"].data
    assert hub.fetched_files().count("model.safetensors") == 2


def test_a_corrupted_file_is_caught_by_its_checksum(hub):
    hub.corrupt("model.safetensors")
    with pytest.raises(DownloadError, match="model.safetensors arrived damaged"):
        download_model(plan_download("gpt2"))
    assert installed_folder("gpt2") is None


def test_not_enough_disk_space_is_refused_before_fetching(hub, monkeypatch):
    import shutil

    usage = shutil.disk_usage("/")
    monkeypatch.setattr(downloads.shutil, "disk_usage", lambda _path: usage._replace(free=1000))
    with pytest.raises(DownloadError, match=r"Not enough disk space: the download needs .* GB"):
        download_model(plan_download("gpt2"))
    assert "model.safetensors" not in hub.fetched_files()


def test_offline_mode_is_explained(hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE"):
        plan_download("gpt2")


def test_an_unreachable_hub_is_explained(monkeypatch, hub_stand_in):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(DownloadError, match="Could not reach the Hugging Face Hub"):
        plan_download("gpt2")


def test_a_repo_that_does_not_exist(hub):
    with pytest.raises(DownloadError, match="someone/nothing was not found on the Hugging Face Hub"):
        plan_download("someone/nothing")


def test_a_repo_that_is_not_gpt2_is_refused(hub, tmp_path):
    folder = serve_tiny_gpt2(hub, tmp_path, "someone/llama-ish", decoys=False)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "llama"
    (folder / "config.json").write_text(json.dumps(config))
    hub.add_repo("someone/llama-ish", folder)
    with pytest.raises(DownloadError, match="someone/llama-ish is a llama model, not GPT-2"):
        plan_download("someone/llama-ish")


def test_a_repo_with_only_pickle_weights_is_refused(hub, tmp_path):
    folder = serve_tiny_gpt2(hub, tmp_path, "someone/old-gpt2")
    (folder / "model.safetensors").unlink()
    hub.add_repo("someone/old-gpt2", folder)
    with pytest.raises(DownloadError, match="has no model.safetensors .*only pickle weights"):
        plan_download("someone/old-gpt2")


def test_a_gated_repo_needs_a_token_and_works_with_one(hub):
    hub.require_token(REPO, "hf_secret")
    with pytest.raises(DownloadError, match="needs permission"):
        plan_download("gpt2")
    plan = plan_download("gpt2", token="hf_secret")
    with pytest.raises(DownloadError, match="needs permission"):
        download_model(plan)
    assert download_model(plan, token="hf_secret") == installed_folder("gpt2")


def test_any_repo_id_downloads_under_a_folder_name(hub, tmp_path):
    serve_tiny_gpt2(hub, tmp_path, "someone/gpt2-poetry", decoys=False)
    plan = plan_download("someone/gpt2-poetry")
    assert plan.name == "someone--gpt2-poetry"
    download_model(plan)
    assert load_model("someone/gpt2-poetry", precision="fp32").name == "someone/gpt2-poetry"


def test_a_server_error_is_reported_with_its_status(hub):
    plan = plan_download("gpt2")
    hub.fail("/resolve/", 503, method="GET")
    with pytest.raises(DownloadError, match=r"The hub answered 503 Service Unavailable for config.json"):
        download_model(plan)
    assert installed_folder("gpt2") is None

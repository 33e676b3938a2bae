"""The hub stand-in answers huggingface_hub 2.4's real client the way huggingface.co does.

These tests also pin down what huggingface_hub itself does on a cut connection, a corrupt file and HTTP
errors, because the model downloader is built on those behaviours.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, RepoFile, RepoFolder, constants, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import tqdm as hub_tqdm

from tests.hub_stand_in import HubStandIn, git_blob_id, hub_stand_in, serve_tiny_gpt2, use_stand_in_hub

__all__ = ["hub_stand_in"]  # the fixture is used through pytest, not by name

REPO = "openai-community/gpt2"
WANTED = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]


@pytest.fixture
def hub(hub_stand_in: HubStandIn) -> HubStandIn:
    """The importable fixture, under a shorter name."""
    return hub_stand_in


@pytest.fixture
def repo(hub: HubStandIn, tmp_path: Path) -> Path:
    """The folder served as REPO: a tiny GPT-2 plus the decoys pytorch_model.bin and onnx/model.onnx."""
    return serve_tiny_gpt2(hub, tmp_path, REPO)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_model_info_reports_commit_sizes_and_sha256(hub: HubStandIn, repo: Path) -> None:
    api = HfApi(endpoint=hub.url)
    info = api.model_info(REPO, revision="main", files_metadata=True)
    siblings = {s.rfilename: s for s in info.siblings or []}
    assert info.sha == api.model_info(REPO).sha  # /api/models/{id} and /api/models/{id}/revision/main agree
    assert set(siblings) >= {*WANTED, "pytorch_model.bin", "onnx/model.onnx"}
    weights = siblings["model.safetensors"]
    assert weights.size == (repo / "model.safetensors").stat().st_size
    assert weights.lfs is not None
    assert weights.lfs.sha256 == _sha256(repo / "model.safetensors")
    config = siblings["config.json"]
    assert config.lfs is None
    assert config.blob_id == git_blob_id((repo / "config.json").read_bytes())


def test_paths_info_and_tree_list_files_like_the_hub(hub: HubStandIn, repo: Path) -> None:
    api = HfApi(endpoint=hub.url)
    entries = api.get_paths_info(
        REPO, ["model.safetensors", "config.json", "missing.txt", "onnx"], revision="main"
    )
    by_path = {entry.path: entry for entry in entries}
    assert set(by_path) == {"model.safetensors", "config.json", "onnx"}  # missing paths are left out
    weights = by_path["model.safetensors"]
    assert isinstance(weights, RepoFile)
    assert weights.lfs is not None
    assert (weights.size, weights.lfs.sha256) == (
        (repo / "model.safetensors").stat().st_size,
        _sha256(repo / "model.safetensors"),
    )
    assert isinstance(by_path["onnx"], RepoFolder)
    assert ("POST", f"/api/models/{REPO}/paths-info/main") in [(r.method, r.path) for r in hub.requests]

    top = {entry.path for entry in api.list_repo_tree(REPO)}
    everything = {entry.path for entry in api.list_repo_tree(REPO, recursive=True)}
    assert "onnx" in top
    assert "onnx/model.onnx" not in top
    assert "onnx/model.onnx" in everything


def test_hf_hub_download_is_byte_identical_over_plain_http(
    hub: HubStandIn, repo: Path, tmp_path: Path
) -> None:
    target = tmp_path / "download"
    for name in ("model.safetensors", "config.json"):
        path = hf_hub_download(REPO, name, revision="main", local_dir=target, endpoint=hub.url)
        assert Path(path).read_bytes() == (repo / name).read_bytes()
    assert [(r.method, r.path.rsplit("/", 1)[1]) for r in hub.requests] == [
        ("HEAD", "model.safetensors"),
        ("GET", "model.safetensors"),
        ("HEAD", "config.json"),
        ("GET", "config.json"),
    ]  # no Xet token request: the stand-in sends no X-Xet-Hash, so hf_xet stays out

    cached = Path(hf_hub_download(REPO, "vocab.json", endpoint=hub.url))  # the cache layout, not local_dir
    assert cached.read_bytes() == (repo / "vocab.json").read_bytes()
    assert cached.is_relative_to(constants.HF_HUB_CACHE)
    assert cached.parent.name == HfApi(endpoint=hub.url).model_info(REPO).sha  # snapshots/<commit>/


def test_lfs_redirect_to_a_cdn_drops_the_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_stand_in_hub(monkeypatch, tmp_path)
    with HubStandIn(redirect_lfs=True) as hub:
        repo = serve_tiny_gpt2(hub, tmp_path, REPO, decoys=False)
        hub.require_token(REPO, "hf_secret")
        path = hf_hub_download(
            REPO, "model.safetensors", local_dir=tmp_path / "d", endpoint=hub.url, token="hf_secret"
        )
        assert Path(path).read_bytes() == (repo / "model.safetensors").read_bytes()
        cdn = [r for r in hub.requests if r.path.startswith("/cdn-lfs/")]
        assert len(cdn) == 1
        assert "authorization" not in cdn[0].headers
        assert hub.fetched_files() == ["model.safetensors"]


def test_a_cut_connection_is_resumed_with_a_range_request(
    hub: HubStandIn, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """huggingface_hub retries a short body within the call (after 1 s), asking for the missing bytes.

    It resumes from the last whole chunk it wrote: constants.DOWNLOAD_CHUNK_SIZE (10 MB) by default,
    so a cut inside the first 10 MB restarts from byte 0 with no Range header.
    """
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    hub.cut_connection_after("model.safetensors", 10_000)
    path = hf_hub_download(REPO, "model.safetensors", local_dir=tmp_path / "d", endpoint=hub.url)
    assert Path(path).read_bytes() == (repo / "model.safetensors").read_bytes()
    gets = [r for r in hub.requests if r.method == "GET"]
    assert [r.headers.get("range") for r in gets] == [None, "bytes=8192-"]


def test_repeated_cuts_without_progress_raise_a_network_error(
    hub: HubStandIn, repo: Path, tmp_path: Path
) -> None:
    """Six empty bodies in a row exhaust the 5 retries: the httpx error escapes, not an HfHubHTTPError."""
    hub.cut_connection_after("config.json", 0, times=6)
    with pytest.raises(httpx2.RemoteProtocolError):
        hf_hub_download(REPO, "config.json", local_dir=tmp_path / "d", endpoint=hub.url)
    assert hub.fetched_files() == ["config.json"] * 6
    assert not (tmp_path / "d" / "config.json").exists()


def test_a_corrupt_body_of_the_right_size_goes_unnoticed(hub: HubStandIn, repo: Path, tmp_path: Path) -> None:
    """huggingface_hub checks the byte count only: the caller must compare the sha256 itself."""
    hub.corrupt("model.safetensors")
    path = Path(hf_hub_download(REPO, "model.safetensors", local_dir=tmp_path / "d", endpoint=hub.url))
    (expected,) = HfApi(endpoint=hub.url).get_paths_info(REPO, ["model.safetensors"])
    assert isinstance(expected, RepoFile)
    assert expected.lfs is not None
    assert path.stat().st_size == expected.size
    assert _sha256(path) != expected.lfs.sha256


def test_throttle_slows_a_transfer_that_a_progress_hook_can_cancel(
    hub: HubStandIn, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Cancelled(Exception):
        pass

    class CancellingTqdm(hub_tqdm):
        def update(self, n: float | None = 1) -> bool | None:
            raise Cancelled

    size = (repo / "model.safetensors").stat().st_size
    hub.throttle(size, "model.safetensors")  # one second for the whole file
    started = time.monotonic()
    hf_hub_download(REPO, "model.safetensors", local_dir=tmp_path / "slow", endpoint=hub.url)
    assert time.monotonic() - started >= 0.8

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 4096)  # progress arrives per chunk
    started = time.monotonic()
    with pytest.raises(Cancelled):
        hf_hub_download(
            REPO,
            "model.safetensors",
            local_dir=tmp_path / "cancel",
            endpoint=hub.url,
            tqdm_class=CancellingTqdm,
        )
    assert time.monotonic() - started < 0.8
    assert not (tmp_path / "cancel" / "model.safetensors").exists()


def test_missing_repo_file_and_revision_raise_the_hub_errors(
    hub: HubStandIn, repo: Path, tmp_path: Path
) -> None:
    api = HfApi(endpoint=hub.url)
    local = tmp_path / "d"
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing")
    with pytest.raises(RepositoryNotFoundError):
        api.get_paths_info("nobody/nothing", ["config.json"])
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody/nothing", "config.json", local_dir=local, endpoint=hub.url)
    with pytest.raises(RemoteEntryNotFoundError) as missing_file:
        hf_hub_download(REPO, "tf_model.h5", local_dir=local, endpoint=hub.url)
    assert isinstance(missing_file.value, EntryNotFoundError)
    with pytest.raises(RevisionNotFoundError):
        api.model_info(REPO, revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(REPO, "config.json", revision="no-such-branch", local_dir=local, endpoint=hub.url)
    with pytest.raises(RevisionNotFoundError):
        api.get_paths_info(REPO, ["config.json"], revision="no-such-branch")


def test_a_gated_repo_needs_the_token(hub: HubStandIn, repo: Path, tmp_path: Path) -> None:
    hub.require_token(REPO, "hf_right")
    assert HfApi(endpoint=hub.url).model_info(REPO).gated == "auto"  # metadata stays public
    with pytest.raises(GatedRepoError):
        hf_hub_download(REPO, "config.json", local_dir=tmp_path / "a", endpoint=hub.url)
    with pytest.raises(HfHubHTTPError) as wrong:
        hf_hub_download(REPO, "config.json", local_dir=tmp_path / "b", endpoint=hub.url, token="hf_wrong")
    assert wrong.value.response.status_code == 401
    assert not isinstance(wrong.value, GatedRepoError)
    path = hf_hub_download(REPO, "config.json", local_dir=tmp_path / "c", endpoint=hub.url, token="hf_right")
    assert Path(path).read_bytes() == (repo / "config.json").read_bytes()
    assert hub.requests[-1].headers["authorization"] == "Bearer hf_right"


def test_http_errors_on_get_raise_and_a_transient_head_error_is_retried(
    hub: HubStandIn, repo: Path, tmp_path: Path
) -> None:
    hub.fail("config.json", 503, method="GET")
    with pytest.raises(HfHubHTTPError) as unavailable:  # 5xx on the body GET: no retry
        hf_hub_download(REPO, "config.json", local_dir=tmp_path / "a", endpoint=hub.url)
    assert unavailable.value.response.status_code == 503

    hub.clear_faults()
    hub.fail("vocab.json", 500, method="HEAD", times=1)
    path = hf_hub_download(REPO, "vocab.json", local_dir=tmp_path / "b", endpoint=hub.url)
    assert Path(path).read_bytes() == (repo / "vocab.json").read_bytes()
    assert [r.method for r in hub.requests if r.path.endswith("vocab.json")] == ["HEAD", "HEAD", "GET"]


def test_snapshot_download_with_exact_names_fetches_only_those(
    hub: HubStandIn, repo: Path, tmp_path: Path
) -> None:
    target = tmp_path / "snapshot"
    snapshot_download(REPO, local_dir=target, allow_patterns=WANTED, endpoint=hub.url)
    got = {
        p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file() and ".cache" not in p.parts
    }
    assert got == set(WANTED)
    for name in WANTED:
        assert (target / name).read_bytes() == (repo / name).read_bytes()
    assert sorted(hub.fetched_files()) == sorted(WANTED)
    assert not any("pytorch_model.bin" in r.path or "onnx/" in r.path for r in hub.requests)


def test_offline_mode_is_fixed_when_huggingface_hub_is_imported(
    hub: HubStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HF_HUB_OFFLINE is read once, at import: setting it later changes nothing, so patch the constant."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not constants.is_offline_mode()


def test_requests_are_recorded_quietly_and_the_server_stops_cleanly(
    capfd: pytest.CaptureFixture[str],
) -> None:
    before = set(threading.enumerate())
    with HubStandIn() as hub:
        response = httpx2.get(f"{hub.url}/api/models/nobody/nothing", headers={"X-Probe": "1"})
        url = hub.url
    assert response.status_code == 404
    assert response.headers["X-Error-Code"] == "RepoNotFound"
    assert hub.requests[0].method == "GET"
    assert hub.requests[0].headers["x-probe"] == "1"
    assert set(threading.enumerate()) <= before
    assert capfd.readouterr().err == ""
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(url)


def _resolve_url(hub: HubStandIn, filename: str) -> str:
    return f"{hub.url}/{REPO}/resolve/main/{filename}"


def test_a_body_without_content_length_ends_with_the_connection(hub: HubStandIn, repo: Path) -> None:
    hub.omit_content_length("model.safetensors", times=1)
    response = httpx2.get(_resolve_url(hub, "model.safetensors"))
    assert "content-length" not in response.headers
    assert response.content == (repo / "model.safetensors").read_bytes()
    assert "content-length" in httpx2.get(_resolve_url(hub, "model.safetensors")).headers


def test_extra_bytes_follow_the_file_and_count_in_the_announced_length(hub: HubStandIn, repo: Path) -> None:
    data = (repo / "vocab.json").read_bytes()
    hub.send_extra("vocab.json", 1000, times=1)
    response = httpx2.get(_resolve_url(hub, "vocab.json"))
    assert int(response.headers["content-length"]) == len(data) + 1000
    assert response.content[: len(data)] == data
    assert len(response.content) == len(data) + 1000
    assert hub.sent_bytes("vocab.json") == len(data) + 1000


def test_range_requests_are_recorded_and_can_be_ignored(hub: HubStandIn, repo: Path) -> None:
    data = (repo / "model.safetensors").read_bytes()
    partial = httpx2.get(_resolve_url(hub, "model.safetensors"), headers={"Range": "bytes=100-"})
    assert partial.status_code == 206
    assert partial.headers["content-range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    assert partial.content == data[100:]
    hub.ignore_range("model.safetensors", times=1)
    whole = httpx2.get(_resolve_url(hub, "model.safetensors"), headers={"Range": "bytes=100-"})
    assert whole.status_code == 200
    assert whole.content == data
    assert hub.range_requests("model.safetensors") == ["bytes=100-", "bytes=100-"]


def test_a_raw_answer_replaces_a_route(hub: HubStandIn, repo: Path) -> None:
    hub.answer_raw("/api/models/", b"[[[", status=200, times=1)
    assert httpx2.get(f"{hub.url}/api/models/{REPO}").content == b"[[["
    assert httpx2.get(f"{hub.url}/api/models/{REPO}").json()["id"] == REPO

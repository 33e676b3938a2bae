"""Downloads against a misbehaving hub: honest sentences, bounded bytes, and resuming after a kill.

Everything runs against the real HTTP stand-in (tests/hub_stand_in.py) on 127.0.0.1; the kill test kills
a real download process mid-weights and checks that the next run asks for the rest with a Range request.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpt2_studio.core.models.downloads import DownloadError, download_model, plan_download
from gpt2_studio.core.models.store import PARTIAL_DIR, installed_folder, list_installed, models_root
from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint
from tests.core.models.conftest import REPO
from tests.hub_stand_in import serve_tiny_gpt2

WEIGHTS = "model.safetensors"


@pytest.fixture(scope="module")
def larger(tmp_path_factory) -> Path:
    """A 6.6 MB GPT-2, so that a transfer can be caught half-way."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("larger") / "gpt2", n_embd=256, n_head=4)


def _one_sentence(message: str) -> None:
    assert "\n" not in message
    assert "force_download" not in message
    assert "Traceback" not in message
    assert message.endswith(".")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            500,
            "The hub answered 500 Internal Server Error for model.safetensors: the problem is on the server",
        ),
        (502, "The hub answered 502 Bad Gateway for model.safetensors: the problem is on the server"),
        (503, "The hub answered 503 Service Unavailable for model.safetensors"),
        (429, "The hub answered 429 Too Many Requests for model.safetensors: wait a minute and try again."),
        (403, "The hub answered 403 Forbidden for model.safetensors: the access token lacks permission"),
        (404, "The hub answered 404 Not Found for model.safetensors, which it had just listed"),
        (418, "The hub answered 418 I'm a Teapot for model.safetensors; try again later"),
    ],
)
def test_an_http_error_says_what_the_hub_answered_and_what_to_do(hub, status, expected):
    plan = plan_download("gpt2")
    hub.fail(f"/{WEIGHTS}", status, method="GET")
    with pytest.raises(DownloadError) as caught:
        download_model(plan)
    assert str(caught.value).startswith(expected)
    _one_sentence(str(caught.value))
    assert installed_folder("gpt2") is None
    hub.clear_faults()
    assert download_model(plan) == installed_folder("gpt2")
    assert hub.fetched_files().count("config.json") == 2, "config.json is fetched once per plan only"


@pytest.mark.parametrize(
    ("route", "status", "expected"),
    [
        ("/api/models/", 500, "The hub answered 500 Internal Server Error for the file list of " + REPO),
        ("/api/models/", 429, "The hub answered 429 Too Many Requests for the file list of " + REPO),
        ("/api/models/", 403, "The hub answered 403 Forbidden for the file list of " + REPO),
        ("/resolve/", 500, f"The hub answered 500 Internal Server Error for {REPO}'s config.json"),
        ("/resolve/", 429, f"The hub answered 429 Too Many Requests for {REPO}'s config.json"),
    ],
)
def test_planning_errors_say_what_the_hub_answered(hub, route, status, expected):
    hub.fail(route, status)
    with pytest.raises(DownloadError) as caught:
        plan_download("gpt2")
    assert str(caught.value).startswith(expected)
    _one_sentence(str(caught.value))


def test_a_wrong_token_is_called_a_wrong_token(hub):
    hub.require_token(REPO, "hf_right")
    plan = plan_download("gpt2", token="hf_right")
    with pytest.raises(DownloadError, match="The hub refused the access token for openai-community/gpt2"):
        download_model(plan, token="hf_wrong")


@pytest.mark.parametrize("announce", [False, True], ids=["no-content-length", "false-content-length"])
def test_a_body_longer_than_listed_is_cut_off_at_once(hub, larger, announce):
    hub.add_repo(REPO, larger)
    size = hub.files(REPO)[WEIGHTS].size
    extra = 40 * 1024 * 1024
    plan = plan_download("gpt2")
    hub.send_extra(WEIGHTS, extra)
    if not announce:
        hub.omit_content_length(WEIGHTS)
    with pytest.raises(
        DownloadError, match=rf"The hub sent more than the {size:,} bytes it listed for {WEIGHTS}"
    ):
        download_model(plan)
    partial = models_root() / PARTIAL_DIR / "gpt2"
    assert all(p.stat().st_size <= size for p in partial.iterdir() if p.is_file())
    # The client hung up long before the junk ended (socket buffers hold a few megabytes at most).
    deadline = time.monotonic() + 10
    while hub.sent_bytes(WEIGHTS) < size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.sent_bytes(WEIGHTS) < size + extra // 2
    hub.clear_faults()
    assert download_model(plan) == installed_folder("gpt2")


def test_a_body_without_content_length_but_the_right_size_is_accepted(hub):
    hub.omit_content_length(WEIGHTS)
    hub.omit_content_length("config.json")
    folder = download_model(plan_download("gpt2"))
    assert (folder / WEIGHTS).read_bytes() == hub.files(REPO)[WEIGHTS].data


def test_a_server_that_ignores_range_sends_the_whole_file_and_it_is_still_right(hub):
    hub.cut_connection_after(WEIGHTS, 1000, times=1)
    hub.ignore_range(WEIGHTS, times=2)  # the first GET has no Range; the resumed one's is ignored
    folder = download_model(plan_download("gpt2"))
    assert (folder / WEIGHTS).read_bytes() == hub.files(REPO)[WEIGHTS].data
    ranges = hub.range_requests(WEIGHTS)
    assert ranges[0] == ""
    assert ranges[1].startswith("bytes=")


def test_a_dropped_connection_resumes_from_the_bytes_already_saved(hub):
    hub.cut_connection_after(WEIGHTS, 5000, times=2)
    folder = download_model(plan_download("gpt2"))
    assert (folder / WEIGHTS).read_bytes() == hub.files(REPO)[WEIGHTS].data
    assert hub.range_requests(WEIGHTS) == ["", "bytes=5000-", "bytes=10000-"]


_DOWNLOAD = """
from gpt2_studio.core.models.downloads import download_model, plan_download
download_model(plan_download("gpt2"))
"""


def test_a_killed_download_resumes_the_weights_with_a_range_request(hub, larger, tmp_path):
    hub.add_repo(REPO, larger)
    size = hub.files(REPO)[WEIGHTS].size
    hub.throttle(1_000_000, WEIGHTS)
    partial = models_root() / PARTIAL_DIR / "gpt2" / (WEIGHTS + ".incomplete")
    env = {
        **os.environ,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_TOKEN_PATH": str(tmp_path / "no-token"),
        "HF_HUB_OFFLINE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", _DOWNLOAD], env=env, cwd=Path(__file__).parents[3], stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not (partial.exists() and partial.stat().st_size > 1_000_000):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the download never got going"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stderr:
            process.stderr.close()
    saved = partial.stat().st_size
    assert 0 < saved < size
    assert installed_folder("gpt2") is None
    assert list_installed() == []
    hub.clear_faults()
    before = len(hub.range_requests(WEIGHTS))
    folder = download_model(plan_download("gpt2"))
    assert hub.range_requests(WEIGHTS)[before:] == [f"bytes={saved}-"]
    assert (folder / WEIGHTS).read_bytes() == (larger / WEIGHTS).read_bytes()
    assert not partial.exists()


@pytest.mark.parametrize(
    ("config", "pattern"),
    [
        (b"[1, 2]", "config.json is not a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "config.json is nested more than"),
        (b'{"model_type": "gpt2", "n_layer": 1000000000}', "invalid n_layer"),
        (b'{"model_type": "gpt2", "activation_function": "nope"}', "unknown activation_function"),
        (b'"gpt2"', "config.json is not a JSON object"),
    ],
)
def test_a_repo_with_a_hostile_config_is_refused_before_the_weights(hub, tmp_path, config, pattern):
    folder = serve_tiny_gpt2(hub, tmp_path, "someone/odd", decoys=False)
    (folder / "config.json").write_bytes(config)
    hub.add_repo("someone/odd", folder)
    with pytest.raises(DownloadError, match=pattern) as caught:
        plan_download("someone/odd")
    _one_sentence(str(caught.value))
    assert WEIGHTS not in hub.fetched_files()


@pytest.mark.parametrize(
    "repo_id", ["a/..", "../a", "a/.", "a/b/c", "a--b/c", "a/b..c", "/a", "a/", "a b/c", "é/x"]
)
def test_a_malformed_repo_id_is_one_sentence(hub, repo_id):
    with pytest.raises(DownloadError, match="nor a Hugging Face repo id like owner/name") as caught:
        plan_download(repo_id)
    _one_sentence(str(caught.value))
    assert hub.requests == []


def test_a_listed_size_beyond_the_disk_is_refused_before_fetching(hub):
    plan = plan_download("gpt2")
    from dataclasses import replace

    huge = replace(plan, files=tuple(replace(f, size=10**15) if f.name == WEIGHTS else f for f in plan.files))
    with pytest.raises(DownloadError, match="Not enough disk space"):
        download_model(huge)
    assert WEIGHTS not in hub.fetched_files()


def test_the_manifest_records_where_the_model_came_from(hub):
    folder = download_model(plan_download("gpt2"))
    manifest = json.loads((folder / ".gpt2-studio.json").read_text())
    assert manifest["repo_id"] == REPO
    assert not any(name.endswith(".incomplete") for name in os.listdir(folder))


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b"{not json", b'{"siblings": "x"}'],
    ids=["deep", "broken", "odd"],
)
def test_a_garbled_answer_from_the_hub_api_is_one_sentence(hub, body):
    hub.answer_raw("/api/models/", body)
    with pytest.raises(DownloadError) as caught:
        plan_download("gpt2")
    _one_sentence(str(caught.value))


def test_a_local_write_failure_is_not_blamed_on_the_network(hub):
    plan = plan_download("gpt2")
    staging = models_root() / PARTIAL_DIR / "gpt2"
    staging.mkdir(parents=True)
    (staging / ".revision").write_text(plan.revision)
    (staging / (WEIGHTS + ".incomplete")).mkdir()  # cannot be opened for writing
    with pytest.raises(
        DownloadError, match=rf"Could not save {WEIGHTS} in {staging}: Is a directory"
    ) as caught:
        download_model(plan)
    _one_sentence(str(caught.value))
    assert "connection" not in str(caught.value)


def test_cancel_while_waiting_to_retry_is_a_cancel(hub):
    import threading

    from gpt2_studio.core.models.downloads import DownloadCancelled

    hub.cut_connection_after(WEIGHTS, 1000, times=50)
    cancel = threading.Event()
    timer = threading.Timer(0.05, cancel.set)
    plan = plan_download("gpt2")
    timer.start()
    try:
        with pytest.raises(DownloadCancelled):
            download_model(plan, cancel=cancel)
    finally:
        timer.join()

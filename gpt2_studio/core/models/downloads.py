"""Download a GPT-2 model from the Hugging Face Hub: only the files it needs, verified, all or nothing.

The hub's API (huggingface_hub) says which files there are, with sizes and checksums; each file is then
fetched into ``<models>/.partial/<name>`` (hub_transfer: resumable with Range requests, never more bytes
than listed), checked against its sha256 (or git blob id), and the folder is renamed into place only
once every file is whole and the checkpoint validates. An interrupted or killed download leaves nothing
that looks like a model; the next attempt keeps the verified files and resumes the partial one.
The hub's exceptions become one-sentence DownloadErrors in hub_errors.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gpt2_studio import paths
from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.jsonio import JsonFileError, loads_bounded
from gpt2_studio.core.models.catalog import find_catalog_model
from gpt2_studio.core.models.checkpoint import CONFIG_FILE, CONFIG_MAX_BYTES, WEIGHTS_FILE, check_config
from gpt2_studio.core.models.hub_errors import (
    DownloadCancelled,
    DownloadError,
    hub_endpoint,
    hub_offline,
    hub_session,
    translate_hub_errors,
)
from gpt2_studio.core.models.hub_transfer import (
    RemoteFile,
    fetch_bytes,
    fetch_file,
    file_matches,
)
from gpt2_studio.core.models.store import (
    check_model_name,
    models_root,
    move_into_place,
    partial_folder,
    write_manifest,
)

if TYPE_CHECKING:  # huggingface_hub loads only when a download starts
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)

# Exact names: huggingface_hub's patterns use fnmatch, where "*" also matches "/" (onnx/, flax/ …).
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "merges.txt",
)
PICKLE_ONLY_HINT = "pytorch_model.bin"
DISK_MARGIN_BYTES = 50_000_000
PARTIAL_SUFFIX = ".incomplete"
_CHUNK = 1024 * 1024
# The hub's own rule for repo ids: owner/name, letters, digits, "-", "_", ".", no "--" or "..".
_REPO_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")


@dataclass(frozen=True)
class DownloadPlan:
    """What will be downloaded: from which commit, which files, how many bytes."""

    name: str
    repo_id: str
    revision: str
    files: tuple[RemoteFile, ...]

    @property
    def total_bytes(self) -> int:
        """Bytes of all the files together."""
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class DownloadProgress:
    """A progress report: bytes so far, speed, and time left."""

    file: str
    done_bytes: int
    total_bytes: int
    bytes_per_second: float
    seconds_left: float | None


def usable_token(token: str | None) -> str | None:
    """A token as typed, trimmed; empty means none. Raises DownloadError for one no header can carry."""
    token = (token or "").strip()
    if token and not all("!" <= char <= "~" for char in token):
        raise DownloadError(
            "The access token holds spaces or characters a token never has; copy it again from the "
            "Hugging Face website (Settings → Access Tokens)."
        )
    return token or None


def _api(token: str | None) -> HfApi:
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_endpoint(), token=token)


def resolve_repo(name_or_repo: str) -> tuple[str, str]:
    """(folder name, repo id) for a catalog name or an ``owner/name`` repo id."""
    entry = find_catalog_model(name_or_repo)
    if entry is not None:
        return entry.name, entry.repo_id
    repo_id = name_or_repo.strip()
    parts = repo_id.split("/")
    if (
        len(parts) != 2
        or not all(_REPO_PART.fullmatch(part) for part in parts)
        or "--" in repo_id
        or ".." in repo_id
    ):
        raise DownloadError(
            f"{name_or_repo[:200]!r} is neither a known model (gpt2, gpt2-medium, gpt2-large, gpt2-xl, "
            "distilgpt2) nor a Hugging Face repo id like owner/name (letters, digits, '-', '_' and '.')."
        )
    return check_model_name(repo_id.replace("/", "--")), repo_id


def _file_url(repo_id: str, filename: str, revision: str) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(repo_id, filename, revision=revision, endpoint=hub_endpoint())


def _headers(token: str | None) -> dict[str, str]:
    from huggingface_hub.utils import build_hf_headers

    return dict(build_hf_headers(token=token))


def _check_remote_config(repo_id: str, commit: str, token: str | None) -> None:
    """Fetch config.json (small, bounded) and refuse a repo that is not a sane GPT-2 before any weights."""
    what = f"{repo_id}'s config.json"
    raw = fetch_bytes(
        _file_url(repo_id, CONFIG_FILE, commit), _headers(token), what, repo_id, CONFIG_MAX_BYTES
    )
    try:
        config = loads_bounded(raw, what, max_bytes=CONFIG_MAX_BYTES, max_depth=16)
    except JsonFileError as exc:
        raise DownloadError(f"{exc} It is not a model GPT-2 Studio can use.") from None
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if isinstance(model_type, str) and model_type and model_type != "gpt2":
        raise DownloadError(f"{repo_id} is a {model_type[:80]} model, not GPT-2.")
    try:
        check_config(config, repo_id)
    except ModelError as exc:
        raise DownloadError(f"{exc} It cannot be used, so nothing was downloaded.") from None


def plan_download(name_or_repo: str, *, token: str | None = None, revision: str = "main") -> DownloadPlan:
    """Ask the hub what the model's files are; refuse repos that are not GPT-2 or have no safetensors."""
    name, repo_id = resolve_repo(name_or_repo)
    token = usable_token(token)
    if hub_offline():
        raise DownloadError("Downloads are off because HF_HUB_OFFLINE is set; unset it to download.")
    hub_endpoint()  # before huggingface_hub's import reads it
    from huggingface_hub.hf_api import RepoFile

    api = _api(token)
    with hub_session(), translate_hub_errors(repo_id):
        info = api.model_info(repo_id, revision=revision)
        commit = info.sha or revision
        listed = {s.rfilename for s in (info.siblings or [])}
        entries = api.get_paths_info(repo_id, list(MODEL_FILES), revision=commit)
        files = tuple(
            RemoteFile(e.path, e.size, e.lfs.sha256 if e.lfs else None, e.blob_id)
            for e in entries
            if isinstance(e, RepoFile) and e.path in MODEL_FILES and isinstance(e.size, int) and e.size >= 0
        )
        names = {f.name for f in files}
        if CONFIG_FILE not in names:
            raise DownloadError(f"{repo_id} has no config.json, so it is not a Transformers model.")
        if WEIGHTS_FILE not in names:
            pickle = (
                " (it has only pickle weights, which GPT-2 Studio does not load)"
                if PICKLE_ONLY_HINT in listed
                else ""
            )
            raise DownloadError(f"{repo_id} has no {WEIGHTS_FILE}{pickle}.")
        if "tokenizer.json" not in names and not {"vocab.json", "merges.txt"} <= names:
            raise DownloadError(f"{repo_id} has no tokenizer files.")
        _check_remote_config(repo_id, commit, token)
    return DownloadPlan(name=name, repo_id=repo_id, revision=commit, files=files)


class _Meter:
    """Adds up bytes across files and threads; computes speed over the last few seconds."""

    def __init__(
        self, total: int, report: Callable[[DownloadProgress], None] | None, cancel: threading.Event
    ):
        self.total = total
        self.done = 0
        self.file = ""
        self.report = report
        self.cancel = cancel
        self.lock = threading.Lock()
        self.samples: deque[tuple[float, int]] = deque(maxlen=64)
        self.last_report = 0.0

    def add(self, n: int, *, force: bool = False) -> None:
        if self.cancel.is_set():
            raise DownloadCancelled(
                "The download was cancelled; the files already fetched are kept for a retry."
            )
        now = time.monotonic()
        with self.lock:
            self.done += n
            self.samples.append((now, self.done))
            while len(self.samples) > 2 and now - self.samples[0][0] > 3.0:
                self.samples.popleft()
            if self.report is None or (not force and now - self.last_report < 0.1):
                return
            self.last_report = now
            (t0, b0), (t1, b1) = self.samples[0], self.samples[-1]
            speed = (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
            left = (self.total - self.done) / speed if speed > 0 else None
            progress = DownloadProgress(self.file, self.done, self.total, speed, left)
        self.report(progress)


def check_disk_space(folder: Path, needed: int) -> None:
    """Refuse to start when the disk cannot hold the download."""
    free = shutil.disk_usage(folder).free
    if free < needed + DISK_MARGIN_BYTES:
        raise DownloadError(
            f"Not enough disk space: the download needs {needed / 1e9:.2f} GB but only {free / 1e9:.2f} GB "
            f"are free on the disk that holds {folder}."
        )


def download_model(
    plan: DownloadPlan,
    *,
    token: str | None = None,
    progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Fetch, verify and install the planned files; return the model's folder."""
    try:
        return _download(plan, usable_token(token), progress, cancel or threading.Event())
    except OSError as exc:  # the models folder itself: permissions, a full disk mid-way
        raise DownloadError(
            f"Could not write the model into {paths.models_dir()}: {exc.strerror or exc}; "
            "the download can be retried."
        ) from exc


def _download(
    plan: DownloadPlan,
    token: str | None,
    progress: Callable[[DownloadProgress], None] | None,
    cancel: threading.Event,
) -> Path:
    if hub_offline():
        raise DownloadError("Downloads are off because HF_HUB_OFFLINE is set; unset it to download.")
    staging = partial_folder(plan.name)
    if staging.is_symlink() or (staging.exists() and not staging.is_dir()):
        staging.unlink()  # not ours to resume from
    staging.mkdir(parents=True, exist_ok=True)
    marker = staging / ".revision"
    try:
        same = marker.is_file() and marker.read_bytes().strip() == plan.revision.encode()
    except OSError:
        same = False
    if not same:
        shutil.rmtree(staging)  # a different revision (or something unknown) was half-fetched: start over
        staging.mkdir(parents=True)
        marker.write_text(plan.revision, encoding="utf-8")
    kept = [f for f in plan.files if file_matches(staging / f.name, f)]
    missing = [f for f in plan.files if f not in kept]
    resumable = sum(_partial_size(staging, f) for f in missing)
    check_disk_space(models_root(), sum(f.size for f in missing) - resumable)
    meter = _Meter(plan.total_bytes, progress, cancel)
    meter.add(sum(f.size for f in kept), force=True)
    headers = _headers(token)
    with hub_session(), translate_hub_errors(plan.repo_id):
        for remote in missing:
            meter.file = remote.name
            partial = staging / (remote.name + PARTIAL_SUFFIX)
            (staging / remote.name).unlink(missing_ok=True)
            resumed = _partial_size(staging, remote) > 0
            for _attempt in range(2 if resumed else 1):
                fetch_file(
                    _file_url(plan.repo_id, remote.name, plan.revision),
                    partial,
                    remote.size,
                    headers,
                    what=remote.name,
                    repo_id=plan.repo_id,
                    on_bytes=meter.add,
                    cancel=cancel,
                )
                if file_matches(partial, remote):
                    break
                # The saved part may be of an older file (the repo changed since): once more from byte 0.
                meter.add(-partial.stat().st_size)
                partial.unlink(missing_ok=True)
            if not file_matches(partial, remote):
                partial.unlink(missing_ok=True)
                raise DownloadError(
                    f"{remote.name} arrived damaged (its size or checksum differs from what the hub "
                    "reports); try the download again."
                )
            partial.replace(staging / remote.name)
            meter.add(0, force=True)
    marker.unlink(missing_ok=True)
    try:
        from gpt2_studio.core.models.checkpoint import inspect_checkpoint

        inspect_checkpoint(staging)
    except ModelError as exc:
        raise DownloadError(f"The downloaded {plan.repo_id} is not a usable GPT-2 checkpoint: {exc}") from exc
    write_manifest(staging, repo_id=plan.repo_id, revision=plan.revision, files=[f.name for f in plan.files])
    return move_into_place(staging, plan.name)


def _partial_size(staging: Path, remote: RemoteFile) -> int:
    try:
        size = (staging / (remote.name + PARTIAL_SUFFIX)).stat().st_size
    except OSError:
        return 0
    return size if size <= remote.size else 0

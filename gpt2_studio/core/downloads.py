"""Download a GPT-2 model from the Hugging Face Hub: only the files it needs, verified, all or nothing.

Files are fetched with huggingface_hub into ``<models>/.partial/<name>``, each checked against the size
and sha256 (or git blob id) the hub reports, and the folder is renamed into place only once every file
is whole and the checkpoint validates. An interrupted download leaves nothing that looks like a model;
the next attempt keeps the files that were already verified and fetches the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.catalog import find_catalog_model
from gpt2_studio.core.checkpoint import CONFIG_FILE, WEIGHTS_FILE
from gpt2_studio.core.errors import ModelError, StudioError
from gpt2_studio.core.model_store import (
    check_model_name,
    models_root,
    move_into_place,
    partial_folder,
    write_manifest,
)

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
_CHUNK = 1024 * 1024


class DownloadError(StudioError):
    """A download could not be planned or completed; the message says why and what to do."""


class DownloadCancelled(DownloadError):
    """The user cancelled; verified files are kept for the next attempt."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a repo as the hub describes it."""

    name: str
    size: int
    sha256: str | None  # LFS files
    git_oid: str | None  # git's blob id (sha1 of "blob <size>\\0" + content)


@dataclass(frozen=True)
class DownloadPlan:
    """What will be downloaded: from which commit, which files, how many bytes."""

    name: str
    repo_id: str
    revision: str
    files: tuple[RemoteFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class DownloadProgress:
    """A progress report: bytes so far, speed, and time left."""

    file: str
    done_bytes: int
    total_bytes: int
    bytes_per_second: float
    seconds_left: float | None


def hub_endpoint() -> str | None:
    """HF_ENDPOINT (a mirror), read now rather than when huggingface_hub was imported."""
    return os.environ.get("HF_ENDPOINT") or None


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@contextlib.contextmanager
def _hub_errors(repo_id: str) -> Iterator[None]:
    """Turn huggingface_hub's and the network's exceptions into one sentence each."""
    from huggingface_hub import errors

    try:
        yield
    except DownloadError:
        raise
    except errors.GatedRepoError as exc:
        raise DownloadError(
            f"{repo_id} needs permission: accept its terms on the Hugging Face website "
            "and give an access token."
        ) from exc
    except errors.RepositoryNotFoundError as exc:
        raise DownloadError(
            f"{repo_id} was not found on the Hugging Face Hub "
            "(check the name; a private repo needs an access token)."
        ) from exc
    except errors.RevisionNotFoundError as exc:
        raise DownloadError(f"{repo_id} has no such revision.") from exc
    except errors.EntryNotFoundError as exc:
        raise DownloadError(f"{repo_id} is missing a file it listed ({exc}).") from exc
    except errors.OfflineModeIsEnabled as exc:
        raise DownloadError("Downloads are off because HF_HUB_OFFLINE is set; unset it to download.") from exc
    except errors.HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        code = f" (HTTP {status})" if status else ""
        raise DownloadError(
            f"The Hugging Face Hub answered with an error{code} for {repo_id}; try again later."
        ) from exc
    except OSError as exc:
        raise DownloadError(
            f"Could not reach the Hugging Face Hub ({exc.__class__.__name__}: {exc}); "
            "check the internet connection."
        ) from exc
    except Exception as exc:  # httpx's transport errors are not OSErrors
        if type(exc).__module__.startswith(("httpx", "httpcore", "requests", "urllib3")):
            raise DownloadError(
                f"Could not reach the Hugging Face Hub ({exc.__class__.__name__}); "
                "check the internet connection."
            ) from exc
        raise


def _api(token: str | None):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_endpoint(), token=token)


def resolve_repo(name_or_repo: str) -> tuple[str, str]:
    """(folder name, repo id) for a catalog name or an ``owner/name`` repo id."""
    entry = find_catalog_model(name_or_repo)
    if entry is not None:
        return entry.name, entry.repo_id
    repo_id = name_or_repo.strip()
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise DownloadError(
            f"{name_or_repo!r} is neither a known model (gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2) "
            "nor a Hugging Face repo id like owner/name."
        )
    return check_model_name(repo_id.replace("/", "--")), repo_id


def plan_download(name_or_repo: str, *, token: str | None = None, revision: str = "main") -> DownloadPlan:
    """Ask the hub what the model's files are; refuse repos that are not GPT-2 or have no safetensors."""
    name, repo_id = resolve_repo(name_or_repo)
    if _offline():
        raise DownloadError("Downloads are off because HF_HUB_OFFLINE is set; unset it to download.")
    api = _api(token)
    with _hub_session(), _hub_errors(repo_id):
        info = api.model_info(repo_id, revision=revision)
        commit = info.sha or revision
        listed = {s.rfilename for s in (info.siblings or [])}
        entries = api.get_paths_info(repo_id, list(MODEL_FILES), revision=commit)
        files = tuple(
            RemoteFile(e.path, e.size, e.lfs.sha256 if e.lfs else None, e.blob_id)
            for e in entries
            if e.path in MODEL_FILES and hasattr(e, "size")
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
        with tempfile.TemporaryDirectory(prefix="gpt2-studio-config-") as scratch:
            config_path = api.hf_hub_download(repo_id, CONFIG_FILE, revision=commit, local_dir=scratch)
            try:
                model_type = json.loads(Path(config_path).read_text(encoding="utf-8")).get("model_type")
            except (OSError, ValueError) as exc:
                raise DownloadError(f"{repo_id}'s config.json cannot be read ({exc}).") from exc
    if model_type != "gpt2":
        raise DownloadError(f"{repo_id} is a {model_type or 'unknown'} model, not GPT-2.")
    return DownloadPlan(name=name, repo_id=repo_id, revision=commit, files=files)


def file_matches(path: Path, remote: RemoteFile) -> bool:
    """Whether a file on disk is exactly the one the hub described (size, then sha256 or git blob id)."""
    try:
        if path.stat().st_size != remote.size:
            return False
        digest = hashlib.sha256() if remote.sha256 else hashlib.sha1(f"blob {remote.size}\0".encode())
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return False
    expected = remote.sha256 or remote.git_oid
    return expected is None or digest.hexdigest() == expected


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


def _tqdm_class(meter: _Meter) -> type:
    """A tqdm that feeds the meter (huggingface_hub reports bytes through tqdm) and prints nothing."""
    from huggingface_hub.utils import tqdm as hub_tqdm

    class MeterTqdm(hub_tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # A disabled tqdm skips most of its set-up (self.unit included): note what it counts first.
            self.counts_bytes = kwargs.get("unit") == "B"
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if n and self.counts_bytes:
                meter.add(int(n))
            return None

    return MeterTqdm


# huggingface_hub settings for our transfers. Plain HTTP: Xet's native threads cannot be interrupted by a
# cancel. 1 MB chunks: progress (and so a cancel) arrives every megabyte instead of every ten. No
# telemetry: with it on, the first request also goes to huggingface.co even when a mirror is set.
_HUB_SETTINGS = {
    "HF_HUB_DISABLE_XET": True,
    "HF_HUB_DISABLE_TELEMETRY": True,
    "DOWNLOAD_CHUNK_SIZE": 1024 * 1024,
}


@contextlib.contextmanager
def _hub_session() -> Iterator[None]:
    """Apply _HUB_SETTINGS to huggingface_hub (it reads them as module constants) for one operation."""
    from huggingface_hub import constants

    saved = {name: getattr(constants, name) for name in _HUB_SETTINGS}
    for name, value in _HUB_SETTINGS.items():
        setattr(constants, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(constants, name, value)


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
        return _download(plan, token, progress, cancel or threading.Event())
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
    from huggingface_hub import hf_hub_download

    if _offline():
        raise DownloadError("Downloads are off because HF_HUB_OFFLINE is set; unset it to download.")
    staging = partial_folder(plan.name)
    staging.mkdir(parents=True, exist_ok=True)
    marker = staging / ".revision"
    if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != plan.revision:
        shutil.rmtree(staging)  # a different revision was half-fetched: start over cleanly
        staging.mkdir(parents=True)
        marker.write_text(plan.revision, encoding="utf-8")
    kept = [f for f in plan.files if file_matches(staging / f.name, f)]
    missing = [f for f in plan.files if f not in kept]
    check_disk_space(models_root(), sum(f.size for f in missing))
    meter = _Meter(plan.total_bytes, progress, cancel)
    meter.add(sum(f.size for f in kept), force=True)
    with _hub_session(), _hub_errors(plan.repo_id):
        for remote in missing:
            meter.file = remote.name
            before = meter.done
            (staging / remote.name).unlink(missing_ok=True)
            try:
                hf_hub_download(
                    plan.repo_id,
                    remote.name,
                    revision=plan.revision,
                    local_dir=staging,
                    endpoint=hub_endpoint(),
                    token=token,
                    tqdm_class=_tqdm_class(meter),
                )
            except DownloadCancelled:
                shutil.rmtree(staging / ".cache", ignore_errors=True)
                raise
            if not file_matches(staging / remote.name, remote):
                (staging / remote.name).unlink(missing_ok=True)
                raise DownloadError(
                    f"{remote.name} arrived damaged (its size or checksum differs from what the hub "
                    "reports); try the download again."
                )
            meter.add(remote.size - (meter.done - before), force=True)  # count bytes the tqdm did not see
    shutil.rmtree(staging / ".cache", ignore_errors=True)
    marker.unlink(missing_ok=True)
    try:
        from gpt2_studio.core.checkpoint import inspect_checkpoint

        inspect_checkpoint(staging)
    except ModelError as exc:
        raise DownloadError(f"The downloaded {plan.repo_id} is not a usable GPT-2 checkpoint: {exc}") from exc
    write_manifest(staging, repo_id=plan.repo_id, revision=plan.revision, files=[f.name for f in plan.files])
    return move_into_place(staging, plan.name)

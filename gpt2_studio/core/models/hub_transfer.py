"""Fetch one file from the Hugging Face Hub over HTTP: resumable, bounded, and honest about errors.

huggingface_hub 2.x deletes a half-downloaded file when its process ends, so a killed download of
gpt2-xl (6.4 GB) would start again from byte 0. Here each file grows in a partial file that survives the
process; the next attempt asks only for the rest with an HTTP Range request. The hub says in advance how
large each file is, so a server that sends more (with no or a false Content-Length) is cut off at once.
The HTTP client is huggingface_hub's own session (its proxies, certificates and user agent).
"""

from __future__ import annotations

import contextlib
import hashlib
import http
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt2_studio.core.errors import StudioError

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 60.0
RETRIES = 4  # further attempts after a dropped connection, each resuming where the last stopped
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


@dataclass(frozen=True)
class RemoteFile:
    """One file of a repo as the hub describes it."""

    name: str
    size: int
    sha256: str | None  # LFS files
    git_oid: str | None  # git's blob id (sha1 of "blob <size>\\0" + content)


def file_matches(path: Path, remote: RemoteFile) -> bool:
    """Whether a file on disk is exactly the one the hub described (size, then sha256 or git blob id)."""
    try:
        if path.stat().st_size != remote.size:
            return False
        digest = hashlib.sha256() if remote.sha256 else hashlib.sha1(f"blob {remote.size}\0".encode())
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
    except OSError:
        return False
    expected = remote.sha256 or remote.git_oid
    return expected is None or digest.hexdigest() == expected


class TransferError(StudioError):
    """A file could not be fetched; the message is one sentence saying what the server did and what to do."""


class _LocalError(Exception):
    """An OSError of the local disk, wrapped so that it is not mistaken for a network failure."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class ConnectionLost(TransferError):
    """The connection failed or ended early: worth retrying, resuming from the bytes already saved."""


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "(an unknown status)"


def answer_sentence(
    status: int, what: str, repo_id: str, *, error_code: str = "", error_message: str = ""
) -> str:
    """One sentence for an HTTP error status the hub answered about ``what`` (a file name, or a request)."""
    answered = f"The hub answered {status} {_phrase(status)} for {what}"
    if status == 401 and error_message.startswith("Invalid credentials"):
        return f"The hub refused the access token for {repo_id}: check that it is right and has not expired."
    if error_code == "GatedRepo" or (status == 401 and error_code != "RepoNotFound"):
        return (
            f"{repo_id} needs permission: accept its terms on the Hugging Face website "
            "and give an access token."
        )
    if error_code == "RepoNotFound":
        return (
            f"{repo_id} was not found on the Hugging Face Hub "
            "(check the name; a private repo needs an access token)."
        )
    if error_code == "RevisionNotFound":
        return f"{repo_id} has no such revision."
    if status == 403:
        return (
            f"{answered}: the access token lacks permission for {repo_id}, or the repo is disabled; "
            "check the token and your access on the Hugging Face website."
        )
    if status == 404:
        return f"{answered}, which it had just listed: the repo may have changed, so try again."
    if status == 429:
        return f"{answered}: wait a minute and try again."
    if status >= 500:
        return f"{answered}: the problem is on the server's side, so try again later."
    return f"{answered}; try again later, or check {repo_id} on the Hugging Face website."


def _network_error(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__module__.split(".")[0] in (
        "httpx",
        "httpx2",
        "httpcore",
        "httpcore2",
        "h11",
    )


@contextlib.contextmanager
def _open(url: str, headers: dict[str, str], what: str, repo_id: str) -> Iterator[Any]:
    """A streamed GET; HTTP errors become TransferError, network failures ConnectionLost."""
    from huggingface_hub.utils import get_session

    try:
        with get_session().stream(
            "GET", url, headers=headers, follow_redirects=True, timeout=TIMEOUT_SECONDS
        ) as response:
            if response.status_code >= 400 and response.status_code != 416:
                raise TransferError(
                    answer_sentence(
                        response.status_code,
                        what,
                        repo_id,
                        error_code=response.headers.get("X-Error-Code", ""),
                        error_message=response.headers.get("X-Error-Message", ""),
                    )
                )
            yield response
    except TransferError:
        raise
    except _LocalError as exc:
        raise exc.error from None
    except Exception as exc:
        if type(exc).__name__ == "TooManyRedirects":  # httpx: a server misconfiguration, not the network
            raise TransferError(
                f"The hub sent the request for {what} round in a loop of redirects; try again later."
            ) from exc
        if not _network_error(exc):
            raise
        raise ConnectionLost(
            f"The connection to the hub failed while fetching {what} ({exc.__class__.__name__}); "
            "check the internet connection and try again: the download resumes where it stopped."
        ) from exc


def fetch_bytes(url: str, headers: dict[str, str], what: str, repo_id: str, max_bytes: int) -> bytes:
    """A small file's content, refused when the server sends more than max_bytes."""
    chunks, size = [], 0
    with _open(url, {**headers, "Accept-Encoding": "identity"}, what, repo_id) as response:
        for chunk in response.iter_bytes(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise TransferError(
                    f"The hub sent more than {max_bytes:,} bytes for {what}, far more than it should be."
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _resume_offset(response: Any, offset: int) -> int:
    """Where the body starts: ``offset`` when the server honoured the Range, 0 when it sent the whole file."""
    if response.status_code != 206:
        return 0
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if match is None or int(match.group(1)) != offset:
        raise ConnectionLost(
            "The hub answered a resumed download with the wrong part of the file; try again."
        )
    return offset


def fetch_file(
    url: str,
    partial: Path,
    size: int,
    headers: dict[str, str],
    *,
    what: str,
    repo_id: str,
    on_bytes: Callable[[int], None],
    cancel: threading.Event,
) -> None:
    """Grow ``partial`` to the file's ``size`` bytes, resuming from what it holds (Range requests).

    ``on_bytes(n)`` is called for every chunk written, and with the bytes already there before the
    first request (it may raise to cancel). Retries a dropped connection up to RETRIES times. Raises
    TransferError (one sentence) when the server errs or sends more bytes than ``size``; the partial
    file is kept for the next attempt except when its content cannot be trusted.
    """
    try:
        _fetch_with_retries(url, partial, size, headers, what, repo_id, on_bytes, cancel)
    except OSError as exc:  # the local disk, not the network (those errors arrive as ConnectionLost)
        raise TransferError(
            f"Could not save {what} in {partial.parent}: {exc.strerror or exc}; free some disk space or "
            "fix the folder's permissions, then try again: the download resumes where it stopped."
        ) from exc


def _fetch_with_retries(
    url: str,
    partial: Path,
    size: int,
    headers: dict[str, str],
    what: str,
    repo_id: str,
    on_bytes: Callable[[int], None],
    cancel: threading.Event,
) -> None:
    reported = False
    for attempt in range(RETRIES + 1):
        offset = partial.stat().st_size if partial.exists() else 0
        if offset > size:
            partial.unlink()
            offset = 0
        if not reported:
            on_bytes(offset)
            reported = True
        if offset == size:
            return
        try:
            _fetch_rest(url, partial, offset, size, headers, what, repo_id, on_bytes)
            return
        except ConnectionLost:
            if attempt == RETRIES:
                raise
            if cancel.wait(0.2 * (attempt + 1)):
                on_bytes(0)  # the caller's hook raises its own "cancelled" error
                raise
            log.info("Connection lost while fetching %s; resuming (attempt %d)", what, attempt + 2)


def _fetch_rest(
    url: str,
    partial: Path,
    offset: int,
    size: int,
    headers: dict[str, str],
    what: str,
    repo_id: str,
    on_bytes: Callable[[int], None],
) -> None:
    request = {**headers, "Accept-Encoding": "identity"}
    if offset:
        request["Range"] = f"bytes={offset}-"
    with _open(url, request, what, repo_id) as response:
        if response.status_code == 416 and not offset:  # nothing was asked to resume: a plain error
            raise TransferError(answer_sentence(416, what, repo_id))
        if response.status_code == 416:  # the saved part no longer fits the file: start over
            partial.unlink(missing_ok=True)
            raise ConnectionLost(f"The hub could not resume {what}; it is fetched again from the start.")
        start = _resume_offset(response, offset) if offset else 0
        if offset and start == 0:
            on_bytes(-offset)  # the server ignored the Range: the whole file comes again
        written = start
        try:
            out = partial.open("r+b" if start else "wb")
        except OSError as exc:
            raise _LocalError(exc) from exc
        with out:
            out.seek(start)
            out.truncate()
            for chunk in response.iter_bytes():  # as received: a buffered chunk would be lost on a cut
                if written + len(chunk) > size:
                    out.close()
                    partial.unlink(missing_ok=True)
                    raise TransferError(
                        f"The hub sent more than the {size:,} bytes it listed for {what}, so the download "
                        "was stopped; try again later."
                    )
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise _LocalError(exc) from exc
                written += len(chunk)
                on_bytes(len(chunk))
    if written < size:
        raise ConnectionLost(
            f"The connection to the hub ended after {written:,} of {size:,} bytes of {what}; "
            "check the internet connection and try again: the download resumes where it stopped."
        )

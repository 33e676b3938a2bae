"""A local stand-in for the Hugging Face Hub's HTTP API: downloader tests run offline and can break things.

It serves the routes huggingface_hub 2.4 calls for model repos (model info, paths-info, tree, HEAD and GET
on /resolve) with the headers its client reads, answers errors with the `X-Error-Code` values that
`hf_raise_for_status` maps to exception classes, and can cut, corrupt, slow down or fail a transfer on demand.
It never sends Xet headers, so huggingface_hub takes its plain HTTP download path.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

logger = logging.getLogger(__name__)

# What GPT-2 repos track with Git LFS (their .gitattributes); the Hub refuses plain git files above 10 MB.
LFS_SUFFIXES = frozenset(
    {".bin", ".ckpt", ".gguf", ".h5", ".msgpack", ".onnx", ".ot", ".pt", ".pth", ".safetensors", ".tflite"}
)
LFS_THRESHOLD = 10 * 1024 * 1024
_DATE = "2024-01-01T00:00:00.000Z"
_FLIP_EVERY_BYTE = bytes(range(255, -1, -1))  # a translate table: same length, different content
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)


def git_blob_id(data: bytes) -> str:
    """Git's object id of a blob: the Hub reports it as `oid`/`blobId`, and as the ETag of plain files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class RecordedRequest(NamedTuple):
    """One request as the stand-in received it: the raw path (query included), header names lower-cased."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class HubFile:
    """One file at one commit, with the ids the Hub reports for it (LFS files: sha256 and pointer size)."""

    path: str
    data: bytes
    sha256: str
    blob_id: str
    pointer_size: int | None  # None for a plain git file

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> HubFile:
        sha256 = hashlib.sha256(data).hexdigest()
        if Path(path).suffix not in LFS_SUFFIXES and len(data) <= LFS_THRESHOLD:
            return cls(path, data, sha256, git_blob_id(data), None)
        # Git stores the LFS pointer, so the blob id and pointerSize are the pointer's.
        pointer = (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {len(data)}\n".encode()
        )
        return cls(path, data, sha256, git_blob_id(pointer), len(pointer))

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_lfs(self) -> bool:
        return self.pointer_size is not None

    def tree_entry(self) -> dict[str, Any]:
        """The entry of /tree and /paths-info (huggingface_hub's RepoFile)."""
        entry: dict[str, Any] = {"type": "file", "oid": self.blob_id, "size": self.size, "path": self.path}
        if self.is_lfs:
            entry["lfs"] = {"oid": self.sha256, "size": self.size, "pointerSize": self.pointer_size}
        return entry

    def sibling(self, blobs: bool) -> dict[str, Any]:
        """The entry of model_info's `siblings` (sizes and ids only with `?blobs=true`)."""
        if not blobs:
            return {"rfilename": self.path}
        sibling: dict[str, Any] = {"rfilename": self.path, "size": self.size, "blobId": self.blob_id}
        if self.is_lfs:
            sibling["lfs"] = {"sha256": self.sha256, "size": self.size, "pointerSize": self.pointer_size}
        return sibling


@dataclass
class _Repo:
    branches: dict[str, str]
    commits: dict[str, dict[str, HubFile]]

    def resolve(self, revision: str) -> str | None:
        """A branch or tag name, or a full commit sha, as the Hub accepts them."""
        if revision in self.branches:
            return self.branches[revision]
        return revision if revision in self.commits else None


@dataclass
class _Fault:
    value: Any
    times: int | None  # None: for ever


def _folders(files: dict[str, HubFile]) -> set[str]:
    return {str(parent) for name in files for parent in Path(name).parents if str(parent) != "."}


def _folder_entry(commit: str, path: str) -> dict[str, Any]:
    oid = hashlib.sha1(f"{commit}:{path}".encode()).hexdigest()
    return {"type": "directory", "oid": oid, "size": 0, "path": path}


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """A single `bytes=` range as (start, end exclusive), or None when it cannot be satisfied."""
    match = _RANGE.fullmatch(value)
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size
    else:
        start, end = int(first), min(int(last) + 1, size) if last else size
    return (start, end) if start < end else None


class HubStandIn:
    """A threaded HTTP server on 127.0.0.1 that answers like huggingface.co for the model repos it holds."""

    def __init__(self, *, redirect_lfs: bool = False) -> None:
        # With redirect_lfs, /resolve answers LFS files with a 302 to a "CDN" on another origin (localhost
        # instead of 127.0.0.1), as the Hub does: the client then downloads there, without its token.
        self.redirect_lfs = redirect_lfs
        self._repos: dict[str, _Repo] = {}
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._cuts: dict[str, _Fault] = {}
        self._corruptions: dict[str, _Fault] = {}
        self._failures: dict[tuple[str, str | None], _Fault] = {}
        self._rates: dict[str | None, int] = {}
        self._no_length: dict[str, _Fault] = {}
        self._extra: dict[str, _Fault] = {}
        self._ignore_range: dict[str, _Fault] = {}
        self._sent: dict[str, int] = {}
        self._raw: dict[str, _Fault] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Life cycle ---------------------------------------------------------------------------------------
    def start(self) -> HubStandIn:
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="hub-stand-in"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end transfers in flight and join every thread, so no test leaves one running."""
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._thread.join()
        self._server.close_connections()
        self._server.server_close()  # joins the handler threads
        self._server = self._thread = None

    def __enter__(self) -> HubStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the hub stand-in is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The endpoint to pass as `endpoint=` to huggingface_hub."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def cdn_url(self) -> str:
        return f"http://localhost:{self.port}"

    # Content ------------------------------------------------------------------------------------------
    def add_repo(self, repo_id: str, folder: Path, *, revision: str = "main") -> str:
        """Serve every file under folder as model repo repo_id at `revision`; returns the fake commit sha."""
        files: dict[str, HubFile] = {}
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                files[name] = HubFile.from_bytes(name, path.read_bytes())
        digest = hashlib.sha1(f"{repo_id}\n{revision}\n".encode())
        for name, file in files.items():
            digest.update(f"{name} {file.blob_id}\n".encode())
        commit = digest.hexdigest()
        with self._lock:
            repo = self._repos.setdefault(repo_id, _Repo({}, {}))
            repo.commits[commit] = files
            repo.branches[revision] = commit
        return commit

    def files(self, repo_id: str, revision: str = "main") -> dict[str, HubFile]:
        repo = self._repos[repo_id]
        return repo.commits[repo.resolve(revision) or ""]

    def require_token(self, repo_id: str, token: str) -> None:
        """Make repo_id gated: metadata stays public, files need `Authorization: Bearer <token>`."""
        with self._lock:
            self._tokens[repo_id] = token

    # Faults -------------------------------------------------------------------------------------------
    def cut_connection_after(self, filename: str, nbytes: int, times: int = 1) -> None:
        """The next `times` GETs of filename announce the full length but hang up after nbytes of body."""
        with self._lock:
            self._cuts[filename] = _Fault(nbytes, times)

    def corrupt(self, filename: str, times: int | None = None) -> None:
        """GETs of filename send other bytes of the same length; metadata keeps the true sha256."""
        with self._lock:
            self._corruptions[filename] = _Fault(True, times)

    def throttle(self, bytes_per_second: int | None, filename: str | None = None) -> None:
        """Slow file bodies (one file, or all with filename=None) so that a test can cancel mid-transfer."""
        with self._lock:
            if bytes_per_second is None:
                self._rates.pop(filename, None)
            else:
                self._rates[filename] = max(1, bytes_per_second)

    def fail(
        self, path_substring: str, status: int, *, times: int | None = None, method: str | None = None
    ) -> None:
        """Answer requests whose path contains path_substring (and of `method`, if given) with `status`."""
        with self._lock:
            self._failures[(path_substring, method)] = _Fault(status, times)

    def answer_raw(
        self,
        path_substring: str,
        body: bytes,
        *,
        status: int = 200,
        times: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer requests whose path contains path_substring with this body (JSON content type).

        ``headers`` are sent too (a ``Location`` for a redirect, a ``Retry-After``).
        """
        with self._lock:
            self._raw[path_substring] = _Fault((status, body, headers or {}), times)

    def omit_content_length(self, filename: str, times: int | None = None) -> None:
        """GETs of filename send no Content-Length: the body ends when the connection closes."""
        with self._lock:
            self._no_length[filename] = _Fault(True, times)

    def send_extra(self, filename: str, nbytes: int, times: int | None = None) -> None:
        """GETs of filename append nbytes of junk after the file (Content-Length counts them, if sent)."""
        with self._lock:
            self._extra[filename] = _Fault(nbytes, times)

    def ignore_range(self, filename: str, times: int | None = None) -> None:
        """GETs of filename answer a Range request with the whole file (200), as some servers do."""
        with self._lock:
            self._ignore_range[filename] = _Fault(True, times)

    def sent_bytes(self, filename: str) -> int:
        """Body bytes of filename handed to the network so far, over all GETs (what a client was sent)."""
        with self._lock:
            return self._sent.get(filename, 0)

    def _count_sent(self, filename: str, nbytes: int) -> None:
        with self._lock:
            self._sent[filename] = self._sent.get(filename, 0) + nbytes

    def range_requests(self, filename: str) -> list[str]:
        """The Range headers of the GETs of filename, in order ("" for a request without one)."""
        found = []
        for request in self.requests:
            path = unquote(urlsplit(request.path).path)
            if request.method == "GET" and path.endswith("/" + filename):
                found.append(request.headers.get("range", ""))
        return found

    def clear_faults(self) -> None:
        with self._lock:
            for table in (
                self._cuts,
                self._corruptions,
                self._failures,
                self._rates,
                self._no_length,
                self._extra,
                self._ignore_range,
                self._raw,
            ):
                table.clear()

    def _take(self, table: dict[Any, _Fault], key: Any) -> Any:
        """The fault's value if one is armed for key, counting down its remaining uses."""
        with self._lock:
            fault = table.get(key)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del table[key]
            return fault.value

    def _failure_for(self, method: str, raw_path: str) -> int | None:
        path = unquote(raw_path)
        with self._lock:
            keys = [
                (text, only)
                for text, only in self._failures
                if (text in raw_path or text in path) and only in (None, method)
            ]
        return self._take(self._failures, keys[0]) if keys else None

    def _rate_for(self, filename: str) -> int | None:
        with self._lock:
            return self._rates.get(filename, self._rates.get(None))

    # Requests -----------------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def fetched_files(self, method: str = "GET") -> list[str]:
        """Repo paths requested through /resolve or the CDN, in order (repeats show retries)."""
        names = []
        for request in self.requests:
            path = urlsplit(request.path).path
            if request.method != method:
                continue
            if "/resolve/" in path:
                names.append(unquote(path.split("/resolve/", 1)[1].partition("/")[2]))
            elif path.startswith("/cdn-lfs/"):
                names.append(unquote(path.split("/", 3)[3]))
        return names

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


class _Server(http.server.ThreadingHTTPServer):
    """Joins its handler threads on close, after hanging up on any connection still open."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, hub: HubStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hub = hub
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-transfer is routine here (cancel tests): no traceback on stderr."""
        logger.debug("hub stand-in: error while serving %s", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Routes one request; every response closes its connection, so no keep-alive thread lingers."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # a silent client cannot hold a handler thread for ever
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: http.server would print every request to stderr."""

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_GET

    def _dispatch(self) -> None:
        hub = self.server.hub
        hub._record(RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            status = hub._failure_for(self.command, self.path)
            path = urlsplit(self.path).path
            raw = next((key for key in list(hub._raw) if key in path), None)
            answer = hub._take(hub._raw, raw) if raw is not None else None
            if answer is not None:
                self._reply(answer[0], answer[1], answer[2], "application/json; charset=utf-8")
            elif status is not None:
                self._error(status, f"Stand-in failure {status}")
            elif path.startswith("/api/models/"):
                self._api(path.removeprefix("/api/models/").split("/"), body)
            elif "/resolve/" in path:
                self._resolve(path)
            elif path.startswith("/cdn-lfs/"):
                self._cdn(path)
            elif path == "/api/agent-harnesses":  # huggingface_hub's user-agent probe
                self._json({"standardEnvVars": [], "harnesses": {}})
            else:
                self._error(404, "Sorry, we can't find the page you are looking for.")
        except (ConnectionError, TimeoutError):  # the client went away (a cancel): nothing left to answer
            self.close_connection = True

    # Responses ----------------------------------------------------------------------------------------
    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Connection": "close"}.items():
            self.send_header(name, value)
        self.end_headers()

    def _reply(self, status: int, body: bytes, headers: dict[str, str], content_type: str) -> None:
        self._start(status, {"Content-Type": content_type, "Content-Length": str(len(body)), **headers})
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._reply(status, json.dumps(value).encode(), headers or {}, "application/json; charset=utf-8")

    def _error(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """The Hub's error shape: `X-Error-Code` picks huggingface_hub's exception class."""
        extra = {"X-Error-Message": message, **({"X-Error-Code": code} if code else {}), **(headers or {})}
        self._json({"error": message}, status, extra)

    def _repo_not_found(self) -> None:
        self._error(404, "Repository not found", "RepoNotFound")

    def _revision_not_found(self, revision: str) -> None:
        self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    # Routes -------------------------------------------------------------------------------------------
    def _find_repo(self, segments: list[str]) -> tuple[str, _Repo, list[str]] | None:
        """Split `namespace/name/rest...` (or a legacy one-part id) on the repos being served."""
        for parts in (2, 1):
            repo_id = unquote("/".join(segments[:parts]))
            if len(segments) >= parts and repo_id in self.server.hub._repos:
                return repo_id, self.server.hub._repos[repo_id], segments[parts:]
        return None

    def _api(self, segments: list[str], body: bytes) -> None:
        found = self._find_repo(segments)
        if found is None:
            return self._repo_not_found()
        repo_id, repo, tail = found
        kind = self._api_route(tail)
        if kind is None:
            return self._error(404, "Sorry, we can't find the page you are looking for.")
        revision = unquote(tail[1]) if tail else "main"
        commit = repo.resolve(revision)
        if commit is None:
            return self._revision_not_found(revision)
        files = repo.commits[commit]
        if kind == "revision":
            return self._json(self._model_info(repo_id, commit, files))
        if kind == "paths-info":
            return self._json(self._paths_info(commit, files, body))
        return self._tree(commit, files, unquote("/".join(tail[2:])).strip("/"), revision)

    def _api_route(self, tail: list[str]) -> str | None:
        """`revision` (model info), `paths-info` or `tree`, when method and shape match the Hub's routes."""
        if not tail:
            return "revision" if self.command == "GET" else None
        method = {"revision": "GET", "paths-info": "POST", "tree": "GET"}.get(tail[0])
        if method != self.command or len(tail) < 2 or (len(tail) > 2 and tail[0] != "tree"):
            return None
        return tail[0]

    def _model_info(self, repo_id: str, commit: str, files: dict[str, HubFile]) -> dict[str, Any]:
        blobs = parse_qs(urlsplit(self.path).query).get("blobs", ["false"])[0].lower() == "true"
        try:  # a test may serve a hostile config.json: the Hub lists such repos all the same
            config = json.loads(files["config.json"].data) if "config.json" in files else {}
        except (ValueError, RecursionError):
            config = {}
        config = config if isinstance(config, dict) else {}
        return {
            "_id": commit[:24],
            "id": repo_id,
            "modelId": repo_id,
            "author": repo_id.split("/")[0] if "/" in repo_id else None,
            "sha": commit,
            "lastModified": _DATE,
            "createdAt": _DATE,
            "private": False,
            "gated": "auto" if repo_id in self.server.hub._tokens else False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "library_name": "transformers",
            "pipeline_tag": "text-generation",
            "tags": ["transformers", "safetensors", config.get("model_type", "gpt2"), "text-generation"],
            "config": {key: config[key] for key in ("architectures", "model_type") if key in config},
            "siblings": [file.sibling(blobs) for file in files.values()],
            "usedStorage": sum(file.size for file in files.values()),
        }

    def _paths_info(self, commit: str, files: dict[str, HubFile], body: bytes) -> list[dict[str, Any]]:
        """Entries for the paths that exist; the Hub silently leaves out the others."""
        if "json" in (self.headers.get("Content-Type") or ""):
            paths = json.loads(body or b"{}").get("paths", [])
            paths = [paths] if isinstance(paths, str) else paths
        else:
            paths = parse_qs(body.decode()).get("paths", [])
        folders = _folders(files)
        entries = []
        for path in (p.strip("/") for p in paths):
            if path in files:
                entries.append(files[path].tree_entry())
            elif path in folders:
                entries.append(_folder_entry(commit, path))
        return entries

    def _tree(self, commit: str, files: dict[str, HubFile], folder: str, revision: str) -> None:
        folders = _folders(files)
        if folder and folder not in folders:
            return self._error(404, f"{folder} does not exist on {revision}", "EntryNotFound")
        query = parse_qs(urlsplit(self.path).query)
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        prefix = f"{folder}/" if folder else ""

        def listed(name: str) -> bool:
            return name.startswith(prefix) and (recursive or "/" not in name[len(prefix) :])

        entries = [_folder_entry(commit, name) for name in sorted(folders) if listed(name)]
        entries += [file.tree_entry() for name, file in sorted(files.items()) if listed(name)]
        return self._json(entries)

    def _resolve(self, path: str) -> None:
        repo_part, _, rest = path.partition("/resolve/")
        repo_id = unquote(repo_part.strip("/"))
        raw_revision, _, raw_filename = rest.partition("/")
        revision, filename = unquote(raw_revision), unquote(raw_filename)
        repo = self.server.hub._repos.get(repo_id)
        if repo is None:
            return self._repo_not_found()
        if not self._authorized(repo_id):
            return None
        commit = repo.resolve(revision)
        if commit is None:
            return self._revision_not_found(revision)
        file = repo.commits[commit].get(filename)
        if file is None:  # X-Repo-Commit lets huggingface_hub cache the file's absence
            return self._error(404, "Entry not found", "EntryNotFound", {"X-Repo-Commit": commit})
        headers = {"X-Repo-Commit": commit, "ETag": f'"{file.blob_id}"', "Accept-Ranges": "bytes"}
        if file.is_lfs:
            headers.update({"X-Linked-Etag": f'"{file.sha256}"', "X-Linked-Size": str(file.size)})
            if self.server.hub.redirect_lfs:
                location = f"{self.server.hub.cdn_url}/cdn-lfs/{commit}/{quote(filename)}"
                return self._reply(302, b"", {**headers, "Location": location}, "text/plain; charset=utf-8")
            headers["ETag"] = headers["X-Linked-Etag"]
        return self._send_file(file, headers)

    def _cdn(self, path: str) -> None:
        """The signed-URL side of an LFS redirect: no token needed, no Hub headers."""
        _, _, commit, raw_filename = path.split("/", 3)
        filename = unquote(raw_filename)
        for repo in list(self.server.hub._repos.values()):
            if filename in repo.commits.get(commit, {}):
                file = repo.commits[commit][filename]
                disposition = f"attachment; filename*=UTF-8''{quote(Path(filename).name)};"
                headers = {
                    "ETag": f'"{file.sha256}"',
                    "Accept-Ranges": "bytes",
                    "Content-Disposition": disposition,
                }
                return self._send_file(file, headers)
        return self._error(404, "Not Found")

    def _authorized(self, repo_id: str) -> bool:
        """Gated-repo answers: 401 GatedRepo without a token, 401 invalid credentials with a wrong one."""
        token = self.server.hub._tokens.get(repo_id)
        sent = self.headers.get("Authorization")
        if token is None or sent == f"Bearer {token}":
            return True
        if sent is None:
            message = (
                f"Access to model {repo_id} is restricted. You must have access to it and be authenticated "
                "to access it. Please log in."
            )
            self._error(401, message, "GatedRepo")
        else:
            self._error(401, "Invalid credentials in Authorization header")
        return False

    def _send_file(self, file: HubFile, headers: dict[str, str]) -> None:
        hub = self.server.hub
        data = file.data
        get = self.command == "GET"
        if get and hub._take(hub._corruptions, file.path):
            data = data.translate(_FLIP_EVERY_BYTE)
        start, end, status = 0, file.size, 200
        whole = get and hub._take(hub._ignore_range, file.path)
        if self.headers.get("Range") and not whole:
            span = _parse_range(self.headers["Range"], file.size)
            if span is None:
                return self._error(
                    416, "Range Not Satisfiable", None, {"Content-Range": f"bytes */{file.size}"}
                )
            (start, end), status = span, 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{file.size}"
        body = bytes(memoryview(data)[start:end])
        extra = hub._take(hub._extra, file.path) if get else None
        if extra:
            body += bytes(range(256)) * (extra // 256) + bytes(extra % 256)
        length = {} if get and hub._take(hub._no_length, file.path) else {"Content-Length": str(len(body))}
        self._start(status, {**headers, "Content-Type": "application/octet-stream", **length})
        if self.command == "HEAD":
            return None
        cut = hub._take(hub._cuts, file.path) if get else None
        if cut is not None:  # the announced Content-Length stays: the client sees a short body
            body = body[:cut]
        rate = hub._rate_for(file.path)
        step = 64 * 1024 if rate is None else max(1, rate // 20)
        for offset in range(0, len(body), step):
            if rate is not None and hub._stopping.wait(0.05):
                return None
            # Counted before the write: once the client holds the bytes, the count already includes them.
            hub._count_sent(file.path, len(body[offset : offset + step]))
            self.wfile.write(body[offset : offset + step])
        return None


def use_stand_in_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Let huggingface_hub go online to the stand-in and nowhere else.

    huggingface_hub reads HF_HUB_OFFLINE, the cache and token paths and the telemetry switch once, when it is
    imported; tests/conftest.py sets the environment later, so the constants are patched as well.
    """
    from huggingface_hub import constants
    from tqdm import std

    for name in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_OIDC_RESOURCE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # With telemetry on, the first request fetches constants.ENDPOINT/api/agent-harnesses: the real Hub.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    # A developer's saved token must not reach the tests (HF_TOKEN_PATH was fixed at import).
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-hf-token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-stored-tokens"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", os.environ.get("HF_HUB_CACHE", str(tmp_path / "hf-hub")))
    # huggingface_hub's progress bars start tqdm's monitor thread, which would outlive the test.
    monkeypatch.setattr(std.tqdm, "monitor_interval", 0)


def serve_tiny_gpt2(
    hub: HubStandIn, tmp_path: Path, repo_id: str = "openai-community/gpt2", *, decoys: bool = True
) -> Path:
    """Build a tiny GPT-2 checkpoint and serve it as repo_id; with decoys, also the formats never to fetch."""
    folder = build_tiny_checkpoint(tmp_path / "hub-repos" / repo_id.replace("/", "--"))
    if decoys:  # real GPT-2 repos carry these too
        (folder / "pytorch_model.bin").write_bytes(bytes(range(256)) * 16)
        (folder / "onnx").mkdir(exist_ok=True)
        (folder / "onnx" / "model.onnx").write_bytes(bytes(range(255, -1, -1)) * 16)
    hub.add_repo(repo_id, folder)
    return folder


@pytest.fixture
def hub_stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HubStandIn]:
    """A running HubStandIn, with huggingface_hub allowed online (pass `endpoint=hub.url` explicitly)."""
    use_stand_in_hub(monkeypatch, tmp_path)
    with HubStandIn() as hub:
        yield hub

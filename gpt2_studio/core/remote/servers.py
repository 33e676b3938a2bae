"""The servers a user added: address, model, window in servers.json; API keys in the OS keyring.

A key is never written to a settings file: `keyring` keeps it in the operating system's store
(Windows Credential Manager, macOS Keychain, the Secret Service on Linux). Where keyring would fall back
to a store that is no OS keyring (keyrings.alt's files, its fail backend, any backend it rates below 1) a
key is refused rather than written to a file in plain sight. A server may instead name an environment
variable that holds its key (`api_key_env`, for the command line and headless machines).
The list has its own file beside settings.json, so the command line can add a server while the app runs
without either overwriting the other's settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gpt2_studio import paths
from gpt2_studio.core.documents.text_files import atomic_write_bytes
from gpt2_studio.core.errors import ModelError, SettingsError, StudioError
from gpt2_studio.core.jsonio import JsonFileError, read_json_file
from gpt2_studio.core.remote.client import normalise_url

if TYPE_CHECKING:
    from gpt2_studio.core.remote.engine import RemoteEngine

KEYRING_SERVICE = "gpt2-studio"
MAX_SERVERS = 100
WINDOW_RANGE = (16, 1_048_576)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Keyring backends accepted although they are no OS keyring: tests name the file keyring they set up
#: here (monkeypatch), the app never does.
accepted_keyrings: tuple[type, ...] = ()


@dataclass(frozen=True)
class SavedServer:
    """One server: its name in the app, the API's address, its model and window (None: ask the server)."""

    name: str
    url: str
    model: str | None = None
    window: int | None = None
    api_key_env: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 200:
            raise SettingsError(f"A server's name must be text of 1 to 200 characters, not {self.name!r}.")
        object.__setattr__(self, "url", normalise_url(self.url))
        if self.model is not None and (not isinstance(self.model, str) or not self.model.strip()):
            raise SettingsError(f"A server's model must be a name, not {self.model!r}.")
        low, high = WINDOW_RANGE
        window = self.window
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or not low <= window <= high
        ):
            raise SettingsError(f"A server's window must be a whole number of tokens from {low} to {high:,}.")
        if self.api_key_env is not None and not _ENV_NAME.fullmatch(str(self.api_key_env)):
            raise SettingsError(f"{self.api_key_env!r} is not an environment variable's name.")

    @property
    def keyring_user(self) -> str:
        """The key's entry in the keyring: the server's address (a key belongs to a server)."""
        return self.url


def servers_path() -> Path:
    """Where the servers list lives (beside settings.json)."""
    return paths.config_dir() / "servers.json"


def load_servers(path: Path | None = None) -> tuple[list[SavedServer], list[str]]:
    """The saved servers and warnings for the user; never raises (a bad entry is skipped and named)."""
    path = servers_path() if path is None else path
    if not path.exists():
        return [], []
    try:
        data = read_json_file(path, f"The servers file {path}")
    except JsonFileError as error:
        return [], [str(error)]
    entries = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [f"The servers file {path} has no list of servers; it was ignored."]
    servers: list[SavedServer] = []
    warnings: list[str] = []
    for entry in entries[:MAX_SERVERS]:
        try:
            if not isinstance(entry, dict):
                raise SettingsError(f"an entry must be an object, not {entry!r}.")
            servers.append(
                SavedServer(
                    name=entry.get("name"),  # type: ignore[arg-type]  # SavedServer checks each value
                    url=entry.get("url"),  # type: ignore[arg-type]
                    model=entry.get("model"),
                    window=entry.get("window"),
                    api_key_env=entry.get("api_key_env"),
                )
            )
        except (SettingsError, TypeError) as error:
            warnings.append(f"Skipped a server in {path}: {error}")
    return servers, warnings


def save_servers(servers: list[SavedServer], path: Path | None = None) -> None:
    """Write the list atomically; StudioError (one sentence) when the disk refuses."""
    path = servers_path() if path is None else path
    data: dict[str, Any] = {"version": 1, "servers": [asdict(server) for server in servers]}
    encoded = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, encoded)
    except OSError as error:
        raise StudioError(
            f"The servers list could not be saved to {path}: {error.strerror or error}."
        ) from error


def check_server_name(name: str, *, path: Path | None = None, replace: bool = False) -> str:
    """A new server's name: a plain name (as a model's), not a local model's, not taken unless replace.

    Raises SettingsError (one sentence) otherwise.
    """
    from gpt2_studio.core.models.store import check_model_name, list_installed

    try:
        check_model_name(name)
    except ModelError:
        raise SettingsError(
            f"{name!r} cannot be a server name: use letters, digits, '.', '_' or '-' (at most 100, no "
            "spaces)."
        ) from None
    if any(model.name == name for model in list_installed(include_damaged=True)):
        raise SettingsError(
            f"{name!r} is the name of a model on this computer; give the server another name."
        )
    servers, _warnings = load_servers(path)
    taken = next((saved for saved in servers if saved.name == name), None)
    if taken is not None and not replace:
        raise NameTakenError(taken)
    return name


class NameTakenError(SettingsError):
    """A new server's name is a saved server's. The sentence ends with how to replace that one, which
    each front end says its own way (`replace_hint`): the command line's --replace, the GUI's Delete."""

    def __init__(self, taken: SavedServer, replace_hint: str = "replace it (--replace)") -> None:
        self.taken = taken
        super().__init__(
            f"A server is already named {taken.name!r} ({taken.url}); choose another name, or {replace_hint}."
        )

    def hinted(self, replace_hint: str) -> NameTakenError:
        """The same refusal with another front end's way to replace the server."""
        return NameTakenError(self.taken, replace_hint)


def default_server_name(url: str) -> str:
    """The name a server gets when none is given: its host and port ("gpu-box-8000")."""
    netloc = urlsplit(normalise_url(url)).netloc
    return re.sub(r"[^A-Za-z0-9._-]+", "-", netloc).strip("-.")[:100] or "server"


def add_server(
    server: SavedServer, api_key: str | None = None, path: Path | None = None, *, replace: bool = False
) -> SavedServer:
    """Add a server (replace one of that name only when replace); its api_key goes to the keyring.

    Raises SettingsError for a name check_server_name refuses, and StudioError when a key is given and
    no OS keyring can keep it (name --api-key-env instead); nothing is saved then.
    """
    check_server_name(server.name, path=path, replace=replace)
    if api_key:
        store_api_key(server, api_key)
    servers, _warnings = load_servers(path)
    kept = [saved for saved in servers if saved.name != server.name]
    save_servers([*kept, server], path)
    return server


def remove_server(name: str, path: Path | None = None) -> None:
    """Forget a server and its key; StudioError when there is none of that name."""
    servers, _warnings = load_servers(path)
    gone = [saved for saved in servers if saved.name == name]
    if not gone:
        names = ", ".join(saved.name for saved in servers) or "none"
        raise StudioError(f"No server is named {name!r}; the servers are: {names}.")
    save_servers([saved for saved in servers if saved.name != name], path)
    import keyring
    import keyring.errors

    for server in gone:
        # No key was kept, or there is no keyring: nothing to forget.
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(KEYRING_SERVICE, server.keyring_user)


def find_server(name: str, path: Path | None = None) -> SavedServer | None:
    """The saved server called name, if any."""
    servers, _warnings = load_servers(path)
    return next((server for server in servers if server.name == name), None)


def insecure_keyring(backend: object) -> str | None:
    """Why a keyring backend is no OS keyring (its name), or None when it is one (or is accepted)."""
    from keyring.backends import chainer, fail

    if isinstance(backend, accepted_keyrings):
        return None
    if isinstance(backend, chainer.ChainerBackend):
        # The chainer stores in the first of its backends that takes the key: each must be safe.
        reasons = [insecure_keyring(member) for member in backend.backends] or ["no backend"]
        return next((reason for reason in reasons if reason), None)
    kind = type(backend)
    name = f"{kind.__module__}.{kind.__name__}"
    if isinstance(backend, fail.Keyring) or kind.__module__.startswith("keyrings.alt"):
        return name
    try:
        priority = float(getattr(backend, "priority", 0))
    except Exception:  # keyring backends report a broken setup by raising from priority
        return name
    return name if priority < 1 else None


def require_os_keyring(url: str) -> None:
    """Raise StudioError (one sentence) unless keyring would keep a key in an OS keyring."""
    import keyring

    reason = insecure_keyring(keyring.get_keyring())
    if reason is not None:
        raise StudioError(
            f"This computer has no OS keyring to keep the API key for {url} safely (keyring would use "
            f"{reason}); give the key through an environment variable instead "
            "(--api-key-env VAR, without --store-key)."
        )


def store_api_key(server: SavedServer, api_key: str) -> None:
    """Keep a server's key in the OS keyring; StudioError (one sentence) when there is none to keep it."""
    import keyring
    import keyring.errors

    require_os_keyring(server.url)
    try:
        keyring.set_password(KEYRING_SERVICE, server.keyring_user, api_key)
    except keyring.errors.KeyringError as error:
        raise StudioError(
            f"No keyring on this computer can keep the API key for {server.url} ({error}); give the key "
            "through an environment variable instead (--api-key-env VAR)."
        ) from error


def api_key_for(server: SavedServer) -> str | None:
    """The server's key: from its environment variable when it names one, else from the keyring."""
    if server.api_key_env:
        value = os.environ.get(server.api_key_env, "")
        if not value:
            raise SettingsError(
                f"The server {server.name!r} takes its API key from ${server.api_key_env}, which is not set."
            )
        return value
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, server.keyring_user)
    except keyring.errors.KeyringError:
        return None  # no keyring here: a server without a key still works


SERVER_PREFIX = "server:"  # a model reference that names a saved server ("server:gpu-box")


def server_ref(name: str) -> str:
    """The model reference the app loads a saved server by."""
    return SERVER_PREFIX + name


def connect_saved(ref: str, *, on_notice: Callable[[str], None] | None = None) -> RemoteEngine:
    """The RemoteEngine for a saved server's reference ("server:NAME"): its model, window and key.

    Tokens are counted with a GPT-2 on this computer where there is one (see remote/tokenizer.py).
    Raises StudioError (one sentence) for an unknown name, RemoteError when the server fails.
    """
    from gpt2_studio.core.remote.engine import RemoteEngine
    from gpt2_studio.core.remote.tokenizer import local_tokenizer

    name = ref.removeprefix(SERVER_PREFIX)
    server = find_server(name)
    if server is None:
        raise StudioError(f"No server is named {name!r}; add it in the model manager (Add a server…).")
    return RemoteEngine.connect(
        server.url,
        server.model,
        api_key=api_key_for(server),
        window=server.window,
        tokenizer=local_tokenizer(),
        on_notice=on_notice,
    )

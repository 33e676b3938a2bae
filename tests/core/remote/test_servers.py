"""Saved servers: the list in servers.json, each key in the keyring and never in a file of ours."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyrings.alt.file import EncryptedKeyring, PlaintextKeyring

from gpt2_studio import paths
from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.remote import servers as servers_module
from gpt2_studio.core.remote.servers import (
    KEYRING_SERVICE,
    SavedServer,
    add_server,
    api_key_for,
    default_server_name,
    find_server,
    insecure_keyring,
    load_servers,
    remove_server,
    servers_path,
)
from tests.keyrings import plaintext_keyring


def test_a_server_is_saved_with_its_key_in_the_keyring_only(key_store, isolated_home: Path) -> None:
    server = SavedServer("gpu-box", "http://gpu-box:8000", model="gpt2-xl", window=1024)
    add_server(server, api_key="sk-secret-123")
    text = servers_path().read_text(encoding="utf-8")
    assert "sk-secret-123" not in text
    assert not any(
        "sk-secret-123" in p.read_text(errors="replace") for p in isolated_home.rglob("*") if p.is_file()
    )
    assert json.loads(text)["servers"][0]["url"] == "http://gpu-box:8000/v1"
    assert key_store.get_password(KEYRING_SERVICE, "http://gpu-box:8000/v1") == "sk-secret-123"
    saved = find_server("gpu-box")
    assert saved == server
    assert api_key_for(saved) == "sk-secret-123"


def test_removing_a_server_forgets_its_key(key_store) -> None:
    add_server(SavedServer("a", "http://a:1/v1"), api_key="key-a")
    add_server(SavedServer("b", "http://b:1/v1"))
    remove_server("a")
    assert [server.name for server in load_servers()[0]] == ["b"]
    assert key_store.get_password(KEYRING_SERVICE, "http://a:1/v1") is None
    with pytest.raises(StudioError, match="No server is named 'a'; the servers are: b"):
        remove_server("a")


def test_a_taken_name_is_refused_unless_replace_is_asked(key_store) -> None:
    add_server(SavedServer("box", "http://old:1"))
    with pytest.raises(SettingsError, match=r"already named 'box' \(http://old:1/v1\).*--replace"):
        add_server(SavedServer("box", "http://new:1", model="gpt2"), api_key="k")
    assert load_servers()[0] == [SavedServer("box", "http://old:1/v1")]
    assert key_store.get_password(KEYRING_SERVICE, "http://new:1/v1") is None  # nothing half-done
    add_server(SavedServer("box", "http://new:1", model="gpt2"), replace=True)
    assert load_servers()[0] == [SavedServer("box", "http://new:1/v1", model="gpt2")]


@pytest.mark.parametrize("name", ["a/../b", "gpu box", "..", "-x", "x" * 101, "a\\b", "host:8000"])
def test_a_name_that_is_not_a_plain_name_is_refused_as_a_model_name_is(name: str) -> None:
    with pytest.raises(SettingsError, match="cannot be a server name: use letters, digits"):
        add_server(SavedServer(name, "http://x:1"))
    assert not servers_path().exists()


def test_a_local_models_name_is_refused(tiny_model_dir: Path) -> None:
    shutil.copytree(tiny_model_dir, paths.models_dir() / "base")
    with pytest.raises(SettingsError, match="'base' is the name of a model on this computer"):
        add_server(SavedServer("base", "http://x:1"))
    assert not servers_path().exists()
    add_server(SavedServer("base-server", "http://x:1"))


@pytest.mark.parametrize(
    ("url", "name"),
    [("http://127.0.0.1:18081/v1", "127.0.0.1-18081"), ("https://gpu-box/api", "gpu-box")],
)
def test_the_default_name_is_the_host_and_port_as_a_plain_name(url: str, name: str) -> None:
    assert default_server_name(url) == name
    add_server(SavedServer(default_server_name(url), url))


def test_a_key_from_an_environment_variable(monkeypatch: pytest.MonkeyPatch, key_store) -> None:
    server = add_server(SavedServer("env", "https://x.example/v1", api_key_env="MY_KEY"))
    with pytest.raises(SettingsError, match=r"\$MY_KEY, which is not set"):
        api_key_for(server)
    monkeypatch.setenv("MY_KEY", "from-env")
    assert api_key_for(server) == "from-env"


def test_without_a_keyring_a_key_is_refused_with_the_way_out(set_keyring) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    set_keyring(NoKeyring())
    with pytest.raises(StudioError, match="--api-key-env VAR"):
        add_server(SavedServer("x", "http://x:1"), api_key="k")
    assert load_servers() == ([], [])  # nothing half-saved
    add_server(SavedServer("x", "http://x:1"))  # a server without a key still works
    assert api_key_for(find_server("x")) is None


class _StandInOSKeyring(KeyringBackend):
    """A keyring rated as keyring rates an OS store (priority 5), keeping keys in memory."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.keys.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.keys[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.keys.pop((service, username), None)


class _LowRatedKeyring(_StandInOSKeyring):
    priority = 0.5  # type: ignore[assignment]


@pytest.mark.parametrize("kind", ["plaintext", "encrypted", "low rated", "chained plaintext"])
def test_a_key_is_refused_where_keyring_would_keep_it_in_no_os_keyring(
    kind: str, tmp_path: Path, set_keyring, isolated_home: Path
) -> None:
    plain = plaintext_keyring(tmp_path)
    encrypted = EncryptedKeyring.__new__(EncryptedKeyring)  # its __init__ needs pycryptodome; unused here
    backend = {
        "plaintext": plain,
        "encrypted": encrypted,
        "low rated": _LowRatedKeyring(),
        "chained plaintext": ChainerBackend(),
    }[kind]
    if kind == "chained plaintext":
        backend.__class__ = type("Chained", (ChainerBackend,), {"backends": [_StandInOSKeyring(), plain]})
    set_keyring(backend)
    with pytest.raises(StudioError) as refused:
        add_server(SavedServer("box", "http://box:1"), api_key="sk-never-in-a-file")
    message = str(refused.value)
    assert "no OS keyring" in message
    assert "--api-key-env VAR, without --store-key" in message
    assert message.count(". ") == 0
    assert message.endswith(").")
    assert load_servers() == ([], [])
    assert not (tmp_path / "keyring").exists()  # no key written anywhere
    assert not any("sk-never" in p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_an_os_keyring_keeps_the_key(set_keyring) -> None:
    store = _StandInOSKeyring()
    set_keyring(store)
    assert insecure_keyring(store) is None
    add_server(SavedServer("box", "http://box:1"), api_key="sk-1")
    assert store.keys == {(KEYRING_SERVICE, "http://box:1/v1"): "sk-1"}
    assert api_key_for(find_server("box")) == "sk-1"


def test_the_plain_file_keyring_is_accepted_only_where_a_test_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = plaintext_keyring(tmp_path)
    assert insecure_keyring(plain) == "keyrings.alt.file.PlaintextKeyring"
    monkeypatch.setattr(servers_module, "accepted_keyrings", (PlaintextKeyring,))
    assert insecure_keyring(plain) is None


def test_a_damaged_entry_is_skipped_and_named(isolated_home: Path) -> None:
    path = servers_path()
    path.parent.mkdir(parents=True)
    entries = [{"name": "ok", "url": "http://ok:1"}, {"name": "bad", "url": "ftp://nope"}, "junk"]
    path.write_text(json.dumps({"servers": entries}), encoding="utf-8")
    servers, warnings = load_servers()
    assert [server.name for server in servers] == ["ok"]
    assert len(warnings) == 2
    assert "http:// or https://" in warnings[0]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://gpu-box:8000", "http://gpu-box:8000/v1"),
        ("http://gpu-box:8000/v1/", "http://gpu-box:8000/v1"),
        ("https://x.example/api/v1/completions", "https://x.example/api/v1"),
        (" http://h:1/v1/models ", "http://h:1/v1"),
    ],
)
def test_addresses_are_normalised_to_the_apis_base(given: str, expected: str) -> None:
    assert SavedServer("s", given).url == expected


def test_an_address_that_is_not_http_is_one_sentence() -> None:
    with pytest.raises(SettingsError, match="starts with http:// or https://"):
        SavedServer("s", "gpu-box:8000")


@pytest.mark.parametrize(
    "url", ["http://bob:PASSW0RD-XYZ@127.0.0.1:18081/v1", "https://bob@x.example/v1", "bob:PASSW0RD-XYZ@h:1"]
)
def test_an_address_with_a_user_or_password_is_refused_without_repeating_it(url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        add_server(SavedServer("s", url))
    message = str(refused.value)
    assert "PASSW0RD" not in message
    assert "bob" not in message
    if "//" in url:
        assert message == (
            "A server address cannot hold a user name or password (user:password@); give the server an "
            "API key instead, with --api-key-env VAR."
        )
    assert not servers_path().exists()


@pytest.mark.parametrize("url", ["http://h:1/v1?key=QUERYSECRET", "http://h:1/v1?", "http://h:1/v1#frag"])
def test_an_address_with_a_query_is_refused_not_cut_short(url: str) -> None:
    with pytest.raises(SettingsError, match=r"cannot carry a query or fragment") as refused:
        SavedServer("s", url)
    assert "QUERYSECRET" not in str(refused.value)


def test_a_saved_entry_with_a_password_is_skipped_without_showing_it(isolated_home: Path) -> None:
    path = servers_path()
    path.parent.mkdir(parents=True)
    entry = {"name": "old", "url": "http://bob:PASSW0RD-XYZ@h:1/v1"}
    path.write_text(json.dumps({"servers": [entry]}), encoding="utf-8")
    servers, warnings = load_servers()
    assert servers == []
    assert "user name or password" in warnings[0]
    assert "PASSW0RD" not in warnings[0]

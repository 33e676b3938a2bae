"""Saved servers: the list in servers.json, each key in the keyring and never in a file of ours."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.remote.servers import (
    KEYRING_SERVICE,
    SavedServer,
    add_server,
    api_key_for,
    find_server,
    load_servers,
    remove_server,
    servers_path,
)


@pytest.fixture
def key_store(tmp_path: Path):
    """keyrings.alt's file keyring in the test's folder, as the process's keyring (restored after)."""
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_a_server_is_saved_with_its_key_in_the_keyring_only(key_store, isolated_home: Path) -> None:
    server = SavedServer("gpu box", "http://gpu-box:8000", model="gpt2-xl", window=1024)
    add_server(server, api_key="sk-secret-123")
    text = servers_path().read_text(encoding="utf-8")
    assert "sk-secret-123" not in text
    assert not any(
        "sk-secret-123" in p.read_text(errors="replace") for p in isolated_home.rglob("*") if p.is_file()
    )
    assert json.loads(text)["servers"][0]["url"] == "http://gpu-box:8000/v1"
    assert key_store.get_password(KEYRING_SERVICE, "http://gpu-box:8000/v1") == "sk-secret-123"
    saved = find_server("gpu box")
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


def test_adding_a_server_of_the_same_name_replaces_it(key_store) -> None:
    add_server(SavedServer("box", "http://old:1"))
    add_server(SavedServer("box", "http://new:1", model="gpt2"))
    assert load_servers()[0] == [SavedServer("box", "http://new:1/v1", model="gpt2")]


def test_a_key_from_an_environment_variable(monkeypatch: pytest.MonkeyPatch, key_store) -> None:
    server = add_server(SavedServer("env", "https://x.example/v1", api_key_env="MY_KEY"))
    with pytest.raises(SettingsError, match=r"\$MY_KEY, which is not set"):
        api_key_for(server)
    monkeypatch.setenv("MY_KEY", "from-env")
    assert api_key_for(server) == "from-env"


def test_without_a_keyring_a_key_is_refused_with_the_way_out() -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        with pytest.raises(StudioError, match="--api-key-env VAR"):
            add_server(SavedServer("x", "http://x:1"), api_key="k")
        assert load_servers() == ([], [])  # nothing half-saved
        add_server(SavedServer("x", "http://x:1"))  # a server without a key still works
        assert api_key_for(find_server("x")) is None
    finally:
        keyring.set_keyring(previous)


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

"""Keyrings for tests (a pytest plugin, like tests/llama_server.py): the process's keyring set for one
test and put back after, and keyrings.alt's plain file keyring in the test's own folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

from gpt2_studio.core.remote import servers as servers_module


def plaintext_keyring(folder: Path) -> PlaintextKeyring:
    """keyrings.alt's plain file keyring, its file under folder."""
    backend = PlaintextKeyring()
    backend.file_path = str(folder / "keyring" / "keyring_pass.cfg")
    return backend


@pytest.fixture
def set_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    """set_keyring(backend) makes backend the process's keyring for this test (the previous one after)."""
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


@pytest.fixture
def plain_file_keyring(tmp_path: Path, set_keyring) -> PlaintextKeyring:
    """The plain file keyring as the process's keyring, not accepted (as the app sees it: no OS keyring)."""
    backend = plaintext_keyring(tmp_path)
    set_keyring(backend)
    return backend


@pytest.fixture
def key_store(plain_file_keyring: PlaintextKeyring, monkeypatch: pytest.MonkeyPatch) -> PlaintextKeyring:
    """The plain file keyring as the process's keyring, accepted for this test only (the app refuses a
    key where keyring would keep it in no OS keyring)."""
    monkeypatch.setattr(servers_module, "accepted_keyrings", (PlaintextKeyring,))
    return plain_file_keyring

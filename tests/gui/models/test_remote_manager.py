"""Servers in the model manager: "Add a Server…", listed beside local models, used and deleted like them."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtWidgets import QDialog

from gpt2_studio.core.remote import servers as servers_module
from gpt2_studio.core.remote.servers import KEYRING_SERVICE, load_servers, servers_path
from gpt2_studio.gui.questions import ServerForm
from tests.gui.models import test_model_manager as manager_tests
from tests.gui.models.test_model_manager import cell, click, listed
from tests.llama_server import LlamaServer, free_port

# The model manager's own fixtures (a machine with known free memory, shown dialogs with scripted questions).
machine = manager_tests.machine
make_manager = manager_tests.make_manager


@pytest.fixture
def key_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """keyrings.alt's plain file keyring in the test's folder, accepted for the test only (the app
    refuses a key where keyring would keep it in no OS keyring)."""
    monkeypatch.setattr(servers_module, "accepted_keyrings", (PlaintextKeyring,))
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.mark.server
def test_a_server_is_added_checked_listed_and_chosen(
    make_manager, qtbot, key_store, start_llama_server
) -> None:
    server: LlamaServer = start_llama_server(api_key="team-key")
    manager = make_manager()
    details = {"url": server.url, "name": "gpu-box", "model": "", "api_key": "team-key", "window": None}
    manager.questions.answer("server_details", details)
    click(qtbot, manager.server_button)
    assert listed(manager)[-1] == "gpu-box"
    assert cell(manager, "gpu-box", "Status") == "Server"
    assert cell(manager, "gpu-box", "Source") == server.url
    assert "window of 1024 tokens" in manager.message_label.text()
    assert "team-key" not in servers_path().read_text(encoding="utf-8")
    assert key_store.get_password(KEYRING_SERVICE, server.url) == "team-key"
    chosen: list[str] = []
    manager.model_chosen.connect(chosen.append)
    click(qtbot, manager.use_button)
    assert chosen == ["server:gpu-box"]
    assert manager.result() == QDialog.DialogCode.Accepted


@pytest.mark.server
def test_a_wrong_key_is_said_and_nothing_is_saved(make_manager, qtbot, key_store, start_llama_server) -> None:
    server = start_llama_server(api_key="team-key")
    manager = make_manager()
    manager.questions.answer("server_details", {"url": server.url, "api_key": "wrong"})
    manager.questions.answer("error", None)
    click(qtbot, manager.server_button)
    (title, message) = manager.questions.asked[-1][1]
    assert title == "Could not add the server"
    assert "(401): the API key is missing or wrong" in message
    assert load_servers() == ([], [])


def test_a_server_that_is_down_is_said_in_one_sentence(make_manager, qtbot) -> None:
    manager = make_manager()
    before = listed(manager)
    manager.questions.answer("server_details", {"url": f"http://127.0.0.1:{free_port()}"})
    manager.questions.answer("error", None)
    click(qtbot, manager.server_button)
    assert "Cannot reach the server" in manager.questions.asked[-1][1][1]
    assert listed(manager) == before


def test_a_saved_server_is_listed_and_deleted_with_its_key(make_manager, qtbot, key_store) -> None:
    path = servers_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"servers": [{"name": "box", "url": "http://box:8000/v1"}]}), encoding="utf-8")
    key_store.set_password(KEYRING_SERVICE, "http://box:8000/v1", "k")
    manager = make_manager(current="server:box")
    assert cell(manager, "box", "Status") == "Server · in use"
    manager.select("box")
    assert not manager.open_button.isEnabled()
    assert not manager.delete_button.isEnabled()  # in use
    manager = make_manager()
    manager.select("box")
    manager.questions.answer("ask_delete_model", True)
    click(qtbot, manager.delete_button)
    assert "box" not in listed(manager)
    assert key_store.get_password(KEYRING_SERVICE, "http://box:8000/v1") is None


def test_the_server_form_gives_what_was_typed(qtbot) -> None:
    form = ServerForm()
    qtbot.addWidget(form)
    assert form.key_edit.echoMode() == form.key_edit.EchoMode.Password
    qtbot.keyClicks(form.url_edit, " http://gpu-box:8000/v1 ")
    qtbot.keyClicks(form.key_edit, "sk-1")
    form.window_spin.setValue(2048)
    assert form.details() == {
        "url": "http://gpu-box:8000/v1",
        "name": "",
        "model": "",
        "api_key": "sk-1",
        "window": 2048,
    }
    form.window_spin.setValue(0)
    assert form.details()["window"] is None

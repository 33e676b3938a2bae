"""Servers in the model manager: "Add a Server…", listed beside local models, used and deleted like them."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QPushButton

from gpt2_studio.core.remote.servers import KEYRING_SERVICE, load_servers, servers_path
from gpt2_studio.gui.questions import ServerForm
from tests.gui.models import test_model_manager as manager_tests
from tests.gui.models.test_model_manager import cell, click, listed
from tests.llama_server import LlamaServer, free_port

# The model manager's own fixtures (a machine with known free memory, shown dialogs with scripted questions).
machine = manager_tests.machine
make_manager = manager_tests.make_manager


def add(qtbot, manager, details: dict[str, object]) -> None:
    """Fill in the server form and wait for the check (off the GUI thread) to end."""
    manager.questions.answer("server_details", details)
    with qtbot.waitSignal(manager.server_check_ended, timeout=30_000):
        click(qtbot, manager.server_button)
    assert manager.server_check.wait(5)


@pytest.mark.server
def test_a_server_added_without_a_name_is_named_by_its_host_and_port(
    make_manager, qtbot, llama_server: LlamaServer
) -> None:
    from gpt2_studio.core.remote.servers import default_server_name

    manager = make_manager()
    add(qtbot, manager, {"url": llama_server.url, "name": "", "model": "", "api_key": "", "window": None})
    name = default_server_name(llama_server.url)
    assert name.startswith("127.0.0.1-")
    assert listed(manager)[-1] == name
    assert cell(manager, name, "Status") == "Server"


@pytest.mark.server
def test_a_server_is_added_checked_listed_and_chosen(
    make_manager, qtbot, key_store, start_llama_server
) -> None:
    server: LlamaServer = start_llama_server(api_key="team-key")
    manager = make_manager()
    details = {"url": server.url, "name": "gpu-box", "model": "", "api_key": "team-key", "window": None}
    add(qtbot, manager, details)
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
    manager.questions.answer("error", None)
    add(qtbot, manager, {"url": server.url, "api_key": "wrong"})
    (title, message) = manager.questions.asked[-1][1]
    assert title == "Could not add the server"
    assert "(401): the API key is missing or wrong" in message
    assert load_servers() == ([], [])


def test_a_server_that_is_down_is_said_in_one_sentence(make_manager, qtbot) -> None:
    manager = make_manager()
    before = listed(manager)
    manager.questions.answer("error", None)
    add(qtbot, manager, {"url": f"http://127.0.0.1:{free_port()}"})
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


class SlowServer:
    """A tiny OpenAI-compatible /v1/models on 127.0.0.1 that waits `delay` seconds before answering."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.answered = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                time.sleep(owner.delay)
                body = json.dumps({"object": "list", "data": [{"id": "slow-gpt2", "object": "model"}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())
                owner.answered.set()

            def log_message(self, *_args) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.http.serve_forever, name="slow-server")
        self.thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join()


@pytest.fixture
def slow_server():
    server = SlowServer(delay=1.5)
    yield server
    server.stop()


def test_a_slow_server_is_checked_while_the_window_keeps_working(
    make_manager, qtbot, key_store, slow_server
) -> None:
    manager = make_manager()
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    manager.questions.answer("server_details", {"url": slow_server.url, "name": "slow-box"})
    with qtbot.waitSignal(manager.server_check_ended, timeout=30_000):
        clicked = time.monotonic()
        click(qtbot, manager.server_button)
        assert time.monotonic() - clicked < 1.0, "the click waited for the server"
        assert manager.check_dialog is not None
        assert manager.check_dialog.isVisible()
        assert manager.check_dialog.labelText() == f"Checking the server at {slow_server.url}…"
        assert not manager.server_button.isEnabled()
    timer.stop()
    # The event loop turned all the while the server took to answer (a blocked GUI thread: no ticks).
    assert len([t for t in ticks if t > clicked + 0.2]) >= 20
    assert manager.check_dialog is None
    assert cell(manager, "slow-box", "Status") == "Server"
    assert "Added the server slow-box: slow-gpt2" in manager.message_label.text()
    assert manager.server_button.isEnabled()
    assert manager.server_check.wait(5)


def test_a_check_cancelled_while_the_server_is_slow_adds_nothing(
    make_manager, qtbot, key_store, slow_server
) -> None:
    manager = make_manager()
    before = listed(manager)
    manager.questions.answer("server_details", {"url": slow_server.url, "name": "slow-box"})
    click(qtbot, manager.server_button)
    with qtbot.waitSignal(manager.server_check_ended, timeout=5_000):
        click(qtbot, manager.check_dialog.findChild(QPushButton))  # the dialog's Cancel button
    assert manager.check_dialog is None
    assert "Stopped checking the server" in manager.message_label.text()
    assert manager.server_button.isEnabled()
    # The server answers later: its answer is for nobody now.
    assert slow_server.answered.wait(10)
    assert manager.server_check.wait(10)
    qtbot.wait(100)  # let the stale answer's queued signal arrive, and be dropped
    assert listed(manager) == before
    assert load_servers() == ([], [])
    assert [q for q, _args in manager.questions.asked] == ["server_details"]  # no error shown


def test_closing_the_manager_drops_the_check_in_flight(make_manager, qtbot, key_store, slow_server) -> None:
    manager = make_manager()
    manager.questions.answer("server_details", {"url": slow_server.url})
    click(qtbot, manager.server_button)
    manager.reject()
    assert not manager.server_check.is_pending()
    assert manager.server_check.wait(10)
    qtbot.wait(100)
    assert load_servers() == ([], [])


def test_a_taken_name_is_said_in_the_guis_words_before_the_server_is_asked(make_manager, qtbot) -> None:
    path = servers_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"servers": [{"name": "box", "url": "http://box:8000/v1"}]}), encoding="utf-8")
    manager = make_manager()
    manager.questions.answer("server_details", {"url": f"http://127.0.0.1:{free_port()}", "name": "box"})
    manager.questions.answer("error", None)
    click(qtbot, manager.server_button)
    (title, message) = manager.questions.asked[-1][1]
    assert title == "Could not add the server"
    assert message == (
        "A server is already named 'box' (http://box:8000/v1); choose another name, or delete that server "
        "first (select it in this list, then Delete)."
    )
    assert "--replace" not in message
    assert not manager.server_check.is_pending()  # nobody waits for a server the name already refused
    assert manager.server_button.isEnabled()
    assert [server.url for server in load_servers()[0]] == ["http://box:8000/v1"]

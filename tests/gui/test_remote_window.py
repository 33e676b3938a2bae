"""The editor window writing with a server: ghost suggestions from llama.cpp, the ignored settings marked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gpt2_studio.core.remote.servers import SavedServer, add_server, server_ref
from gpt2_studio.gui.sampling_panel import IGNORED_MARK
from tests.gui.test_main_window import type_and_pause
from tests.llama_server import LlamaServer

pytestmark = pytest.mark.server


def test_a_server_writes_the_ghost_and_the_panel_marks_what_it_ignores(
    make_window, qtbot, llama_server: LlamaServer, tiny_model_dir
) -> None:
    add_server(SavedServer("box", llama_server.url))
    window = make_window(load=False)
    window.load_model(server_ref("box"))
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    assert window.model_info.device == "remote"
    assert window.settings.model == "server:box"
    assert IGNORED_MARK in window.panel.token_healing.text()
    assert IGNORED_MARK not in window.panel.labels["temperature"].text()  # llama.cpp honours it
    window.editor.setFocus()
    type_and_pause(qtbot, window, "The quick brown fox")
    ghost = window.editor.ghost_text()
    assert ghost
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "The quick brown fox" + ghost
    # Back to a local model: every setting counts again.
    window.load_model(str(tiny_model_dir))
    qtbot.waitUntil(
        lambda: window.model_info is not None and window.model_info.device == "cpu", timeout=30_000
    )
    assert IGNORED_MARK not in window.panel.token_healing.text()

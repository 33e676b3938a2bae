"""A very long Memory (a pasted chapter, 1 MB) is measured once, not after every cursor move, and the
app keeps working: one sentence says it does not fit, and suggestions return once it is shortened."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt

from tests.gui.editor.test_context_dock import _open_dock, _suggest

LONG_MEMORY = "Ada is the narrator of this long story.\n" * 25_000  # 1 MB


def test_a_pasted_megabyte_memory_is_tokenized_once_however_often_the_cursor_moves(
    window, qtbot, monkeypatch, tmp_path
):
    document = tmp_path / "story.txt"
    document.write_text("", encoding="utf-8")
    assert window.open_file(document)
    engine = window.worker._engine
    tokenized: list[int] = []  # the length of each text the model's tokenizer is given
    tokenize = engine.tokenize
    monkeypatch.setattr(engine, "tokenize", lambda text: tokenized.append(len(text)) or tokenize(text))
    qtbot.keyClicks(window.editor, "Once upon a time")
    _open_dock(window, qtbot)
    dock = window.context_dock
    paste = QMimeData()
    paste.setText(LONG_MEMORY)
    dock.memory_edit.setFocus()
    dock.memory_edit.insertFromMimeData(paste)  # what Ctrl+V does
    label = window.status_bar.context_window_label
    qtbot.waitUntil(lambda: label.text() == "Window: too full", timeout=20_000)
    assert label.toolTip().startswith("The Memory takes ")
    qtbot.waitUntil(lambda: dock.memory_tokens.text().endswith(" tokens"))
    long_ones = sum(length >= len(LONG_MEMORY) for length in tokenized)
    assert 1 <= long_ones <= 2  # as typed (the dock's count) and as lines (the window's)
    window.editor.setFocus()
    for _ in range(5):  # the writer moves around the text
        qtbot.keyClick(window.editor, Qt.Key.Key_Left)
        qtbot.waitUntil(lambda: not window.context_window_timer.isActive())
    qtbot.keyClicks(window.editor, "!")
    qtbot.waitUntil(lambda: not window.context_window_timer.isActive())
    assert sum(length >= len(LONG_MEMORY) for length in tokenized) == long_ones
    qtbot.waitUntil(lambda: "could not be stored" in window.statusBar().currentMessage(), timeout=5000)
    message = window.statusBar().currentMessage()
    assert "100,000" in message
    assert message.endswith(".")
    assert dock.memory_edit.text() == LONG_MEMORY  # kept in the dock, nothing lost
    dock.memory_edit.selectAll()
    qtbot.keyClick(dock.memory_edit, Qt.Key.Key_Delete)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    _suggest(window, qtbot)  # suggestions work again
    assert window.editor.ghost_text()

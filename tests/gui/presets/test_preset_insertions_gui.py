"""A preset's insertion is one undo step, never joined by what follows, and never writes U+FFFD."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.gui.editor.insertion import model_text
from gpt2_studio.gui.questions import Questions
from tests.gui.editor.test_editor_keys import commit, compose, undo
from tests.gui.presets.test_presets_gui import TEXT, add_user_preset, click, put_cursor, start_with, wait_done

CTRL = Qt.KeyboardModifier.ControlModifier


def _byte_char(value: int) -> str:
    """The character GPT-2's byte-level vocabulary uses for one byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), 256)]
    if value in printable:
        return chr(value)
    return chr(256 + [b for b in range(256) if b not in printable].index(value))


@pytest.fixture(scope="session")
def byte_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny GPT-2 with its weights set so that it writes only "a" and the lone byte 0x80, at random.

    The final layer norm outputs a constant, so every position's logits are the same: the two tokens'
    embeddings are the only ones along that constant, so top-k 2 picks between them. A lone continuation
    byte is not UTF-8: decoded, it is U+FFFD.
    """
    import torch
    from safetensors.torch import load_file, save_file

    folder = Path(shutil.copytree(tiny_model_dir, tmp_path_factory.mktemp("bytes") / "model"))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    lone, letter = vocab[_byte_char(0x80)], vocab["a"]
    tensors = load_file(folder / "model.safetensors")
    embedding = tensors["transformer.wte.weight"]
    embedding[:, :2] = 0.0
    embedding[lone] = 0.0
    embedding[letter] = 0.0
    embedding[lone, 0] = embedding[letter, 1] = 3.0
    tensors["transformer.ln_f.weight"].zero_()
    bias = torch.zeros_like(tensors["transformer.ln_f.bias"])
    bias[0] = bias[1] = 3.0
    tensors["transformer.ln_f.bias"] = bias
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


# -- one undo step, whatever follows -------------------------------------------------------------
def _run_qa(qtbot, window) -> str:
    put_cursor(window, TEXT.index("capital"))
    click(qtbot, window, "Q&A")  # the answer goes on a new line under the question
    wait_done(qtbot, window)
    return TEXT


def _run_translate(qtbot, window) -> str:
    put_cursor(window, len("The quick brown fox"), anchor=0)
    click(qtbot, window, "Translate English → French")  # one line under the selection
    wait_done(qtbot, window)
    return TEXT


def _run_tldr_insert(qtbot, window) -> str:
    put_cursor(window, len(TEXT), anchor=0)
    click(qtbot, window, "TL;DR")
    wait_done(qtbot, window)
    put_cursor(window, len(TEXT))
    qtbot.mouseClick(window.presets.panel.insert_button, Qt.MouseButton.LeftButton)
    return TEXT


def _type(qtbot, editor) -> None:
    qtbot.keyClicks(editor, " Thanks")


def _compose(qtbot, editor) -> None:
    compose(editor, "ありが")
    commit(editor, "ありがとう")


def _paste(qtbot, editor) -> None:
    QApplication.clipboard().setText(" Thanks")
    qtbot.keyClick(editor, Qt.Key.Key_V, CTRL)


@pytest.mark.parametrize("run", [_run_qa, _run_translate, _run_tldr_insert])
@pytest.mark.parametrize("follow", [_type, _compose, _paste])
def test_what_follows_a_preset_insertion_is_undone_before_it_and_on_its_own(window, qtbot, run, follow):
    start_with(window)
    before = run(qtbot, window)
    inserted = window.editor.toPlainText()
    assert inserted != before
    window.editor.setFocus()
    follow(qtbot, window.editor)
    assert window.editor.toPlainText() != inserted
    assert undo(qtbot, window.editor) == inserted  # only what followed
    assert undo(qtbot, window.editor) == before  # exactly the preset's insertion
    assert not window.editor.document().isUndoAvailable()


# -- U+FFFD never reaches the document -----------------------------------------------------------
# Seed 4 begins with two lone bytes: the first pieces hold no text at all.
RANDOM_BYTES = SamplingSettings(temperature=1.0, top_k=2, max_new_tokens=30, seed=4)


@pytest.fixture
def byte_window(make_window, qtbot, byte_model_dir):
    window = make_window(load=False)
    window.load_model(str(byte_model_dir))
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    window.editor.setFocus()
    return window


@pytest.mark.parametrize("output", ["insert", "below", "replace", "side_panel", "new_document"])
def test_undecodable_bytes_from_the_model_are_not_written(byte_window, qtbot, output):
    window = byte_window
    add_user_preset(window, Preset("Bytes", "{selection}", RANDOM_BYTES, output=output))
    finished: dict[int, list[str]] = {}
    window.worker.finished.connect(lambda rid, completion: finished.update({rid: completion.alternatives}))
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    start_with(window, "Before after")
    put_cursor(window, len("Before"), anchor=0)
    window.presets.action("Bytes").trigger()
    request_id = window.presets.runner.job.request_id
    wait_done(qtbot, window)
    qtbot.waitUntil(lambda: request_id in finished)
    raw = finished[request_id]
    assert "\ufffd" in raw[-1]  # the model did write undecodable bytes
    progress = [message for message in messages if message.startswith("Running Bytes… ")]
    assert any(message.startswith("Running Bytes… 1 token ") for message in progress)
    if output in ("insert", "below", "replace"):  # with the text so far, even when it is none yet
        assert all(": “" in message for message in progress if " token" in message), progress
    assert not any("\ufffd" in message for message in messages)  # nor in the progress preview
    written = model_text(raw[-1]).strip()
    assert written  # … and letters
    if output == "side_panel":
        assert window.presets.panel.text() == written
        put_cursor(window, len("Before after"))
        qtbot.mouseClick(window.presets.panel.insert_button, Qt.MouseButton.LeftButton)
    text = window.editor.toPlainText()
    assert "\ufffd" not in text
    assert written in text
    if output != "new_document":
        assert "after" in text
        window.editor.undo()
        assert window.editor.toPlainText() == "Before after"  # one undo step


# -- the question's dialog is titled with the preset ---------------------------------------------
def test_a_presets_question_is_asked_in_a_dialog_titled_with_its_name(window, qtbot):
    window.questions = Questions(window)
    start_with(window)
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog.windowTitle())
        field = dialog.findChild(QLineEdit)
        qtbot.keyClicks(field, "Who jumps?")
        qtbot.keyClick(field, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)
    window.presets.action("Reading comprehension").trigger()
    wait_done(qtbot, window)
    assert seen == ["Reading comprehension"]
    assert "Who jumps?" in window.presets.panel.title.text()

"""The preset widgets work from their collaborators alone: no main window, its wishes as request signals."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.storage import builtin_presets, save_user_preset
from gpt2_studio.core.presets.templates import Preset, find_preset
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.suggestions import SuggestionController
from gpt2_studio.gui.models.worker import WorkerThread
from gpt2_studio.gui.presets.install import PresetsUi
from gpt2_studio.gui.presets.runner import sample_separator
from tests.gui.conftest import ScriptedQuestions

GREEDY = SamplingSettings(temperature=0.0, top_k=1, max_new_tokens=12)


@dataclass
class Rig:
    """The presets with an editor, a model worker, a suggestion controller and questions; no window."""

    editor: GhostTextEdit
    controller: SuggestionController
    questions: ScriptedQuestions
    presets: PresetsUi
    document: list[Path | None]  # the open document's file, as the window would say
    seen: dict[str, list] = field(default_factory=dict)

    def run(self, qtbot, name: str) -> None:
        self.presets.action(name).trigger()
        qtbot.waitUntil(lambda: not self.presets.runner.running, timeout=30_000)


@pytest.fixture
def rig(qtbot, tiny_model_dir) -> Iterator[Rig]:
    thread = WorkerThread()
    worker = thread.worker
    loaded: list = []
    worker.model_loaded.connect(loaded.append)
    worker.load(str(tiny_model_dir), "cpu", "fp32")
    editor = GhostTextEdit()
    qtbot.addWidget(editor)
    controller = SuggestionController(editor, worker, SamplingSettings())
    questions = ScriptedQuestions()
    document: list[Path | None] = [None]
    presets = PresetsUi(
        editor,
        worker,
        controller,
        QMenu(),
        questions=lambda: questions,
        document_path=lambda: document[0],
    )
    qtbot.addWidget(presets.panel)
    qtbot.addWidget(presets.bar)
    rig = Rig(editor, controller, questions, presets, document)
    for name in (
        "status_message",
        "state_changed",
        "new_document_requested",
        "save_requested",
        "suggestions_pause_requested",
    ):
        rig.seen[name] = []
        getattr(presets, name).connect(lambda *args, n=name: rig.seen[n].append(args))
    presets.reload()
    try:
        qtbot.waitUntil(lambda: bool(loaded), timeout=30_000)
        controller.model_ready = True  # as the window does when the model has loaded
        yield rig
    finally:
        thread.stop()
        assert thread.thread.isFinished(), "the model worker thread is still running"


def test_the_presets_never_import_the_main_window():
    modules = ["bar", "collaborators", "editor", "form", "install", "panel", "questions", "runner"]
    code = (
        "import sys\n"
        + "".join(f"import gpt2_studio.gui.presets.{m}\n" for m in modules)
        + "print(sorted(m for m in sys.modules if m.startswith('gpt2_studio.gui.main_window')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_presets_fill_the_menu_and_run_without_a_window(rig, qtbot):
    # Nothing above the presets: no window holds them, and none is passed to them.
    assert rig.presets.parent() is None
    assert rig.presets.panel.parentWidget() is None
    assert rig.presets.bar.parentWidget() is None
    assert set(rig.presets.bar.actions_by_name) == {p.name for p in builtin_presets()}
    menu_texts = [a.text() for a in rig.presets.bar.menu.actions()]
    assert "Samples to &File…" in menu_texts
    save_user_preset(Preset("Fill", "{before_cursor}", GREEDY, output="insert"))
    rig.presets.reload()
    rig.editor.setPlainText("Before after")
    cursor = rig.editor.textCursor()
    cursor.setPosition(len("Before"))
    rig.editor.setTextCursor(cursor)
    rig.run(qtbot, "Fill")
    text = rig.editor.toPlainText()
    assert text.startswith("Before")
    assert text.endswith(" after")
    assert text != "Before after"
    # The window is asked, never reached: a state while it runs, then back; a status line; no ghost.
    states = [args[0] for args in rig.seen["state_changed"]]
    assert states[0].startswith("Running Fill…")
    assert states[-1] == "Ready"
    assert ("Fill done.", 8000) in rig.seen["status_message"]
    assert rig.seen["suggestions_pause_requested"] == [()]
    assert rig.seen["new_document_requested"] == rig.seen["save_requested"] == []


def test_samples_ask_the_window_to_save_and_start_a_new_document(rig, qtbot, tmp_path):
    draft = tmp_path / "draft.txt"
    rig.document[0] = draft

    def save() -> None:  # what the window does on save_requested
        draft.write_text(rig.editor.toPlainText(), encoding="utf-8")
        rig.editor.document().setModified(False)

    def new_document() -> None:  # and on new_document_requested
        rig.editor.setPlainText("")
        rig.editor.document().setModified(False)
        rig.document[0] = None

    rig.presets.save_requested.connect(save)
    rig.presets.new_document_requested.connect(new_document)
    rig.editor.setPlainText("my unsaved draft")
    rig.editor.document().setModified(True)
    rig.questions.answer("ask_samples_new_document", "save")
    rig.run(qtbot, "Samples")
    assert rig.questions.asked == [("ask_samples_new_document", ("Samples", "draft.txt"))]
    assert draft.read_text(encoding="utf-8") == "my unsaved draft"
    assert len(rig.seen["save_requested"]) == len(rig.seen["new_document_requested"]) == 1
    samples = find_preset(builtin_presets(), "Samples").sampling.num_alternatives
    separators = [line for line in rig.editor.toPlainText().split("\n") if line.startswith("==== sample ")]
    assert separators == [sample_separator(n) for n in range(1, samples + 1)]


def test_a_failed_save_keeps_the_document_and_runs_nothing(rig, qtbot):
    rig.editor.setPlainText("my unsaved draft")
    rig.editor.document().setModified(True)
    rig.questions.answer("ask_samples_new_document", "save")  # nothing saves it: no window listens
    rig.presets.action("Samples").trigger()
    assert not rig.presets.runner.running
    assert rig.seen["save_requested"] == [()]
    assert rig.editor.toPlainText() == "my unsaved draft"


def test_samples_to_a_file_start_in_the_documents_folder(rig, qtbot, tmp_path):
    rig.document[0] = tmp_path / "story.txt"
    target = tmp_path / "out.txt"
    rig.questions.answer("save_path", str(target))
    rig.presets.run_to_file(find_preset(rig.presets.presets, "Samples"))
    qtbot.waitUntil(lambda: not rig.presets.runner.running, timeout=30_000)
    assert rig.questions.asked == [("save_path", (str(tmp_path / "samples.txt"),))]
    assert target.read_text(encoding="utf-8").startswith(sample_separator(1))
    assert rig.seen["status_message"][-1] == (f"Saved 3 samples to {target}.", 8000)

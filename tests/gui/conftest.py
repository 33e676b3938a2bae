"""GUI fixtures: a real main window with a real model worker thread on the tiny checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from gpt2_studio.core.documents.context_notes import ContextNotes
from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.launch import editor_defaults
from gpt2_studio.gui.main_window import MainWindow
from gpt2_studio.gui.models.worker import WorkerThread


@dataclass
class ScriptedQuestions:
    """Stands in for the app's Questions: answers are queued by the test; an unexpected question fails."""

    answers: dict[str, list] = field(default_factory=dict)
    asked: list[tuple[str, tuple]] = field(default_factory=list)

    def answer(self, question: str, *values) -> None:
        self.answers.setdefault(question, []).extend(values)

    def _next(self, question: str, *args):
        self.asked.append((question, args))
        queue = self.answers.get(question)
        if not queue:
            raise AssertionError(f"unexpected dialog: {question} {args}")
        return queue.pop(0)

    def __getattr__(self, question: str):
        if question.startswith("_"):
            raise AttributeError(question)
        return lambda *args: self._next(question, *args)


@pytest.fixture
def make_window(qtbot, tiny_model_dir) -> Iterator:
    """Build main windows (loading the tiny model by default); all are torn down after the test."""
    created: list[tuple[MainWindow, WorkerThread]] = []

    def make(settings: AppSettings | None = None, *, load: bool = True) -> MainWindow:
        settings = settings or AppSettings(precision="fp32", ghost_delay_ms=100)
        worker = WorkerThread()
        window = MainWindow(settings, worker, defaults=editor_defaults())
        window.questions = ScriptedQuestions()
        created.append((window, worker))
        window.show()
        if load:
            # Poll rather than waitSignal: the signal comes from the worker thread.
            window.load_model(str(tiny_model_dir))
            qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
        return window

    yield make
    # Closed here rather than by qtbot.addWidget, after unsaved changes are dropped, so that closing
    # asks nothing.
    for window, worker in created:
        window.editor.document().setModified(False)
        if window.path is None:  # an untitled document's notes would be asked about
            window.context_dock.set_notes(ContextNotes())
        window.context_dock.drop_unsaved()
        window.close()
        worker.stop()
        assert worker.thread.isFinished(), "the model worker thread is still running"


@pytest.fixture
def window(make_window) -> MainWindow:
    """A main window with the tiny model loaded and the editor focused."""
    window = make_window()
    window.editor.setFocus()
    return window

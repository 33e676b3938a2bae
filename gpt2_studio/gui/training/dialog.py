"""File → Learn a Style…: fine-tune an installed GPT-2 on the writer's own files, in a child process.

The dialog runs ``gpt2-studio train … --json`` (process.py), keeps what it prints in a TrainingRun
(run_state.py) and shows the run's phase: the form and the plan, progress, or the result. It is not modal:
the editor stays usable while a run trains. Closing it while training asks whether to keep training in
the background (the default: a run takes minutes to hours, and closing a progress window should not throw
that away) or to stop it, which saves a checkpoint to resume from.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.gui.themes import warning_color
from gpt2_studio.gui.training.events import DoneEvent, TrainingEvent
from gpt2_studio.gui.training.process import TrainingProcess
from gpt2_studio.gui.training.progress_page import ProgressPage
from gpt2_studio.gui.training.request import TrainingRequest, discard_arguments
from gpt2_studio.gui.training.result_page import ResultPage
from gpt2_studio.gui.training.run_state import TrainingRun
from gpt2_studio.gui.training.setup_page import SetupPage

log = logging.getLogger(__name__)

FILE_FILTER = "Your writing (*.txt *.md *.docx *.odt);;All files (*)"
STATUS_TEXT = {
    "planning": "Reading your files…",
    "stopping": "Stopping: finishing the current step and saving a checkpoint…",
    "discarding": "Removing the stopped run…",
}


class LearnStyleDialog(QDialog):
    """Set up, watch and finish one fine-tuning run; ``model_installed`` carries the new model's name."""

    model_installed = Signal(str)
    use_model_requested = Signal(str)  # "Use This Model": the window loads it
    phase_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Learn a Style")
        self.setObjectName("learn-style-dialog")
        self.setModal(False)
        self.setAcceptDrops(True)
        self.resize(760, 640)
        self.run = TrainingRun()
        self.request: TrainingRequest | None = None  # the settings of the run being planned or trained
        self.process = TrainingProcess(self)
        self.process.event.connect(self.on_event)
        self.process.finished.connect(self.on_finished)
        # How a close during training is answered ("background", "stop" or "cancel"); tests replace it.
        self.ask_close = self._ask_close
        self._plan_abandoned = False

        layout = QVBoxLayout(self)
        self.pages = QStackedWidget()
        self.setup_page = SetupPage()
        self.progress_page = ProgressPage()
        self.result_page = ResultPage()
        for page in (self.setup_page, self.progress_page, self.result_page):
            self.pages.addWidget(page)
        layout.addWidget(self.pages, 1)
        self.status = QLabel()
        self.status.setObjectName("training-status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        self.close_button = self._button(buttons, "Close", self.close)
        buttons.addStretch(1)
        self.new_run_button = self._button(buttons, "&New Run", self.new_run)
        self.discard_button = self._button(buttons, "&Discard Run", self.discard)
        self.check_button = self._button(buttons, "&Check", self.check)
        self.start_button = self._button(buttons, "&Start Training", self.start)
        self.resume_button = self._button(buttons, "&Resume", self.resume)
        self.cancel_button = self._button(buttons, "&Cancel Training", self.cancel)
        self.use_button = self._button(buttons, "&Use This Model", self._use_model)
        layout.addLayout(buttons)
        self.setup_page.changed.connect(self._form_changed)
        self.setup_page.add_files_button.clicked.connect(self.choose_files)
        self.setup_page.add_folder_button.clicked.connect(self.choose_folder)
        self._show_phase()

    def _button(self, layout: QHBoxLayout, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        layout.addWidget(button)
        return button

    # -- the user's actions ---------------------------------------------------------------------
    def choose_files(self) -> None:
        """Add Files…: a file dialog for .txt, .md, .docx and .odt files."""
        chosen, _filter = QFileDialog.getOpenFileNames(self, "Your writing", "", FILE_FILTER)
        self.setup_page.add_paths(chosen)

    def choose_folder(self) -> None:
        """Add Folder…: every readable file in it (and its subfolders) is read."""
        folder = QFileDialog.getExistingDirectory(self, "A folder of your writing")
        if folder:
            self.setup_page.add_paths([folder])

    def check(self) -> None:
        """Run ``train --plan``: corpus size, skipped files and estimates, without training."""
        problem = self.setup_page.problem()
        if problem:
            self.run.error = problem
            self._show_phase()
            return
        self.request = self.setup_page.request()
        resume = self.setup_page.stopped_run_exists()  # the plan of the stopped run, with its settings
        self._run("plan", self.request.arguments(plan=True, resume=resume))

    def start(self) -> None:
        """Start training the planned request (resuming a stopped run of the same name)."""
        if self.request is None or self.run.phase != "planned":
            return
        resume = self.setup_page.stopped_run_exists()
        self._run("resume" if resume else "train", self.request.arguments(resume=resume))

    def resume(self) -> None:
        """Continue a stopped or failed run from its last checkpoint."""
        if self.request is None or not self.run.resumable:
            return
        self._run("resume", self.request.arguments(resume=True))

    def cancel(self) -> None:
        """Stop training after the current step; a checkpoint is saved to resume from."""
        if self.run.phase == "training":
            self.run.stop_requested()
            self.process.stop()
            self._show_phase()

    def discard(self) -> None:
        """Remove a stopped run's checkpoint (no model was installed)."""
        name = self.request.name if self.request is not None else self.setup_page.name.text().strip()
        if name:
            self._run("discard", discard_arguments(name))

    def new_run(self) -> None:
        """Back to the form (its settings kept) for another run."""
        self.run = TrainingRun()
        self.setup_page.reload_models()
        self._show_phase()

    def _use_model(self) -> None:
        if self.run.result is not None:
            self.use_model_requested.emit(self.run.result.name)
            self.close()

    def _run(self, command: str, arguments: list[str]) -> None:
        if self.process.running:
            return
        self.begin(command)
        self.process.start(arguments)

    def begin(self, command: str) -> None:
        """A command starts (see TrainingRun.begin); its events and end come to on_event / on_finished."""
        self.run.begin(command)
        self._show_phase()

    # -- what the process says ------------------------------------------------------------------
    def on_event(self, event: TrainingEvent) -> None:
        """One event from the running command (tests feed recorded ones)."""
        self.run.apply(event)
        if self.run.phase in ("training", "stopping"):
            self.progress_page.show_run(self.run, self._name())
            if self.run.steps_since_begin <= 1:
                self._show_status()
        elif self.run.phase == "planning" and self.run.plan is not None:
            self.setup_page.show_plan(self.run.plan)

    def on_finished(self, exit_code: int, message: str) -> None:
        """The command ended (tests call it after recorded events)."""
        command = self.run.command
        self.run.finish(exit_code, message)
        if command == "plan" and self._plan_abandoned:
            self.run.error = ""  # the writer closed the dialog while it checked: no failure to report
        self._plan_abandoned = False
        if command == "discard" and self.run.phase == "setup":
            self.setup_page.reload_models(force=True)  # the note about the stopped run goes
        self._show_phase()
        result = self.run.result
        if self.run.phase == "done" and isinstance(result, DoneEvent):
            self.setup_page.reload_models()
            self.model_installed.emit(result.name)

    # -- showing the phase ----------------------------------------------------------------------
    def _name(self) -> str:
        return self.request.name if self.request is not None else self.setup_page.name.text().strip()

    def _form_changed(self) -> None:
        self.run.form_changed()
        self._show_phase()

    def _show_phase(self) -> None:
        run, phase = self.run, self.run.phase
        on_setup = phase in ("setup", "planning", "planned")
        self.setup_page.set_editable(phase in ("setup", "planned"))
        if on_setup:
            self.pages.setCurrentWidget(self.setup_page)
            self.setup_page.show_plan(run.plan if phase == "planned" else None)
        elif phase == "done" and run.result is not None:
            self.result_page.show_result(run.result, run.plan.base if run.plan else "")
            self.pages.setCurrentWidget(self.result_page)
        else:
            self.pages.setCurrentWidget(self.progress_page)
            self.progress_page.show_run(run, self._name())
        stopped_here = phase in ("setup", "planned") and self.setup_page.stopped_run_exists()
        visible = {
            self.check_button: phase in ("setup", "planning"),
            self.start_button: phase == "planned",
            self.cancel_button: phase in ("training", "stopping"),
            self.resume_button: phase in ("interrupted", "discarding") or run.resumable,
            self.discard_button: phase in ("interrupted", "discarding") or run.resumable or stopped_here,
            self.new_run_button: phase in ("done", "failed", "interrupted"),
            self.use_button: phase == "done",
        }
        for button, shown in visible.items():
            button.setVisible(shown)
        self.check_button.setEnabled(phase == "setup")
        self.cancel_button.setEnabled(phase == "training")
        self.resume_button.setEnabled(phase != "discarding")
        self.discard_button.setEnabled(phase != "discarding")
        self.start_button.setText(
            "&Resume Training" if self.setup_page.stopped_run_exists() else "&Start Training"
        )
        default = next(
            (
                b
                for b in (self.use_button, self.start_button, self.resume_button, self.check_button)
                if visible[b]
            ),
            None,
        )
        for button in visible:
            button.setDefault(button is default)
        self._show_status()
        self.phase_changed.emit(phase)

    def _show_status(self) -> None:
        run, phase = self.run, self.run.phase
        text, warn = STATUS_TEXT.get(phase, ""), False
        if run.error and phase in ("setup", "failed", "interrupted"):
            text, warn = run.error, True
            if phase == "failed" and run.resumable:
                text += f" The run can resume from step {run.checkpoint_step:,}."
        elif phase == "interrupted":
            step = run.checkpoint_step or 0
            text = (
                f"Stopped after step {step:,}. Resume continues from there; Discard removes the stopped run."
                if run.resumable
                else "Stopped. This run cannot be resumed."
            )
        elif phase == "training" and not run.steps_since_begin:
            text = (
                f"Resuming from step {run.checkpoint_step or 0:,}…"
                if run.command == "resume"
                else "Loading the model and measuring how well it predicts your held-out text…"
            )
        elif phase == "planned":
            start = "Resume Training" if self.setup_page.stopped_run_exists() else "Start Training"
            text = f"Ready: {start} begins; you can keep writing while it trains."
        color = warning_color(self.palette()).name() if warn else ""
        self.status.setStyleSheet(f"color: {color};" if color else "")
        self.status.setText(text)

    # -- showing, closing, files dropped on the dialog -------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Models installed or removed since the dialog was last shown appear in the base-model list."""
        super().showEvent(event)
        if self.run.phase in ("setup", "planned"):
            self.setup_page.reload_models()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Hide; while training, ask whether to keep training in the background or stop."""
        phase = self.run.phase
        if phase == "training":
            answer = self.ask_close()
            if answer == "cancel":
                event.ignore()
                return
            if answer == "stop":
                self.cancel()
        elif phase == "planning":
            self._plan_abandoned = True
            self.process.kill()  # reading files only: nothing to keep
        event.accept()

    def _ask_close(self) -> str:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Training is running",
            f"Keep training “{self._name()}” in the background? You can keep writing; File → "
            "Learn a Style… shows its progress again.\n\nStop Training saves a checkpoint: the run can "
            "resume later from there.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        keep = box.addButton("&Keep Training", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("&Stop Training", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.exec()
        clicked = box.clickedButton()
        return "background" if clicked is keep else "stop" if clicked is stop else "cancel"

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        """Accept files and folders dragged onto the form."""
        if (
            self.setup_page.isVisible()
            and self.run.phase in ("setup", "planned")
            and event.mimeData().hasUrls()
        ):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        """Add dropped files and folders to the list."""
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        self.setup_page.add_paths(paths)
        event.acceptProposedAction()

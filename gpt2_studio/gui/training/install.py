"""Learn a Style in the main window: the menu entry (beside File → Models…), one dialog per window, and
what a run running in the background tells the status bar.

The command palette lists the entry by itself (it reads the window's menus). A new model is announced to
the model manager when it is open (it re-reads the models folder); "Use This Model" loads it through the
window's model switcher, like choosing it in the manager.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from gpt2_studio.gui.questions import centre_on

if TYPE_CHECKING:
    from gpt2_studio.gui.training.dialog import LearnStyleDialog
    from gpt2_studio.gui.training.events import TrainingEvent

log = logging.getLogger(__name__)

ACTION_TEXT = "&Learn a Style…"
# On quitting, how long a stopped run may take to finish its step and save before it is killed.
QUIT_GRACE_MS = 30_000


class TrainingUi(QObject):
    """The window's Learn a Style entry and its dialog (made on first use: pyqtgraph loads then)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: LearnStyleDialog | None = None
        self.action = QAction(ACTION_TEXT, window)
        self.action.setObjectName("action-learn-style")
        self.action.setToolTip("Fine-tune a model on your own writing, on this computer")
        self.action.triggered.connect(lambda _checked=False: self.show_dialog())
        menu = next(
            (m for m in window.main_menu.models_action.associatedObjects() if isinstance(m, QMenu)), None
        )
        if menu is not None:  # File: Models…, Open Model Folder…, Learn a Style…
            actions = menu.actions()
            after = actions.index(window.main_menu.models_action) + 2
            menu.insertAction(actions[after] if after < len(actions) else None, self.action)
        window.installEventFilter(self)

    @property
    def training(self) -> bool:
        """True while a run trains (or is stopping)."""
        return self.dialog is not None and self.dialog.run.phase in ("training", "stopping")

    def show_dialog(self) -> LearnStyleDialog:
        """Open the dialog, or bring back the one that is training or has finished."""
        from gpt2_studio.gui.training.dialog import LearnStyleDialog

        if self.dialog is None:
            dialog = LearnStyleDialog(self.window)
            dialog.model_installed.connect(self._installed)
            dialog.use_model_requested.connect(self.window.load_model)
            dialog.process.event.connect(self._event)
            dialog.phase_changed.connect(self._phase_changed)
            self.dialog = dialog
            first = True
        else:
            first = False
        self.dialog.show()
        if first:
            centre_on(self.dialog, self.window)
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _installed(self, name: str) -> None:
        manager = self.window.model_manager
        if manager is not None and manager.isVisible():
            manager.refresh()
            manager.select(name)

    def _event(self, event: TrainingEvent) -> None:
        from gpt2_studio.gui.training.events import StepEvent

        dialog = self.dialog
        if dialog is None or dialog.isVisible() or not isinstance(event, StepEvent):
            return
        self.window.status_bar.showMessage(
            f"Learning “{dialog.request.name if dialog.request else ''}”: step {event.step:,} of "
            f"{event.steps:,} ({event.step / max(1, event.steps):.0%}). File → Learn a Style… shows it.",
            10_000,
        )

    def _phase_changed(self, phase: str) -> None:
        dialog = self.dialog
        if dialog is None or dialog.isVisible():
            return
        run = dialog.run
        if phase == "done" and run.result is not None:
            from gpt2_studio.gui.training.wording import improvement_sentence

            result = run.result
            sentence = improvement_sentence(result.perplexity_before, result.perplexity_after)
            text = f"“{result.name}” has learned your style: {sentence[0].lower()}{sentence[1:]}."
        elif phase == "failed":
            text = f"Learning a style failed: {run.error}"
        elif phase == "interrupted":
            text = "Learning a style stopped; File → Learn a Style… resumes it."
        else:
            return
        self.window.status_bar.showMessage(text, 30_000)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Before the window closes: a run still training is asked about, then stopped with a checkpoint."""
        if watched is self.window and event.type() == QEvent.Type.Close and self.training:
            dialog = self.dialog
            assert dialog is not None
            question = getattr(self.window.questions, "ask_stop_training", None)
            stop = question(dialog.request.name if dialog.request else "") if question else self._ask_stop()
            if not stop:
                event.ignore()
                return True
        return super().eventFilter(watched, event)

    def _ask_stop(self) -> bool:
        from PySide6.QtWidgets import QMessageBox

        dialog = self.dialog
        name = dialog.request.name if dialog is not None and dialog.request else ""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Training is running",
            f"Quitting stops training “{name}”. A checkpoint is saved first: File → Learn a Style… "
            "resumes the run the next time.",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        stop = box.addButton("&Stop and Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(stop)
        box.exec()
        return box.clickedButton() is stop

    def close(self) -> None:
        """The window closes: a running command is stopped (a checkpoint saved) and waited for."""
        dialog = self.dialog
        if dialog is None:
            return
        process = dialog.process
        if process.running:
            if dialog.run.phase == "training":
                dialog.cancel()
            else:
                process.stop()
            if not process.wait(QUIT_GRACE_MS):
                process.kill()
                process.wait(5000)
        dialog.hide()


def install_training(window: Any) -> TrainingUi:
    """Give the main window File → Learn a Style… (call after the menu bar is set)."""
    return TrainingUi(window)

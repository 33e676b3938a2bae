"""Which model the window writes with: loading and reloading it, keeping the status bar and banner true."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.editor.suggestions import SuggestionController
from gpt2_studio.gui.models.banner import ModelBanner, no_model_text, nothing_installed
from gpt2_studio.gui.models.worker import ModelInfo, ModelWorker
from gpt2_studio.gui.questions import centre_on
from gpt2_studio.gui.status_bar import StatusBar

log = logging.getLogger(__name__)


class ModelSwitcher(QObject):
    """Loads models on the worker, follows its answers and opens the model manager."""

    model_changed = Signal()  # a model loaded, or none is left: the context fill is measured again

    def __init__(
        self,
        worker: ModelWorker,
        controller: SuggestionController,
        settings: AppSettings,
        status_bar: StatusBar,
        banner: ModelBanner,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.controller = controller
        self.settings = settings
        self.status_bar = status_bar
        self.banner = banner
        self.questions: Any = None  # set by the window: model folders are asked for through it
        self.model_info: ModelInfo | None = None
        self.model_manager = None
        self.loading_ref: str | None = None  # the model being loaded, if any
        self._parent = parent  # the model manager and folder question are centred on it
        worker.set_threads(settings.threads)
        worker.model_loading.connect(self._on_loading)
        worker.model_loaded.connect(self._on_loaded)
        worker.model_failed.connect(self._on_failed)
        banner.manager_requested.connect(lambda: self.show_model_manager(first_start=nothing_installed()))
        banner.folder_requested.connect(self.choose_model_folder)
        # The model-and-device cell of the status bar opens the manager, where both are chosen.
        status_bar.model_cell.clicked.connect(lambda: self.show_model_manager())

    def load_model(self, ref: str) -> None:
        """Load a model on the worker thread; the editor, and the model in use, keep working meanwhile."""
        self.controller.stop()
        self.worker.load(ref, self.settings.device, self.settings.precision)

    def show_model_manager(self, first_start: bool = False) -> None:
        """The model manager: download, import, delete, choose the model and the device."""
        from gpt2_studio.gui.models.manager import ModelManagerDialog

        in_use = self.model_info.ref if self.model_info is not None else None
        dialog = ModelManagerDialog(
            in_use, self._parent, self.questions, first_start=first_start, device=self.settings.device
        )
        dialog.model_chosen.connect(self.load_model)
        dialog.device_chosen.connect(self.set_device)
        self.model_manager = dialog
        dialog.open()
        centre_on(dialog, self._parent)

    def show_no_model(self, reason: str, *, first_start: bool) -> None:
        """No model to load: say so in the status bar and a banner that stays until one loads."""
        self.status_bar.show_no_model()
        self.banner.show_reason(no_model_text(None if first_start else reason))
        log.warning("%s", reason)

    def set_device(self, device: str) -> None:
        """Run the model on another device (auto, cpu, cuda): reloads the current model there."""
        self.settings.device = device
        if self.model_info is not None:
            self.load_model(self.model_info.ref)

    def set_threads(self, count: int) -> None:
        """Generate → CPU Threads: count torch threads from the next request on (0: automatic)."""
        self.settings.threads = count or None
        self.worker.set_threads(self.settings.threads)
        shown = f"{count} thread{'s' if count > 1 else ''}" if count else "as many threads as CPUs are free"
        self.status_bar.showMessage(f"The model now runs with {shown}.", 5000)

    def choose_model_folder(self) -> None:
        """File → Open Model Folder: load a GPT-2 checkpoint folder the user picks."""
        folder = self.questions.model_folder(str(Path.home()))
        if folder:
            self.load_model(folder)

    def _refresh_model_manager(self) -> None:
        manager = self.model_manager
        if manager is not None and manager.isVisible():
            manager.current = self.model_info.ref if self.model_info is not None else None
            manager.refresh()

    def _on_loading(self, ref: str) -> None:
        self.loading_ref = ref
        self.status_bar.show_loading(ref, self.model_info)

    def _on_loaded(self, info: ModelInfo) -> None:
        self.loading_ref = None
        self.model_info = info
        self.controller.model_ready = True
        self.banner.hide()
        self.settings.model = info.ref
        self.status_bar.show_model(info)
        for warning in info.warnings:
            self.status_bar.showMessage(warning, 10_000)
        self.model_changed.emit()
        self._refresh_model_manager()

    def _on_failed(self, message: str) -> None:
        self.loading_ref = None
        log.warning("%s", message)
        info = self.model_info
        if info is not None and self.worker.context_window is not None:
            # The worker keeps the model it had: say what failed and carry on with it.
            self.status_bar.keep_model(info)
            self.status_bar.showMessage(f"{message} Still using {info.name}.")
            return
        self.model_info = None
        self.controller.model_ready = False
        self.status_bar.showMessage(message)
        self.show_no_model(message, first_start=False)
        self._refresh_model_manager()

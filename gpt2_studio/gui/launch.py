"""Start the GUI: ``gpt2-studio [FILE] [--model PATH_OR_ID]``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gpt2_studio.core.generation.sampling import SamplingSettings

if TYPE_CHECKING:  # imported when the window is built, after the QApplication exists
    from gpt2_studio.gui.main_window import MainWindow
    from gpt2_studio.gui.models.worker import WorkerThread

log = logging.getLogger(__name__)

#: The longest the window waits, once built, for torch's native start-up to finish (seconds).
NATIVE_WAIT_S = 2.0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The editor's command line: an optional file, and where and how to run the model."""
    parser = argparse.ArgumentParser(prog="gpt2-studio", description="Open the GPT-2 Studio editor.")
    parser.add_argument("file", nargs="?", help="a text file to open")
    parser.add_argument("--model", help="model folder, catalog name (gpt2, gpt2-medium, …) or repo id")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where the model runs")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16", "int8", "fp16"))
    return parser.parse_args(list(argv))


def editor_defaults() -> SamplingSettings:
    """The editor's sampling defaults: classic GPT-2 sampling, short suggestions, three alternatives."""
    from gpt2_studio.core.settings import AppSettings

    return AppSettings().sampling


def create_window(args: argparse.Namespace) -> tuple[MainWindow, WorkerThread, str]:
    """Build the main window and its worker (the QApplication must exist); also the model to load."""
    from gpt2_studio.core.settings import load_settings
    from gpt2_studio.gui.main_window import DEFAULT_MODEL, MainWindow
    from gpt2_studio.gui.models.worker import WorkerThread

    settings, warnings = load_settings()
    if args.device:
        settings.device = args.device
    if args.precision:
        settings.precision = args.precision
    worker = WorkerThread()
    window = MainWindow(settings, worker, defaults=editor_defaults())
    for warning in warnings:
        window.statusBar().showMessage(warning, 15_000)
        log.warning("%s", warning)
    return window, worker, (args.model or settings.model or DEFAULT_MODEL)


def start_model(window: MainWindow, model_ref: str) -> None:
    """Load the model; when it is not on this computer (or not complete), say so and offer the manager."""
    from gpt2_studio.core.errors import ModelError
    from gpt2_studio.core.models.checkpoint import inspect_checkpoint
    from gpt2_studio.core.models.resolve import resolve_model
    from gpt2_studio.gui.models.banner import nothing_installed

    try:
        # A half-finished download (a config.json and nothing else) is not a model: check the folder.
        _name, folder = resolve_model(model_ref)
        inspect_checkpoint(folder)
    except ModelError as exc:
        first_start = nothing_installed()
        window.show_no_model(str(exc), first_start=first_start)
        window.show_model_manager(first_start=first_start)
        return
    window.load_model(model_ref)


def launch(argv: Sequence[str]) -> int:
    """Show the window at once, then load the model on the worker thread."""
    from gpt2_studio.gui.models.runtime import finish_preparing, start_preparing, wait_for_native

    # Before Qt and the window: torch's native start-up holds the GIL, so it runs while the window is
    # built rather than when the first model loads into a window the user is typing in.
    start_preparing()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.error_handler import ErrorHandler
    from gpt2_studio.gui.themes import apply_theme
    from gpt2_studio.resources import app_icon

    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("GPT-2 Studio")
    app.setOrganizationName("GPT-2 Studio")
    app.setWindowIcon(app_icon())
    window, worker, model_ref = create_window(args)
    # An exception a slot raises is logged and shown from here on, with a recovery copy of the text.
    errors = ErrorHandler(save_work=window.write_recovery, parent=app)
    errors.install()
    apply_theme(app, window.settings.theme)
    wait_for_native(NATIVE_WAIT_S)
    window.show()

    def after_show() -> None:
        if not window.offer_recovery() and args.file:
            window.open_file(args.file, ask=False)
        start_model(window, model_ref)

    QTimer.singleShot(0, after_show)
    try:
        return app.exec()
    finally:
        errors.uninstall()
        worker.stop()
        finish_preparing()

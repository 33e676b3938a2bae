"""``gpt2-studio --self-test``: prove that this installation can load a GPT-2 model and write with it.

Runs headless in a temporary folder (every per-user folder points there, nothing is downloaded): builds a
tiny GPT-2 checkpoint, loads it with the app's own loader, generates greedy and sampled tokens with the
engine, then opens the real main window offscreen, loads the model on its worker thread and waits for a
suggestion. The installer builds run it on the frozen app after every build; users can run it too.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from gpt2_studio import __version__, paths

MODEL_SECONDS = 120  # loading the tiny model on the worker thread (a cold start imports torch)
SUGGESTION_SECONDS = 60
PROMPT = "The quick brown fox"
SEED = 42


class SelfTestError(Exception):
    """A check failed; the message says which and why."""


@contextmanager
def _isolated_environment(folder: Path) -> Iterator[None]:
    """Per-user folders and the Hugging Face cache inside folder, offline, Qt offscreen unless set."""
    values = {
        paths.HOME_ENV: str(folder / "home"),
        "HF_HOME": str(folder / "hf-home"),
        "HF_HUB_OFFLINE": "1",
        # torch's compile cache, which importing transformers creates (empty) even when nothing compiles.
        "TORCHINDUCTOR_CACHE_DIR": str(folder / "torch-cache"),
    }
    saved = {name: os.environ.get(name) for name in [*values, "QT_QPA_PLATFORM"]}
    os.environ.update(values)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Report:
    """Prints one line per step with how long it took."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.perf_counter()

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        details: list[str] = []
        begun = time.perf_counter()
        yield details
        extra = f" ({'; '.join(details)})" if details else ""
        self.line(f"  ok  {name}: {time.perf_counter() - begun:.2f} s{extra}")


def _describe_install(report: _Report) -> None:
    import torch
    import transformers
    from PySide6 import __version__ as pyside_version

    frozen = getattr(sys, "frozen", False)
    report.line(f"GPT-2 Studio {__version__} self-test")
    report.line(f"  Python {platform.python_version()} on {platform.platform()}")
    cuda = "available" if torch.cuda.is_available() else "not available"
    report.line(
        f"  torch {torch.__version__} (CUDA {cuda}), transformers {transformers.__version__}, "
        f"PySide6 {pyside_version}"
    )
    if frozen:
        report.line(f"  frozen bundle: {Path(sys.executable).resolve().parent}")
    else:
        report.line(f"  running from source: {Path(__file__).resolve().parent}")


def _check_files(report: _Report) -> None:
    from gpt2_studio.core.presets.storage import builtin_presets
    from gpt2_studio.resources import icon_files, resources_root

    with report.step("resources") as details:
        icons = icon_files()
        if not icons:
            message = f"no app icon in {resources_root()}"
            if getattr(sys, "frozen", False):
                raise SelfTestError(f"{message}: the bundle is missing its resources.")
            details.append(f"{message} (fine for a plain pip install)")
        else:
            details.append(f"{len(icons)} icon sizes")
        presets = builtin_presets()
        if not presets:
            raise SelfTestError("no built-in presets: gpt2_studio/data/presets is missing.")
        details.append(f"{len(presets)} built-in presets")
    with report.step("spelling dictionaries") as details:
        from gpt2_studio.core.settings import SPELLING_LANGUAGES
        from gpt2_studio.core.spelling.dictionaries import dictionary

        for language in SPELLING_LANGUAGES:
            try:
                words = len(dictionary(language).word_frequency.dictionary)
            except (ValueError, OSError) as exc:  # a bundle without pyspellchecker's resources
                raise SelfTestError(f"the {language} spelling dictionary cannot be loaded ({exc}).") from exc
            if words < 10_000:
                raise SelfTestError(f"the {language} spelling dictionary has only {words} words.")
            details.append(f"{language} {words:,} words")


def _check_engine(report: _Report, model_dir: Path) -> None:
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.models.loading import load_model
    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    with report.step("build a tiny GPT-2"):
        # Spread-out random weights, so that greedy text varies instead of repeating one token.
        build_tiny_checkpoint(model_dir, init_std=0.3)
    with report.step("load it (device auto, precision auto)") as details:
        model = load_model(model_dir, device="auto", precision="auto")
        details.append(f"{model.device}, {model.precision}")
    engine = Engine(model)
    with report.step("greedy completion") as details:
        pieces: list[str] = []
        greedy = SamplingSettings(temperature=0.0, max_new_tokens=8)
        done = engine.complete(PROMPT, greedy, on_text=lambda delta: pieces.append(delta.text))
        if done.new_tokens < 1:
            raise SelfTestError("greedy generation produced no tokens.")
        if "".join(pieces) != done.text:
            raise SelfTestError("the streamed text differs from the finished greedy text.")
        details.append(f"{done.new_tokens} tokens, {done.tokens_per_second:.0f} tokens/s, {ascii(done.text)}")
    with report.step("sampled completion, 2 alternatives") as details:
        sampled = SamplingSettings(max_new_tokens=8, num_alternatives=2, seed=SEED)
        first = engine.complete(PROMPT, sampled)
        again = engine.complete(PROMPT, sampled)
        if len(first.alternatives) != 2 or first.new_tokens < 1:
            raise SelfTestError(f"sampling returned {len(first.alternatives)} alternatives, expected 2.")
        if first.alternatives != again.alternatives:
            raise SelfTestError("the same seed gave different samples.")
        details.append(f"{first.new_tokens} tokens, same seed gives the same text")


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Run the Qt event loop until condition() holds or the deadline passes."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return True
    deadline = time.monotonic() + seconds
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)

    def check() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return condition()


def _check_window(report: _Report, model_dir: Path) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, Slot
    from PySide6.QtGui import QTextCursor
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.gui.launch import create_window, parse_args
    from gpt2_studio.gui.themes import apply_theme
    from gpt2_studio.resources import app_icon

    class Collector(QObject):
        """Receives the worker's failures on the GUI thread (a QObject slot makes the call queued)."""

        def __init__(self) -> None:
            super().__init__()
            self.errors: list[str] = []
            self.completions: list[object] = []

        @Slot(str)
        def model_failed(self, message: str) -> None:
            self.errors.append(message)

        @Slot(int, str)
        def request_failed(self, _request_id: int, message: str) -> None:
            self.errors.append(message)

        @Slot(object)
        def suggested(self, completion: object) -> None:
            self.completions.append(completion)

    with report.step("open the main window offscreen") as details:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("GPT-2 Studio")
        app.setWindowIcon(app_icon())
        window, worker_thread, _model_ref = create_window(parse_args([]))
        apply_theme(app, window.settings.theme)
        window.show()
        details.append(f"Qt platform {app.platformName()}")
    with report.step("toolbar icon fonts"):
        from gpt2_studio.gui.icons import themed_icon

        if themed_icon("msc.sparkle", window.palette()).isNull():
            raise SelfTestError("the toolbar's icon fonts (qtawesome) cannot be loaded.")
    collector = Collector()
    try:
        window.worker.model_failed.connect(collector.model_failed)
        window.worker.failed.connect(collector.request_failed)
        window.controller.stats.connect(collector.suggested)
        with report.step("load the model on the worker thread") as details:
            window.load_model(str(model_dir))
            if not _wait_until(
                lambda: window.controller.model_ready or bool(collector.errors), MODEL_SECONDS
            ):
                raise SelfTestError(f"the window did not load the model within {MODEL_SECONDS} s.")
            if collector.errors:
                raise SelfTestError(f"the window could not load the model: {collector.errors[0]}")
            details.append(window.model_label.text())
        with report.step("suggestion through the worker thread") as details:
            # A fixed seed keeps the report the same from run to run.
            window.controller.settings = dataclasses.replace(window.controller.settings, seed=SEED)
            window.editor.setPlainText(PROMPT)
            window.editor.moveCursor(QTextCursor.MoveOperation.End)
            window.controller.suggest_now()
            if not _wait_until(lambda: bool(collector.completions or collector.errors), SUGGESTION_SECONDS):
                raise SelfTestError(f"no suggestion arrived within {SUGGESTION_SECONDS} s.")
            if collector.errors:
                raise SelfTestError(f"the suggestion failed: {collector.errors[0]}")
            ghost = window.editor.ghost
            completion = collector.completions[0]
            if ghost is None or list(ghost.alternatives) != list(completion.alternatives):
                raise SelfTestError("the editor does not show the suggestion the worker made.")
            details.append(f"{len(ghost.alternatives)} alternatives, {ascii(ghost.alternatives[0][:30])}")
    finally:
        window.editor.document().setModified(False)
        window.close()
        worker_thread.stop()
        stopped = worker_thread.thread.isFinished()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if not stopped:
        raise SelfTestError("the model worker thread did not stop.")


def run_self_test(out: TextIO | None = None) -> int:
    """Run every check; 0 when all pass, 1 (with the reason on the last line) when one fails."""
    out = out or sys.stdout
    report = _Report(out)
    folder = Path(tempfile.mkdtemp(prefix="gpt2-studio-selftest-"))
    try:
        with _isolated_environment(folder):
            _describe_install(report)
            _check_files(report)
            _check_engine(report, folder / "tiny-gpt2")
            _check_window(report, folder / "tiny-gpt2")
    except SelfTestError as exc:
        report.line(f"SELF-TEST FAILED: {exc}")
        return 1
    except Exception as exc:  # anything at all is a broken installation; say where it broke
        traceback.print_exc(file=out)
        report.line(f"SELF-TEST FAILED: {type(exc).__name__}: {exc}")
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report.line(f"SELF-TEST PASSED in {time.perf_counter() - report.started:.1f} s")
    return 0

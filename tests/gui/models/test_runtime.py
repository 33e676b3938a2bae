"""The model runtime is imported at start-up on a thread of its own, and the window waits for torch's
native start-up (which holds the GIL) before it shows, so a first model load does not freeze the editor."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from gpt2_studio.gui.models import runtime


def _run(code: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_preparing_imports_the_runtime_in_the_background_once():
    done = _run(
        """
        import sys, threading
        from gpt2_studio.gui.models import runtime
        assert "torch" not in sys.modules
        thread = runtime.start_preparing()
        assert runtime.start_preparing() is thread  # once per process
        assert thread is not threading.current_thread() and thread.daemon
        print("NATIVE", runtime.wait_for_native(120))
        runtime.finish_preparing()
        print("ALIVE", thread.is_alive())
        print("MISSING", [m for m in runtime.RUNTIME_MODULES if m not in sys.modules])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["NATIVE", "True", "ALIVE", "False", "MISSING", "[]"]


def test_a_runtime_that_cannot_be_imported_does_not_hold_up_the_window():
    done = _run(
        """
        import sys, time
        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] == 'torch':
                    raise ImportError('torch is blocked in this test')
        sys.meta_path.insert(0, NoTorch())
        from gpt2_studio.gui.models import runtime
        runtime.start_preparing()
        started = time.monotonic()
        print("NATIVE", runtime.wait_for_native(60))
        print("QUICK", time.monotonic() - started < 30)
        runtime.finish_preparing()
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["NATIVE", "False", "QUICK", "True"]


def test_waiting_without_preparing_returns_at_once():
    assert runtime._thread is None  # nothing in the test process prepares
    assert runtime.wait_for_native(60) == (runtime.NATIVE_MODULE in sys.modules)


def test_launch_shows_the_window_after_torch_native_start_up():
    # The real start-up path, with a wait long enough for any machine: when the first slot runs (the
    # window is shown), torch's native library is initialised, so the model load will not initialise it.
    done = _run(
        """
        import sys
        from PySide6.QtWidgets import QApplication
        from gpt2_studio.gui import launch

        def start_model(window, ref):
            print("SHOWN", window.isVisible(), "NATIVE", "torch._C" in sys.modules)
            QApplication.instance().quit()

        launch.NATIVE_WAIT_S = 120
        launch.start_model = start_model
        sys.exit(launch.launch([]))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["SHOWN", "True", "NATIVE", "True"]

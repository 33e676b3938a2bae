"""``gpt2-studio --self-test`` from the source tree: the check every installer build runs on its bundle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gpt2_studio.std_streams import LOG_NAME, ensure_std_streams


def test_self_test_passes_and_leaves_the_user_folders_alone(tmp_path: Path) -> None:
    home = tmp_path / "user-home"
    env = {**os.environ, "GPT2_STUDIO_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "gpt2_studio", "--self-test"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SELF-TEST PASSED" in done.stdout
    for step in ("greedy completion", "sampled completion", "suggestion through the worker thread"):
        assert f"ok  {step}" in done.stdout
    assert not home.exists(), "the self-test wrote into the user's folders"


def test_a_failing_check_exits_non_zero_with_the_reason(monkeypatch) -> None:
    import io

    from gpt2_studio import selftest

    def broken(*_args) -> None:
        raise selftest.SelfTestError("no built-in presets")

    monkeypatch.setattr(selftest, "_check_files", broken)
    out = io.StringIO()
    assert selftest.run_self_test(out) == 1
    assert out.getvalue().splitlines()[-1] == "SELF-TEST FAILED: no built-in presets"


def test_missing_std_streams_go_to_a_log_file(monkeypatch, isolated_home: Path) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    log_path = ensure_std_streams()
    try:
        assert log_path == isolated_home / "cache" / LOG_NAME
        print("written by a windowed app")
        sys.stderr.write("a warning\n")
    finally:
        sys.stdout.close()
    assert log_path.read_text(encoding="utf-8") == "written by a windowed app\na warning\n"


def test_present_std_streams_are_left_alone() -> None:
    stdout, stderr = sys.stdout, sys.stderr
    assert ensure_std_streams() is None
    assert (sys.stdout, sys.stderr) == (stdout, stderr)

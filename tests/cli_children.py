"""Running the command line in a child process, as a shell does: shared by the CLI test modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

POSIX = os.name == "posix"
needs_posix = pytest.mark.skipif(not POSIX, reason="POSIX pipes, signals and byte arguments")


def child_env(**extra: str) -> dict[str, str]:
    """This environment plus ``extra``; an empty value removes the variable."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **extra}
    for name, value in extra.items():
        if value == "":
            env.pop(name)
    return env


def run_child(
    args: list, *, stdin: bytes = b"", env: dict[str, str] | None = None, **popen: object
) -> subprocess.CompletedProcess[bytes]:
    """Run the entry point's code path in a child; stdout/stderr as bytes unless redirected."""
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.run(
        [sys.executable, "-m", "gpt2_studio", *args],
        input=stdin,
        timeout=180,
        env=env or child_env(),
        check=False,
        **streams,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[bytes], code: int, text: str = "") -> str:
    """The status is ``code`` and standard error one line (containing ``text``), no traceback."""
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == code, err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("gpt2-studio"), err
    assert text in err
    return err


def generate_args(model: Path, *more: str) -> list[str]:
    """``generate`` on ``model``, repeatable (fixed seed, exact fp32)."""
    return ["generate", "--model", str(model), "--seed", "3", "--precision", "fp32", *more]

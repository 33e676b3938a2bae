"""Run Python code as an unprivileged user, so that file permissions really apply (we test as root).

Root ignores permission bits, so a read-only folder proves nothing in-process. ``run_as_nobody`` starts
``setpriv --reuid=65534`` with an interpreter that user may execute (the test's own, or the system's of
the same version when the test's lives under /root) and this checkout plus its site-packages on the path.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import gpt2_studio

NOBODY = 65534
REPO = Path(gpt2_studio.__file__).resolve().parents[1]


def _usable_by_nobody(path: Path) -> bool:
    """True when every folder above path is searchable and path itself executable by 'other'."""
    path = path.resolve()
    if not path.exists() or not os.stat(path).st_mode & 0o001:
        return False
    return all(os.stat(folder).st_mode & 0o001 for folder in path.parents)


def _interpreter() -> str | None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if candidate and _usable_by_nobody(Path(candidate)):
            return candidate
    return None


def public_temp_dir() -> Path:
    """A fresh folder under /tmp that the unprivileged user can enter (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="gpt2-studio-nobody-"))
    folder.chmod(0o755)
    return folder


def run_as_nobody(code: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` with ``python -c`` as uid/gid 65534; skips the test where that is impossible."""
    setpriv = shutil.which("setpriv")
    python = _interpreter()
    if os.geteuid() != 0 or setpriv is None or python is None:
        pytest.skip("needs root, setpriv and a Python interpreter the unprivileged user may run")
    paths = [str(REPO), *site.getsitepackages()]
    if not all(_usable_by_nobody(Path(p)) for p in paths):
        pytest.skip("the checkout or its packages are not readable by an unprivileged user")
    full_env = {
        "PATH": "/usr/bin:/bin",
        "HOME": env.get("GPT2_STUDIO_HOME", "/tmp"),
        "PYTHONPATH": os.pathsep.join(paths),
        "QT_QPA_PLATFORM": "offscreen",
        **env,
    }
    return subprocess.run(
        [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", python, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/tmp",
        check=False,
    )

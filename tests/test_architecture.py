"""The layering rules, enforced: the core works without Qt and starts without torch."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import gpt2_studio.core

CORE_MODULES = sorted(
    info.name for info in pkgutil.walk_packages(gpt2_studio.core.__path__, "gpt2_studio.core.")
)

BLOCK_QT = """
import sys
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt is blocked in this test: ' + name)
        return None
sys.meta_path.insert(0, BlockQt())
"""


def test_every_core_module_imports_with_qt_absent():
    code = BLOCK_QT + "".join(f"import {name}\n" for name in CORE_MODULES)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(CORE_MODULES) >= 8


def test_importing_the_core_and_cli_does_not_import_torch():
    code = (
        "import sys, gpt2_studio.core, gpt2_studio.cli.main, gpt2_studio.paths\n"
        "from gpt2_studio.core import SamplingSettings\n"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

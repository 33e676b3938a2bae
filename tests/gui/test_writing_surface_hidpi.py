"""High-DPI: at a device pixel ratio of 2 (and a fractional 1.5) the column, line spacing and text are
laid out in logical pixels and drawn at full resolution. Qt fixes the scale at start-up, so each ratio
runs in a child process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHILD = r"""
import json
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.surface.column import TextColumn
window = QMainWindow()
editor = GhostTextEdit(window)
window.setCentralWidget(editor)
column = TextColumn(editor, 60)
window.resize(900, 600)
window.show()
editor.setPlainText(("The keeper climbed the stairs each evening, counting the steps. " * 8 + "\n") * 3)
app.processEvents()
block = editor.document().firstBlock()
heights = {}
for percent in (100, 150):
    editor.set_line_spacing(percent)
    heights[percent] = editor.blockBoundingRect(block).height()
image = editor.viewport().grab().toImage()
print(json.dumps({
    "ratio": editor.devicePixelRatioF(),
    "image": [image.width(), image.height()],
    "viewport": [editor.viewport().width(), editor.viewport().height()],
    "left": editor.viewport().x(),
    "right": editor.width() - editor.viewport().geometry().right() - 1,
    "heights": heights,
    "lines": block.layout().lineCount(),
}))
editor.document().setModified(False)
"""


@pytest.mark.parametrize("scale", ["2", "1.5"])
def test_the_surface_is_laid_out_in_logical_pixels_and_drawn_at_full_resolution(scale, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale, "PYTHONPATH": str(ROOT)}
    env["GPT2_STUDIO_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    ratio = float(scale)
    assert result["ratio"] == pytest.approx(ratio)
    width, height = result["viewport"]
    # the viewport is grabbed at device resolution: crisp text, not an upscaled bitmap
    assert result["image"][0] == pytest.approx(width * ratio, abs=2)
    assert result["image"][1] == pytest.approx(height * ratio, abs=2)
    assert abs(result["left"] - result["right"]) <= 2  # centred
    assert result["lines"] >= 2
    assert result["heights"]["150"] == pytest.approx(1.5 * result["heights"]["100"], rel=0.05)

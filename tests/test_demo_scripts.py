"""The demo model's corpus filter (scripts/make_demo_model.py) and the README screenshot script.

The screenshot test drives the real window headless with a tiny real GPT-2, as the README's shots do
with the demo model; it is slow (a window, a model load, two suggestions), so marked ``slow``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


PROSE = (
    "This option specifies that files are to be edited in-place. GNU sed does this by creating a\n"
    "temporary file and sending output to this file rather than to the standard output."
)
CODE = "    for (i = 0; i < n; i++) {\n        total += values[i] * weights[i];\n    }"
LICENCE = (
    "This program is distributed in the hope that it will be useful, but WITHOUT ANY WARRANTY; without\n"
    "even the implied warranty of merchantability or fitness for a particular purpose."
)
OPTIONS = "-i[SUFFIX] --in-place[=SUFFIX] -l N --line-length=N --posix -b --binary -E -r --regexp-extended."
TABLE = "Name  Type  Default  Notes\nsize  int   0   bytes\nmode  str   rw   flags\nuser  str   root   owner."


def test_prose_paragraphs_keep_sentences_and_drop_code_licences_and_lists() -> None:
    demo = load_script("make_demo_model")
    text = "\n\n".join([PROSE, CODE, LICENCE, OPTIONS, TABLE, "Too short to teach anything."])
    assert demo.prose_paragraphs(text) == [" ".join(PROSE.split())]


def test_prose_paragraphs_join_wrapped_lines_and_straighten_quotes() -> None:
    demo = load_script("make_demo_model")
    text = "The ‘-n’ option tells the program\nnot to print the pattern space, which is the default here."
    assert demo.prose_paragraphs(text) == [
        "The '-n' option tells the program not to print the pattern space, which is the default here."
    ]


@pytest.mark.slow
# offscreen: a context menu raises itself and grabs the keyboard, which the platform cannot do
@pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing")
def test_screenshot_script_takes_the_light_shot_and_the_right_click_menu(tmp_path: Path, capsys) -> None:
    """Both shots are written, with a ghost; the menu opened by the right-click is found and drawn."""
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    if QApplication.instance() is not None:
        pytest.skip("the script makes its own QApplication")
    shot = load_script("screenshot")
    model = build_tiny_checkpoint(tmp_path / "tiny")
    light, menu = tmp_path / "light.png", tmp_path / "menu.png"
    assert shot.main([str(light), "--model", str(model), "--size", "1200x600"]) == 0
    out = capsys.readouterr().out
    assert "light.png: light, ghost '" in out
    assert "ghost ''" not in out
    image = QImage(str(light))
    assert (image.width(), image.height()) == (1200, 600)

    plain = QImage(str(light))
    assert shot.main([str(menu), "--model", str(model), "--size", "1200x600", "--spell-menu"]) == 0
    out = capsys.readouterr().out
    assert "menu.png: menu [" in out  # a menu opened and its items were read (None when none opened)
    assert "Select All" in out  # Qt's own entries are there whatever else the window adds
    assert QImage(str(menu)) != plain

"""The README's command-line examples work as written (with the tiny model standing in for GPT-2)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gpt2_studio.cli.main import build_parser
from tests.cli_children import child_env, needs_posix

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def bash_lines(title: str) -> list[str]:
    """The lines of the ```bash blocks in one README section."""
    blocks = re.findall(r"```bash\n(.*?)```", section(title), flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def inline_commands(title: str) -> list[str]:
    return re.findall(r"`(gpt2-studio [^`]*)`", section(title))


COMMAND_LINE = bash_lines("Command line")
MODELS = bash_lines("Models")


def test_the_sections_have_examples():
    assert len(COMMAND_LINE) >= 3
    assert any("models download" in line for line in MODELS)


@pytest.mark.parametrize(
    "line",
    [
        *COMMAND_LINE,
        *MODELS,
        *inline_commands("Command line"),
        *inline_commands("Presets"),
        *inline_commands("Install"),
    ],
)
def test_every_documented_command_parses(line):
    words = shlex.split(line.split("|")[-1].split("<")[0], comments=True)
    assert words[0] == "gpt2-studio"
    args = [w for w in words[1:] if w not in ("…", "COMMAND", "[FILE]", "[--model", "PATH_OR_ID]")]
    if not args or args[0] not in ("generate", "models", "presets", "score", "--self-test"):
        pytest.skip("opens the editor, or only prints help")
    parsed = build_parser().parse_args(args)  # a usage error raises SystemExit and fails the test
    assert parsed.command or parsed.self_test


@needs_posix
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_command_line_examples_run_as_written(tiny_model_dir, tmp_path):
    home = tmp_path / "home"
    env = child_env(GPT2_STUDIO_HOME=str(home), HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    shutil.copytree(tiny_model_dir, tmp_path / "my-finetune")
    define = f'gpt2-studio() {{ {shlex.quote(sys.executable)} -m gpt2_studio "$@"; }}; set -o pipefail; '

    def shell(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", define + line],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    # The tiny model installed under the name the examples use.
    assert shell(f"gpt2-studio models import {shlex.quote(str(tiny_model_dir))} --name gpt2").returncode == 0
    for line in [*COMMAND_LINE, *(line for line in MODELS if "models download" not in line)]:
        done = shell(line)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        assert done.stdout.strip(), line
        assert "Traceback" not in done.stderr
    assert "poetry" not in os.listdir(home / "data" / "models")

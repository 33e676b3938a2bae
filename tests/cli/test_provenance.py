"""``gpt2-studio provenance FILE``: the spans kept for a file, or one line and exit 1."""

from __future__ import annotations

import io
import json

import pytest

from gpt2_studio.cli.main import run_cli
from gpt2_studio.core.provenance.records import Record
from gpt2_studio.core.provenance.spans import Span
from gpt2_studio.core.provenance.store import Provenance, provenance_folder, save_provenance

MODEL = Record(
    kind="model", time="2026-12-02T13:00:00Z", model="tiny", checkpoint="c0ffee", device="cpu",
    precision="fp32", sampling={"temperature": 0.7}, seed=3, action="suggestion",
)  # fmt: skip
TEXT = "Mine.\nThe model's line.\nMine 🙂 again."


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return run_cli(["provenance", *args], stdout=out), out.getvalue()


def _saved(tmp_path, newline: str = "\n"):
    path = tmp_path / "essay.txt"
    path.write_bytes(TEXT.replace("\n", newline).encode())
    spans = [Span(6, 23, MODEL.record_id)]
    save_provenance(path, TEXT, Provenance(spans, {MODEL.record_id: MODEL}), provenance_folder())
    return path


def test_lists_spans_with_text_record_and_share(tmp_path):
    path = _saved(tmp_path)
    code, out = _run(str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{path}: 17 of 37 characters written by a model (45.95%), 0 pasted (0.0%)"
    assert lines[1] == '6-23 model "The model\'s line."'
    assert "tiny [c0ffee] on cpu (fp32): suggestion" in lines[2]
    assert "seed 3" in lines[2]


def test_json_offsets_point_into_the_file_as_it_is(tmp_path):
    path = _saved(tmp_path, "\r\n")
    code, out = _run(str(path), "--json")
    assert code == 0
    data = json.loads(out)
    file_text = path.read_bytes().decode()
    [span] = data["spans"]
    assert (span["start"], span["end"]) == (7, 24)
    assert file_text[span["start"] : span["end"]] == span["text"] == "The model's line."
    assert data["records"][MODEL.record_id]["seed"] == 3
    assert data["share"]["model_chars"] == 17


def test_no_record_is_one_line_and_exit_1(tmp_path, capsys):
    path = tmp_path / "plain.txt"
    path.write_text("nothing here")
    code, out = _run(str(path))
    assert code == 1
    assert out == ""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "has no provenance record" in err[0]


def test_a_file_changed_since_is_one_line_and_exit_1(tmp_path, capsys):
    path = _saved(tmp_path)
    before = path.read_bytes()
    path.write_text(TEXT + " More.")
    code, _out = _run(str(path))
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "does not match the file" in err[0]
    path.write_bytes(before)
    assert _run(str(path))[0] == 0


@pytest.mark.parametrize("args", [[], ["a", "b"]])
def test_usage_errors(args):
    assert _run(*args)[0] == 2


def test_every_command_the_parser_knows_reaches_the_command_line_not_the_editor(tmp_path):
    import argparse
    import os
    import subprocess
    import sys

    from gpt2_studio.cli.main import COMMANDS, build_parser

    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == set(COMMANDS)
    # Through the app's entry point with no display: the command answers, not the editor's launcher.
    path = tmp_path / "plain.txt"
    path.write_text("nothing here")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["GPT2_STUDIO_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-m", "gpt2_studio", "provenance", str(path)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "has no provenance record" in done.stderr

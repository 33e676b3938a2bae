"""--threads for generate and score: a number, or auto (the CPUs other programs leave free)."""

from __future__ import annotations

import json

import pytest
import torch

from gpt2_studio.core.runner.threads import usable_cpus
from tests.cli.test_cli import run, run_in_process


@pytest.fixture(autouse=True)
def restore_torch_threads():
    """The in-process CLI sets torch's threads on this (the test's) thread: put them back."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _generate(model, *extra: str) -> list[str]:
    return ["generate", "--model", str(model), "--prompt", "The fox", "--max-new-tokens", "4", *extra]


def test_generate_runs_with_the_threads_asked_for(tiny_model_dir):
    code, raw = run_in_process([*_generate(tiny_model_dir, "--seed", "3", "--json", "--threads", "1")])
    assert code == 0
    assert torch.get_num_threads() == 1  # set on the thread that ran the model
    code, raw_two = run_in_process([*_generate(tiny_model_dir, "--seed", "3", "--json", "--threads", "2")])
    assert code == 0
    assert torch.get_num_threads() == 2
    assert json.loads(raw_two)["alternatives"] == json.loads(raw)["alternatives"]  # same seed, same text


def test_auto_is_the_default_and_can_be_named(tiny_model_dir):
    for extra in ([], ["--threads", "auto"], ["--threads", " AUTO "]):
        torch.set_num_threads(usable_cpus() + 1)  # a count auto never picks
        code, raw = run_in_process([*_generate(tiny_model_dir, "--json", *extra)])
        assert code == 0
        assert json.loads(raw)["alternatives"]
        assert 1 <= torch.get_num_threads() <= usable_cpus()


def test_score_takes_threads_too(tiny_model_dir, tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("The fox ran into the woods.", encoding="utf-8")
    args = ["score", "--model", str(tiny_model_dir), "--threads", "1", "--json", str(text)]
    code, raw = run_in_process(args)
    assert code == 0
    assert json.loads(raw)["tokens"]
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("value", ["0", "-1", "257", "two", "1.5", ""])
def test_a_bad_thread_count_is_one_line_and_status_2(tiny_model_dir, capsys, value):
    for args in (_generate(tiny_model_dir), ["score", "--model", str(tiny_model_dir)]):
        code, out = run_in_process([*args, "--threads", value])
        assert (code, out) == (2, "")
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        assert "--threads" in lines[0]
        assert "auto or a whole number from 1 to 256" in lines[0]


def test_a_bad_thread_count_from_the_installed_command_has_no_traceback(tiny_model_dir):
    done = run([*_generate(tiny_model_dir), "--threads", "0"])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "--threads" in lines[0]
    assert "auto or a whole number from 1 to 256" in lines[0]
    assert "Traceback" not in done.stderr

"""``gpt2-studio train`` as a user runs it: JSON lines, the plan, every refusal, Ctrl+C and --resume."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gpt2_studio.cli.main import run_cli
from gpt2_studio.core.models.store import import_checkpoint, installed_folder
from gpt2_studio.core.training.plan import run_folder
from tests.cli_children import child_env, needs_posix
from tests.core.training.conftest import write_pattern_corpus

SCHEMA = {
    "plan": {
        "event", "base", "name", "documents", "corpus_tokens", "train_tokens", "heldout_tokens",
        "skipped", "steps", "block_size", "lora_rank", "estimate",
    },
    "baseline": {"event", "heldout_loss", "perplexity"},
    "step": {"event", "step", "steps", "loss", "tokens_per_second", "eta_seconds"},
    "heldout": {"event", "step", "heldout_loss"},
    "checkpoint": {"event", "step"},
    "interrupted": {"event", "step", "resumable"},
    "done": {"event", "name", "folder", "perplexity_before", "perplexity_after", "samples"},
    "error": {"event", "message"},
}  # fmt: skip
TYPES = {
    "documents": int, "corpus_tokens": int, "train_tokens": int, "heldout_tokens": int, "steps": int,
    "block_size": int, "lora_rank": int, "step": int, "loss": float, "heldout_loss": float,
    "perplexity": float, "tokens_per_second": float, "eta_seconds": float, "perplexity_before": float,
    "perplexity_after": float, "base": str, "name": str, "folder": str, "message": str,
}  # fmt: skip
FAST = ["--block-size", "32", "--batch-size", "4", "--precision", "fp32", "--device", "cpu", "--threads", "1"]


@pytest.fixture
def writing(tmp_path: Path) -> Path:
    folder = write_pattern_corpus(tmp_path / "writing")
    (folder / "photo.txt").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    return folder


def _train(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return run_cli(["train", *args], stdout=out), out.getvalue()


def _lines(text: str) -> list[dict]:
    events = [json.loads(line) for line in text.splitlines()]
    for event in events:
        assert set(event) == SCHEMA[event["event"]], event
        for key, kind in TYPES.items():
            if key in event:
                assert isinstance(event[key], kind), (key, event)
    return events


def test_json_lines_follow_the_schema_from_plan_to_done(tiny_model_dir, writing):
    code, out = _train(
        "--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--steps", "6",
        "--save-every", "3", "--lora-rank", "4", "--json", *FAST,
    )  # fmt: skip
    assert code == 0
    events = _lines(out)
    kinds = [e["event"] for e in events]
    assert kinds == [
        "plan", "baseline", *["step"] * 3, "heldout", "checkpoint", *["step"] * 3, "checkpoint", "heldout",
        "done",
    ]  # fmt: skip
    plan = events[0]
    assert plan["skipped"] == [{"path": str(writing / "photo.txt"), "reason": plan["skipped"][0]["reason"]}]
    assert "binary" in plan["skipped"][0]["reason"]
    assert set(plan["estimate"]) == {"seconds", "peak_memory_bytes", "disk_bytes"}
    assert [e["step"] for e in events if e["event"] == "step"] == [1, 2, 3, 4, 5, 6]
    done = events[-1]
    assert done["folder"] == str(installed_folder("mine"))
    assert all(set(s) == {"prompt", "before", "after"} for s in done["samples"])
    code, listed = run_cli_output(["models", "list"])
    assert "mine" in listed


def run_cli_output(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return run_cli(args, stdout=out), out.getvalue()


def test_plan_prints_the_plan_and_trains_nothing(tiny_model_dir, writing):
    code, out = _train(
        "--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--plan", "--json", *FAST
    )  # fmt: skip
    assert code == 0
    (plan,) = _lines(out)
    assert plan["event"] == "plan"
    assert plan["documents"] == 8
    assert installed_folder("mine") is None
    assert not run_folder("mine").exists()
    code, text = _train(
        "--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--plan", *FAST
    )
    assert code == 0
    assert "Corpus: 8 documents" in text
    assert " held out: 1 of 8 whole documents (part" in text  # said once, not "held out: … held out"
    assert f"Skipped {writing / 'photo.txt'}: looks like a binary file" in text
    assert "nothing leaves this computer" in text


@pytest.mark.parametrize(
    ("make", "args", "code", "message"),
    [
        (lambda t, base: t.mkdir(), ["--data", "{empty}"], 1, "holds no .txt, .md, .docx or .odt files"),
        (lambda t, base: None, ["--model", "no-such-model"], 1, "The base model is not installed"),
        (lambda t, base: import_checkpoint(base, "mine"), [], 1, "A model named 'mine' is already installed"),
        (
            lambda t, base: None,
            ["--block-size", "128", "--data", "{short}"],
            1,
            "fewer than one block of 128",
        ),
        (lambda t, base: None, ["--steps", "0"], 2, "--steps must be at least 1"),
        (lambda t, base: None, ["--lora-rank", "-1"], 2, "--lora-rank must be 0"),
        (lambda t, base: None, ["--resume"], 1, "no stopped run named 'mine' to resume"),
        (lambda t, base: None, ["--name", "gpt2-medium"], 1, "is the name of a GPT-2 model in the catalogue"),
        (lambda t, base: None, ["--resume", "--discard"], 2, "Give --discard alone, not with --resume"),
    ],
)
def test_bad_input_is_one_sentence_and_nothing_half_made(
    tiny_model_dir, writing, tmp_path, capsys, make, args, code, message
):
    make(tmp_path / "empty", tiny_model_dir)
    (tmp_path / "short.txt").write_text("Only a few words.", encoding="utf-8")
    given = {"{empty}": str(tmp_path / "empty"), "{short}": str(tmp_path / "short.txt")}
    args = [given.get(a, a) for a in args]
    base = ["--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--json", *FAST]
    status, out = _train(*base, *args)
    assert status == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert _lines(out)[-1] == {"event": "error", "message": err.removeprefix("gpt2-studio: error: ").strip()}
    assert not run_folder("mine").exists()


def test_not_enough_memory_is_refused_before_starting(tiny_model_dir, writing, capsys, monkeypatch):
    monkeypatch.setenv("GPT2_STUDIO_TRAIN_FREE_MEMORY", "1000000")
    status, _ = _train("--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", *FAST)
    assert status == 1
    assert "of memory but only 1 MB is free" in capsys.readouterr().err


def test_steps_and_minutes_together_are_a_usage_error(tiny_model_dir, writing, capsys):
    args = ["--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--steps", "3"]
    assert _train(*args, "--minutes", "1") == (2, "")
    assert "not allowed with argument" in capsys.readouterr().err


def _child(args: list[str], cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gpt2_studio", "train", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(), cwd=cwd,
    )  # fmt: skip


def _stop_mid_run(args: list[str], sig: int, cwd: Path | None = None) -> tuple[int, list[dict], str]:
    """Start a run in a child, send sig once it has done a step, and collect what it printed."""
    child = _child(args, cwd)
    events = []
    assert child.stdout is not None
    for line in child.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "step":
            child.send_signal(sig)
            break
    out, err = child.communicate(timeout=120)
    events += [json.loads(line) for line in out.splitlines()]
    return child.returncode, events, err


@needs_posix
def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_the_run(tiny_model_dir, writing):
    args = ["--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--json", *FAST]
    code, events, err = _stop_mid_run([*args, "--steps", "40", "--lora-rank", "4"], signal.SIGINT)

    assert code == 130, err
    stopped = events[-1]
    assert stopped["event"] == "interrupted"
    assert stopped["resumable"] is True
    assert events[-2] == {"event": "checkpoint", "step": stopped["step"]}
    assert stopped["step"] < 40
    assert installed_folder("mine") is None

    done = subprocess.run(
        [sys.executable, "-m", "gpt2_studio", "train", "--name", "mine", "--resume", "--json"],
        capture_output=True, text=True, env=child_env(), timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    resumed = _lines(done.stdout)
    steps = [e["step"] for e in resumed if e["event"] == "step"]
    assert steps[0] == stopped["step"] + 1
    assert steps[-1] == 40
    assert resumed[-1]["event"] == "done"
    assert installed_folder("mine") is not None
    assert not run_folder("mine").exists()


@needs_posix
def test_a_run_given_relative_paths_resumes_from_another_folder(tiny_model_dir, tmp_path):
    write_pattern_corpus(tmp_path / "corpus", documents=12, words=80)
    (tmp_path / "corpus" / "notes.md").write_text("Notes on the fox and the dog.\n" * 20, encoding="utf-8")
    files = [f"corpus/part{i}.txt" for i in range(12)] + ["corpus/notes.md"]
    args = ["--model", str(tiny_model_dir), "--data", *files, "--name", "mine", "--json", *FAST]
    code, events, err = _stop_mid_run([*args, "--steps", "40", "--lora-rank", "4"], signal.SIGINT, tmp_path)
    assert code == 130, err
    assert events[-1]["event"] == "interrupted"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "gpt2_studio", "train", "--name", "mine", "--resume", "--json"],
        capture_output=True, text=True, env=child_env(), timeout=180, cwd=elsewhere,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    resumed = _lines(done.stdout)
    assert (resumed[0]["train_tokens"], resumed[0]["heldout_tokens"]) == (
        events[0]["train_tokens"], events[0]["heldout_tokens"],
    )  # fmt: skip
    assert resumed[-1]["event"] == "done"


@needs_posix
def test_a_second_run_of_the_same_name_is_refused_while_the_first_runs(tiny_model_dir, writing, capsys):
    args = ["--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--json", *FAST]
    child = _child([*args, "--steps", "400", "--lora-rank", "4"])
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if json.loads(line)["event"] == "step":
                break
        status, out = _train(*args, "--steps", "5")
        assert status == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"A run named 'mine' is already going on (process {child.pid})" in err
        assert _train("--name", "mine", "--discard")[0] == 1
        assert "already going on" in capsys.readouterr().err
    finally:
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert _train("--name", "mine", "--discard") == (0, "Removed the stopped run mine.\n")


def test_resume_without_a_stopped_run_says_so_before_anything_else(capsys):
    assert _train("--name", "zz", "--resume", "--json")[0] == 1
    assert capsys.readouterr().err == "gpt2-studio: error: There is no stopped run named 'zz' to resume.\n"


@needs_posix
def test_resume_refuses_settings_it_would_ignore(tiny_model_dir, writing, capsys):
    args = ["--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--json", *FAST]
    code, events, err = _stop_mid_run([*args, "--steps", "40", "--lora-rank", "4"], signal.SIGINT)
    assert code == 130, err
    stopped = run_folder("mine").exists()

    status, _ = _train("--name", "mine", "--resume", "--steps", "5", "--lora-rank", "8", "--seed", "3")
    assert status == 2
    assert "so --lora-rank, --seed cannot be given with --resume" in capsys.readouterr().err
    assert stopped
    assert run_folder("mine").exists()  # the stopped run is still there to resume


@needs_posix
def test_sigterm_stops_resumably_and_discard_removes_the_run(tiny_model_dir, writing):
    args = ["--model", str(tiny_model_dir), "--data", str(writing), "--name", "mine", "--json", *FAST]
    code, events, err = _stop_mid_run([*args, "--steps", "40", "--lora-rank", "4"], signal.SIGTERM)
    assert code == 130, err
    assert events[-1]["event"] == "interrupted"
    assert run_folder("mine").exists()

    assert _train("--name", "mine", "--discard") == (0, "Removed the stopped run mine.\n")
    assert not run_folder("mine").exists()
    assert installed_folder("mine") is None
    assert _train("--name", "mine", "--discard")[0] == 1


def test_the_readmes_train_examples_parse():
    import re
    import shlex

    from gpt2_studio.cli.main import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Learn a style\n")
    section = readme[start : readme.index("\n## ", start + 1)]
    lines = [
        line
        for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)
        for line in block.splitlines()
        if line.strip()
    ]
    assert sum(line.startswith("gpt2-studio train") for line in lines) >= 4
    for line in lines:
        words = shlex.split(line, comments=True)
        parsed = build_parser().parse_args(words[1:])  # a usage error raises SystemExit and fails
        assert parsed.command in ("train", "generate")

"""The command line, run the way a user runs it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from gpt2_studio import paths
from gpt2_studio.cli.main import run_cli
from tests.hub_stand_in import serve_tiny_gpt2


def run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gpt2_studio`` in a child process (the installed entry point's code path)."""
    done = subprocess.run(
        [sys.executable, "-m", "gpt2_studio", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def run_in_process(args: list[str], stdin_text: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = run_cli(args, stdout=out, stdin=io.StringIO(stdin_text))
    return code, out.getvalue()


def test_generate_prints_the_continuation_and_json_tells_the_rest(tiny_model_dir):
    base = [
        "generate",
        "--model",
        str(tiny_model_dir),
        "--prompt",
        "The fox",
        "--seed",
        "5",
        "--max-new-tokens",
        "12",
    ]
    code, plain = run_in_process(base)
    assert code == 0
    code, raw = run_in_process([*base, "--json"])
    assert code == 0
    data = json.loads(raw)
    assert plain == data["alternatives"][0] + "\n"
    assert data["model"] == "tiny-gpt2"
    assert data["device"] == "cpu"
    assert data["seed"] == 5
    assert data["tokens_per_second"] > 0
    assert data["finish_reasons"] == ["length"]


def test_streaming_prints_the_same_text(tiny_model_dir):
    base = [
        "generate",
        "--model",
        str(tiny_model_dir),
        "--prompt",
        "The fox",
        "--seed",
        "5",
        "--max-new-tokens",
        "12",
    ]
    assert run_in_process(base) == run_in_process([*base, "--stream"])


def test_several_alternatives_are_labelled(tiny_model_dir):
    code, out = run_in_process(
        ["generate", "--model", str(tiny_model_dir), "--prompt", "x", "--num", "3", "--seed", "1"]
    )
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("--- alternative")] == [
        "--- alternative 1 of 3 ---",
        "--- alternative 2 of 3 ---",
        "--- alternative 3 of 3 ---",
    ]


def test_stop_option(tiny_model_dir):
    base = ["generate", "--model", str(tiny_model_dir), "--prompt", "The fox", "--temperature", "0", "--json"]
    full = json.loads(run_in_process(base)[1])["alternatives"][0]
    stop = full[4:6]
    data = json.loads(run_in_process([*base, "--stop", stop])[1])
    assert data["alternatives"][0] == full[: full.index(stop)]


def test_entry_point_reads_the_prompt_from_standard_input(tiny_model_dir):
    args = ["generate", "--model", str(tiny_model_dir), "--seed", "4", "--json", "--precision", "fp32"]
    piped = run(args, stdin=b"The quick brown fox")
    assert piped.returncode == 0, piped.stderr
    given = run([*args, "--prompt", "The quick brown fox"])
    assert json.loads(piped.stdout)["alternatives"] == json.loads(given.stdout)["alternatives"]
    assert json.loads(piped.stdout)["precision"] == "fp32"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--temperature", "-1"], 2, "temperature must be between 0 and 5"),
        (["--num", "99"], 2, "num_alternatives must be between 1 and 16"),
        (["--max-new-tokens", "500"], 2, "smaller than the model's window of 128 tokens"),
    ],
)
def test_bad_settings_exit_2_with_one_line(tiny_model_dir, args, code, message, capsys):
    status, _ = run_in_process(["generate", "--model", str(tiny_model_dir), "--prompt", "x", *args])
    err = capsys.readouterr().err
    assert status == code
    assert message in err
    assert err.count("\n") == 1
    assert err.startswith("gpt2-studio: error: ")


def test_user_errors_from_the_real_entry_point(tmp_path, tiny_model_dir):
    missing = run(["generate", "--model", str(tmp_path / "none"), "--prompt", "x"])
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"gpt2-studio: error: Model folder {tmp_path / 'none'}: does not exist."
    assert "Traceback" not in missing.stderr
    binary = run(["generate", "--model", str(tiny_model_dir)], stdin=b"caf\xe9 \xff\xfe")
    assert binary.returncode == 2
    assert "standard input is not valid UTF-8" in binary.stderr
    assert "Traceback" not in binary.stderr


def test_no_prompt_and_no_pipe_is_explained(tiny_model_dir, capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    code = run_cli(["generate", "--model", str(tiny_model_dir)], stdout=io.StringIO(), stdin=Terminal())
    assert code == 2
    assert "no prompt: pass --prompt TEXT or pipe the text" in capsys.readouterr().err


def test_models_list_import_and_remove(tiny_model_dir):
    code, out = run_in_process(["models", "list"])
    assert code == 0
    for name in ("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "distilgpt2"):
        assert f"\n{name} " in out
    assert "548 MB" in out
    code, out = run_in_process(["models", "import", str(tiny_model_dir), "--name", "mine"])
    assert code == 0
    assert "Imported mine" in out
    code, out = run_in_process(["models", "list"])
    assert "mine" in out.split("Other installed models:")[1]
    code, out = run_in_process(["generate", "--model", "mine", "--prompt", "x", "--max-new-tokens", "3"])
    assert code == 0
    assert run_in_process(["models", "remove", "mine"])[0] == 0


def test_models_errors_are_one_line(tmp_path, capsys):
    assert run_in_process(["models", "remove", "nothing"])[0] == 1
    assert "No model named 'nothing' is installed" in capsys.readouterr().err
    assert run_in_process(["models", "import", str(tmp_path)])[0] == 1
    assert "has no config.json" in capsys.readouterr().err
    assert run_in_process(["models", "download", "not a repo"])[0] == 1
    assert "neither a known model" in capsys.readouterr().err


def test_models_download_with_a_progress_line(hub_stand_in, tmp_path, monkeypatch, capsys):
    serve_tiny_gpt2(hub_stand_in, tmp_path)
    monkeypatch.setenv("HF_ENDPOINT", hub_stand_in.url)
    code, out = run_in_process(["models", "download", "gpt2"])
    assert code == 0, capsys.readouterr().err
    assert "Downloading openai-community/gpt2" in out
    assert "Installed gpt2" in out
    assert "100.0%" in capsys.readouterr().err
    code, out = run_in_process(["generate", "--model", "gpt2", "--prompt", "Hi", "--max-new-tokens", "2"])
    assert code == 0


def test_presets_are_listed():
    code, out = run_in_process(["presets"])
    assert code == 0
    assert "TL;DR" in out
    assert "Translate English → French" in out


def test_generate_with_a_preset_reads_standard_input_and_finishes_the_result(tiny_model_dir):
    args = ["generate", "--model", str(tiny_model_dir), "--preset", "q&a", "--json", "--temperature", "1.5"]
    code, raw = run_in_process(
        [*args, "--top-k", "0", "--seed", "2"], stdin_text="Who painted the Mona Lisa?"
    )
    assert code == 0
    data = json.loads(raw)
    assert data["preset"] == "Q&A"
    assert data["alternatives"][0].startswith("A:")
    assert "\n" not in data["alternatives"][0]


def test_a_preset_that_asks_for_input_needs_it(tiny_model_dir, capsys):
    from gpt2_studio.core.presets.storage import save_user_preset
    from gpt2_studio.core.presets.templates import Preset

    save_user_preset(Preset("Ask", "About {input}: {selection}", input_label="About what?"))
    code, _ = run_in_process(["generate", "--model", str(tiny_model_dir), "--preset", "Ask", "--prompt", "x"])
    assert code == 2
    assert "preset 'Ask' needs --input (About what?)" in capsys.readouterr().err
    code, _ = run_in_process(
        ["generate", "--model", str(tiny_model_dir), "--preset", "Ask", "--prompt", "x", "--input", "cats"]
    )
    assert code == 0


def test_a_failed_download_puts_its_error_on_a_line_of_its_own(hub_stand_in, tmp_path, monkeypatch, capsys):
    serve_tiny_gpt2(hub_stand_in, tmp_path)
    monkeypatch.setenv("HF_ENDPOINT", hub_stand_in.url)
    hub_stand_in.fail("model.safetensors", 500, method="GET")
    code, _out = run_in_process(["models", "download", "gpt2"])
    assert code == 1
    err = capsys.readouterr().err
    progress, _, message = err.rpartition("\n")[0].rpartition("\n")
    assert "%" in progress  # a progress line was shown ...
    assert message.strip()  # ... and the error starts a line of its own
    assert "%" not in message
    assert "Traceback" not in err


def test_models_list_names_folders_that_cannot_be_used(tiny_model_dir):
    assert run_in_process(["models", "import", str(tiny_model_dir), "--name", "broken"])[0] == 0
    folder = paths.models_dir() / "broken"
    (folder / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    code, out = run_in_process(["models", "list"])
    assert code == 0
    damaged = out.split("Folders that cannot be used")[1]
    assert "broken" in damaged
    assert "Other installed models" not in out
    assert run_in_process(["models", "remove", "broken"])[0] == 0
    assert "broken" not in run_in_process(["models", "list"])[1]

"""generate's Memory, Author's note, token healing and stop-at options: each reaches the engine."""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path

import pytest

from gpt2_studio.cli.generate import context_text, prompt_from_args, settings_from_args
from gpt2_studio.cli.main import EXIT_BAD_SETTINGS, build_parser, run_cli
from gpt2_studio.core.generation.context import Prompt
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import STOP_AT_CHOICES, STOP_AT_HELP, TOKEN_HEALING_HELP
from gpt2_studio.core.presets.templates import Preset
from tests.cli_children import assert_one_line_error, generate_args, needs_posix, run_child

TEXT = "The fox jumps.\nThe dog sleeps.\nThe writer"
MEMORY = "Setting: a lighthouse, 1900. Café."
NOTE = "[Style: terse]"


def parse(*args: str) -> argparse.Namespace:
    return build_parser().parse_args(["generate", *args])


def json_run(model: Path, *args: str) -> dict:
    out = io.StringIO()
    code = run_cli([*generate_args(model), "--temperature", "0", "--max-new-tokens", "8", "--json", *args],
                   stdout=out, stdin=io.StringIO(""))  # fmt: skip
    assert code == 0
    return json.loads(out.getvalue())


def one_line_error(capsys, *args: str) -> str:
    """Run generate (in this process); the status must be 2 and standard error one line."""
    out = io.StringIO()
    assert run_cli(["generate", "--model", "no-such-model", *args], stdout=out, stdin=io.StringIO("")) == 2
    err = capsys.readouterr().err
    assert out.getvalue() == ""
    assert err.count("\n") == 1, err
    assert err.startswith("gpt2-studio")
    assert "Traceback" not in err
    return err


# -- token healing and where a suggestion ends: what reaches SamplingSettings ----------------------------


def test_token_healing_is_off_unless_given():
    assert settings_from_args(parse(), None).token_healing is False
    assert settings_from_args(parse("--token-healing"), None).token_healing is True
    assert settings_from_args(parse("--no-token-healing"), None).token_healing is False


def test_token_healing_over_a_preset():
    healing = Preset("Mine", "{before_cursor}", sampling=SamplingSettings(token_healing=True, stop_at="line"))
    assert settings_from_args(parse(), healing) == healing.sampling
    assert settings_from_args(parse("--no-token-healing"), healing).token_healing is False
    plain = Preset("Plain", "{before_cursor}")
    assert settings_from_args(parse("--token-healing"), plain).token_healing is True


@pytest.mark.parametrize("choice", list(STOP_AT_CHOICES))
def test_stop_at_sets_the_field_over_a_preset(choice):
    preset = Preset("Mine", "{before_cursor}", sampling=SamplingSettings(stop_at="paragraph", top_k=7))
    assert settings_from_args(parse("--stop-at", choice), None).stop_at == choice
    assert settings_from_args(parse("--stop-at", choice), preset) == preset.sampling.replace(stop_at=choice)
    assert settings_from_args(parse(), None).stop_at == "tokens"


@pytest.mark.parametrize("bad", ["words", "Sentence", "", "3"])
def test_a_bad_stop_at_is_one_line(capsys, bad):
    err = one_line_error(capsys, "--prompt", "x", "--stop-at", bad)
    assert "--stop-at" in err
    assert "invalid choice" in err


def test_the_help_describes_the_new_options():
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = " ".join(commands.choices["generate"].format_help().split())
    for help_text in (STOP_AT_HELP, TOKEN_HEALING_HELP):
        assert " ".join(help_text.split()) in text
    for flag in ("--memory TEXT|@FILE", "--authors-note TEXT|@FILE", "--authors-note-depth N", "@@"):
        assert flag in text


def test_token_healing_and_stop_at_run(tiny_model_dir):
    data = json_run(tiny_model_dir, "--prompt", "The fox", "--token-healing", "--stop-at", "sentence")
    assert data["alternatives"]
    assert data["new_tokens"] <= 8


# -- Memory and Author's note --------------------------------------------------------------------------


def test_memory_and_note_reach_the_engine(tiny_model_dir, engine):
    plain = json_run(tiny_model_dir, "--prompt", TEXT)
    with_memory = json_run(tiny_model_dir, "--prompt", TEXT, "--memory", MEMORY)
    both = json_run(tiny_model_dir, "--prompt", TEXT, "--memory", MEMORY, "--authors-note", NOTE)
    memory_tokens = len(engine.tokenize(MEMORY + "\n"))
    note_tokens = len(engine.tokenize(NOTE + "\n"))
    assert (plain["memory_tokens"], plain["note_tokens"]) == (0, 0)
    assert (with_memory["memory_tokens"], with_memory["note_tokens"]) == (memory_tokens, 0)
    assert (both["memory_tokens"], both["note_tokens"]) == (memory_tokens, note_tokens)
    assert with_memory["prompt_tokens"] == plain["prompt_tokens"] + memory_tokens
    assert both["prompt_tokens"] == plain["prompt_tokens"] + memory_tokens + note_tokens
    # The very prompt the core assembles: the same greedy text as the engine gives it directly.
    greedy = SamplingSettings(temperature=0, max_new_tokens=8, seed=3)
    direct = engine.complete(Prompt(TEXT, memory=MEMORY, authors_note=NOTE), greedy)
    assert both["alternatives"] == [direct.text]
    assert plain["alternatives"] != both["alternatives"]


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_the_depth_places_the_note(tiny_model_dir, engine, depth):
    data = json_run(
        tiny_model_dir, "--prompt", TEXT, "--authors-note", NOTE, "--authors-note-depth", str(depth)
    )
    greedy = SamplingSettings(temperature=0, max_new_tokens=8, seed=3)
    assert data["alternatives"] == [
        engine.complete(Prompt(TEXT, authors_note=NOTE, authors_note_depth=depth), greedy).text
    ]


def test_memory_and_note_from_files(tiny_model_dir, tmp_path):
    (tmp_path / "memory.txt").write_bytes(b"\xef\xbb\xbf" + MEMORY.encode() + b"\r\n")  # BOM and CRLF
    (tmp_path / "note.txt").write_text(NOTE, encoding="utf-8")
    from_files = json_run(tiny_model_dir, "--prompt", TEXT, "--memory", f"@{tmp_path / 'memory.txt'}",
                          "--authors-note", f"@{tmp_path / 'note.txt'}")  # fmt: skip
    given = json_run(tiny_model_dir, "--prompt", TEXT, "--memory", MEMORY + "\n", "--authors-note", NOTE)
    assert from_files == {**given, **{k: from_files[k] for k in ("first_token_seconds", "total_seconds",
                                                                   "tokens_per_second")}}  # fmt: skip


def test_at_file_reads_utf8_and_double_at_is_a_literal_at(tmp_path):
    path = tmp_path / "mémoire.txt"
    path.write_text("Ελληνικά 🙂 <|endoftext|>\n", encoding="utf-8")
    assert context_text(f"@{path}", "--memory") == "Ελληνικά 🙂 <|endoftext|>\n"
    assert context_text("@@home", "--memory") == "@home"
    assert context_text("@@@x", "--memory") == "@@x"
    assert context_text("me@home", "--memory") == "me@home"
    assert context_text("", "--memory") == ""


def test_memory_can_come_from_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "m.txt").write_text("from home", encoding="utf-8")
    assert context_text("@~/m.txt", "--memory") == "from home"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing.txt", "does not exist"),
        (lambda d: d, "is a folder"),
        (lambda d: d / "missing" / "x.txt", "does not exist"),
        (lambda d: _write(d / "bin.dat", b"\x00\x01\x02binary"), "binary"),
        (lambda d: _write(d / "latin1.txt", "Café".encode("cp1252")), "not valid UTF-8"),
        (lambda d: _write(d / "big.txt", b"x" * (1024 * 1024 + 1)), "too large"),
    ],
    ids=["missing", "folder", "missing-folder", "binary", "not-utf8", "too-large"],
)
@pytest.mark.parametrize("option", ["--memory", "--authors-note"])
def test_a_bad_file_is_one_sentence_with_status_2(capsys, tmp_path, make, says, option):
    err = one_line_error(capsys, "--prompt", "x", option, f"@{make(tmp_path)}")
    assert says in err
    assert option in err


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@needs_posix
def test_a_fifo_is_refused_without_waiting(capsys, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    assert "is not a regular file" in one_line_error(
        capsys, "--prompt", "x", "--memory", f"@{tmp_path / 'pipe'}"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--memory", "@"], "needs a file name after the @"),
        (["--authors-note", "@ "], "needs a file name after the @"),
        (["--memory", "@bad\x00name"], "names a file that cannot exist"),
        (["--authors-note-depth", "0", "--authors-note", "n"], "--authors-note-depth must be a whole number"),
        (["--authors-note-depth", "-2", "--authors-note", "n"], "at least 1, not -2"),
        (["--authors-note-depth", "x", "--authors-note", "n"], "invalid int value"),
        (["--authors-note-depth", "2"], "needs --authors-note"),
        (["--preset", "Continue", "--memory", "m"], "use them without --preset"),
        (["--preset", "Continue", "--authors-note", "n"], "use them without --preset"),
    ],
)
def test_bad_context_options_are_one_sentence_with_status_2(capsys, args, says):
    assert says in one_line_error(capsys, "--prompt", "x", *args)


def test_memory_longer_than_the_window_generates_nothing(tiny_model_dir, capsys):
    out = io.StringIO()
    memory = "The quick brown fox jumps over the lazy dog. " * 40
    args = [*generate_args(tiny_model_dir), "--prompt", "The fox", "--memory", memory, "--stream"]
    assert run_cli(args, stdout=out, stdin=io.StringIO("")) == EXIT_BAD_SETTINGS
    err = capsys.readouterr().err
    assert out.getvalue() == ""
    assert err.startswith("gpt2-studio: error: The Memory takes ")
    assert "the model's window leaves 88 for the prompt" in err
    assert err.count("\n") == 1


def test_memory_with_an_empty_prompt_from_standard_input(tiny_model_dir):
    out = io.StringIO()
    args = [*generate_args(tiny_model_dir), "--memory", "A fox.", "--json", "--max-new-tokens", "4"]
    assert run_cli(args, stdout=out, stdin=io.StringIO("")) == 0
    data = json.loads(out.getvalue())
    assert data["prompt_tokens"] == data["memory_tokens"] > 0


def test_prompt_from_args_builds_the_prompt():
    args = parse("--prompt", "x", "--memory", "M", "--authors-note", "N", "--authors-note-depth", "7")
    assert prompt_from_args(args, "text") == Prompt(
        "text", memory="M", authors_note="N", authors_note_depth=7
    )
    assert prompt_from_args(parse(), "text") == Prompt("text")


def test_the_entry_point_reads_a_memory_file(tiny_model_dir, tmp_path):
    (tmp_path / "memory.txt").write_text(MEMORY, encoding="utf-8")
    memory = f"@{tmp_path / 'memory.txt'}"
    done = run_child([*generate_args(tiny_model_dir), "--prompt", TEXT, "--memory", memory, "--json"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["memory_tokens"] > 0
    missing = run_child(
        [*generate_args(tiny_model_dir), "--prompt", TEXT, "--memory", f"@{tmp_path / 'nope.txt'}"]
    )
    assert_one_line_error(missing, 2, "does not exist")

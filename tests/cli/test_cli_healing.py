"""generate with --token-healing beside --stream, --json, --memory and presets (GPT-2's real tokenizer)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gpt2_studio.cli.main import run_cli
from tests.cli_children import generate_args
from tests.core.real_vocab import build_real_vocab_model

PARIS = 6342  # " Paris"
TYPED = "The capital of France is Par"


@pytest.fixture(scope="module")
def paris(tmp_path_factory) -> Path:
    """A model whose greedy choice is always " Paris"."""
    return build_real_vocab_model(tmp_path_factory.mktemp("cli-heal") / "paris", always=PARIS)


def run(model: Path, *args: str) -> str:
    out = io.StringIO()
    code = run_cli([*generate_args(model), "--temperature", "0", "--max-new-tokens", "3", *args],
                   stdout=out, stdin=io.StringIO(""))  # fmt: skip
    assert code == 0
    return out.getvalue()


def test_stream_prints_only_what_follows_the_typed_text(paris):
    assert run(paris, "--prompt", TYPED, "--token-healing", "--stream") == "is Paris Paris Paris\n"
    assert run(paris, "--prompt", TYPED, "--stream") == " Paris Paris Paris\n"
    two = run(paris, "--prompt", TYPED, "--token-healing", "--stream", "--num", "2")
    alternative = "is Paris Paris Paris\n"
    assert two == f"--- alternative 1 of 2 ---\n{alternative}--- alternative 2 of 2 ---\n{alternative}"


def test_json_says_how_many_tokens_were_healed(paris):
    healed = json.loads(run(paris, "--prompt", TYPED, "--token-healing", "--json"))
    assert healed["alternatives"] == ["is Paris Paris Paris"]
    assert healed["healed_tokens"] == 1
    assert json.loads(run(paris, "--prompt", TYPED, "--json"))["healed_tokens"] == 0


@pytest.mark.parametrize(
    ("prompt", "args"),
    [
        ("", ("--memory", "Facts about Par")),  # the prompt ends with the Memory's line end
        ("She left.\n", ("--authors-note", "[Par", "--authors-note-depth", "1", "--memory", "Anna.")),
    ],
    ids=["memory", "note"],
)
def test_the_memory_and_note_never_heal(paris, prompt, args):
    data = json.loads(run(paris, "--prompt", prompt, *args, "--token-healing", "--json"))
    assert data["healed_tokens"] == 0
    assert data["alternatives"] == [" Paris Paris Paris"]


def test_the_texts_own_end_heals_beside_memory_and_note(paris):
    data = json.loads(run(paris, "--prompt", TYPED, "--memory", "Anna.", "--authors-note", "[N]",
                          "--token-healing", "--json"))  # fmt: skip
    assert data["healed_tokens"] == 1
    assert data["alternatives"] == ["is Paris Paris Paris"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_memory_file_with_a_byte_order_mark(paris, tmp_path, encoding):
    path = tmp_path / "memory.txt"
    data = "Anna keeps a lighthouse.\r\n".encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    from_file = json.loads(run(paris, "--prompt", "x", "--memory", f"@{path}", "--json"))
    given = json.loads(run(paris, "--prompt", "x", "--memory", "Anna keeps a lighthouse.\n", "--json"))
    assert from_file["memory_tokens"] == given["memory_tokens"] > 0
    assert from_file["alternatives"] == given["alternatives"]


def test_depth_with_a_preset_is_refused_not_ignored(capsys):
    out = io.StringIO()
    args = ["generate", "--model", "no-such-model", "--prompt", "x", "--preset", "Continue",
            "--authors-note-depth", "2"]  # fmt: skip
    assert run_cli(args, stdout=out, stdin=io.StringIO("")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--authors-note-depth" in err
    assert "without --preset" in err

"""`score --server`: the likelihood lens's command line on a real llama.cpp server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpt2_studio.cli.main import EXIT_BAD_SETTINGS
from tests.cli.test_cli import run, run_in_process
from tests.llama_server import LlamaServer

pytestmark = pytest.mark.server

TEXT = "The lighthouse keeper climbed the stairs, lit the lamp and wrote his letter."


def test_score_on_a_server_has_the_output_of_local_scoring(
    llama_server: LlamaServer, server_model_dir: Path
) -> None:
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.models.loading import load_model

    base = ["score", "--server", llama_server.url, "--tokenizer", str(server_model_dir), "--top", "3"]
    code, raw = run_in_process([*base, "--json"], TEXT)
    assert code == 0
    data = json.loads(raw)
    assert data["model"] == llama_server.model_name
    assert data["windows"] == 1
    local = Engine(load_model(server_model_dir, device="cpu", precision="fp32")).score(TEXT, top=3)
    expected = local.tokens[1:]  # a server leaves the text's first token unscored
    assert [(t["text"], t["offset"]) for t in data["tokens"]] == [(t.text, t.offset) for t in expected]
    for got, want in zip(data["tokens"], expected, strict=True):
        assert got["logprob"] == pytest.approx(want.logprob, abs=2e-3)
        assert len(got["top"]) == 3
    code, plain = run_in_process(base, TEXT)
    assert code == 0
    assert plain.startswith(f"Perplexity {data['perplexity']:.2f} over {len(expected)} tokens (1 window);")
    assert "Tokens by rank" in plain


def test_score_on_a_server_that_cannot_says_so_in_one_sentence(llama_server: LlamaServer) -> None:
    # No GPT-2 on this computer to check the server's tokens against.
    done = run(["score", "--server", llama_server.url], TEXT.encode())
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(
        f"gpt2-studio: error: The likelihood lens is unavailable for the server at {llama_server.url}"
    )
    assert done.stderr.count("\n") == 1


def test_score_on_a_server_checks_the_stride_against_its_window(
    llama_server: LlamaServer, server_model_dir: Path
) -> None:
    base = ["score", "--server", llama_server.url, "--tokenizer", str(server_model_dir), "--window", "64"]
    code, raw = run_in_process([*base, "--stride", "20", "--json"], " ".join([TEXT] * 4))
    assert code == 0
    assert json.loads(raw)["windows"] > 1
    done = run([*base, "--stride", "60"], TEXT.encode())
    assert done.returncode == EXIT_BAD_SETTINGS
    assert "--stride must be between 1 and" in done.stderr
    assert done.stderr.count("\n") == 1

"""`generate --server` and `models add-server`, against a real llama.cpp server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpt2_studio.core.remote.servers import KEYRING_SERVICE, servers_path
from tests.cli.test_cli import run, run_in_process
from tests.llama_server import LlamaServer

pytestmark = pytest.mark.server


def test_generate_on_a_server_has_the_options_and_output_of_local_generation(
    llama_server: LlamaServer, server_model_dir: Path
) -> None:
    base = [
        "generate",
        "--server",
        llama_server.url,
        "--tokenizer",
        str(server_model_dir),
        "--prompt",
        "The fox",
    ]
    base += ["--seed", "5", "--max-new-tokens", "12", "--num", "2", "--temperature", "1.0"]
    code, plain = run_in_process(base)
    assert code == 0
    code, raw = run_in_process([*base, "--json"])
    assert code == 0
    data = json.loads(raw)
    assert plain == "".join(
        f"--- alternative {i + 1} of 2 ---\n{text}\n" for i, text in enumerate(data["alternatives"])
    )
    assert data["model"] == llama_server.model_name
    assert data["model_path"] == llama_server.url
    assert data["device"] == "remote"
    assert data["seed"] == 5
    assert data["prompt_tokens"] == 2  # "The fox" in GPT-2's tokens
    assert data["finish_reasons"] == ["length", "length"]
    assert len(set(data["alternatives"])) == 2


def test_streamed_output_equals_the_plain_output(llama_server: LlamaServer) -> None:
    base = ["generate", "--server", llama_server.url, "--prompt", "Once", "--temperature", "0"]
    base += ["--max-new-tokens", "10"]
    code, plain = run_in_process(base)
    assert code == 0
    code, streamed = run_in_process([*base, "--stream"])
    assert code == 0
    assert streamed == plain


def test_a_server_down_is_one_line_and_exit_1() -> None:
    done = run(["generate", "--server", "http://127.0.0.1:9/v1", "--prompt", "x"])
    assert done.returncode == 1
    assert done.stderr.startswith("gpt2-studio: error: Cannot reach the server at http://127.0.0.1:9/v1")
    assert done.stderr.count("\n") == 1


def test_settings_the_server_ignores_are_named(llama_server: LlamaServer) -> None:
    # No GPT-2 on this computer: no token ids to send the healing constraint with.
    done = run(["generate", "--server", llama_server.url, "--prompt", "x", "--token-healing"])
    assert done.returncode == 0
    assert "ignores token_healing" in done.stderr


def test_token_healing_on_a_server_with_a_local_gpt2_tokenizer(
    llama_server: LlamaServer, server_model_dir: Path
) -> None:
    base = ["generate", "--server", llama_server.url, "--tokenizer", str(server_model_dir), "--json"]
    base += ["--prompt", "The capital of France is Par", "--temperature", "0", "--max-new-tokens", "4"]
    done = run([*base, "--token-healing"])
    assert done.returncode == 0
    assert "ignores" not in done.stderr
    healed = json.loads(done.stdout)
    assert healed["healed_tokens"] == 1
    assert not healed["alternatives"][0][:1].isspace()  # it finishes "Par…", no new word after a space
    plain = json.loads(run(base).stdout)
    assert plain["healed_tokens"] == 0
    assert plain["alternatives"] != healed["alternatives"]


def test_add_server_saves_it_and_list_shows_it_and_generate_uses_it_by_name(
    start_llama_server, key_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_llama_server(api_key="team-key")
    monkeypatch.setenv("TEAM_KEY", "team-key")
    code, out = run_in_process(
        ["models", "add-server", server.url, "--name", "gpu-box", "--api-key-env", "TEAM_KEY", "--store-key"]
    )
    assert code == 0
    assert out.startswith(f"Added server 'gpu-box': {server.url}, model {server.model_name}")
    assert "team-key" not in servers_path().read_text(encoding="utf-8")
    assert key_store.get_password(KEYRING_SERVICE, server.url) == "team-key"
    code, listed = run_in_process(["models", "list"])
    assert code == 0
    assert f"gpu-box                 {server.url}" in listed
    monkeypatch.delenv("TEAM_KEY")
    code, text = run_in_process(
        ["generate", "--server", "gpu-box", "--prompt", "Hi", "--max-new-tokens", "4"]
    )
    assert code == 0  # the key came from the keyring
    assert text.strip()
    code, _ = run_in_process(["models", "remove-server", "gpu-box"])
    assert code == 0
    assert key_store.get_password(KEYRING_SERVICE, server.url) is None


def test_a_wrong_key_from_the_environment_is_refused(
    start_llama_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_llama_server(api_key="team-key")
    monkeypatch.setenv("TEAM_KEY", "not-it")
    done = run(["generate", "--server", server.url, "--api-key-env", "TEAM_KEY", "--prompt", "x"])
    assert done.returncode == 1
    assert "refused the request (401): the API key is missing or wrong" in done.stderr

"""What `models add-server` and `generate --server` refuse or report: keys kept in no OS keyring,
credentials in an address, names that clash, a window out of range, a stream cut mid-suggestion and a
prompt over the server's real window."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from gpt2_studio import paths
from gpt2_studio.cli.main import run_cli
from gpt2_studio.core.remote import servers as servers_module
from gpt2_studio.core.remote.client import CompletionsClient
from gpt2_studio.core.remote.servers import KEYRING_SERVICE, load_servers, servers_path
from tests.cli.test_cli import run, run_in_process
from tests.llama_server import LlamaServer

LONG_PROMPT = " ".join(["The lighthouse keeper wrote a letter every evening, although the boat came"] * 50)


# -- keys: an OS keyring or none -----------------------------------------------------------------
@pytest.mark.server
def test_store_key_is_refused_where_keyring_falls_back_to_a_plain_file(
    llama_server: LlamaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the tester's venv: keyring itself picks keyrings.alt's plain file (forced here, so that a
    # machine with a Secret Service runs the same case); its file would be under XDG_DATA_HOME.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TEAM_KEY", "sk-team-secret")
    done = run(
        [
            "models",
            "add-server",
            llama_server.url,
            "--name",
            "box",
            "--api-key-env",
            "TEAM_KEY",
            "--store-key",
        ]
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "no OS keyring" in done.stderr
    assert "(--api-key-env VAR, without --store-key)" in done.stderr
    assert not servers_path().exists()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not any("sk-team-secret" in p.read_text(errors="replace") for p in written)
    # The way out the sentence gives: the key stays in the variable, the server is saved.
    done = run(["models", "add-server", llama_server.url, "--name", "box", "--api-key-env", "TEAM_KEY"])
    assert done.returncode == 0, done.stderr
    assert [server.api_key_env for server in load_servers()[0]] == ["TEAM_KEY"]


def test_store_key_with_the_plain_file_keyring_in_process_is_refused_before_asking_the_server(
    plain_file_keyring: PlaintextKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("TEAM_KEY", "sk-1")
    code, out = run_in_process(
        ["models", "add-server", "http://127.0.0.1:9/v1", "--api-key-env", "TEAM_KEY", "--store-key"]
    )
    assert code == 1
    assert "no OS keyring" in capsys.readouterr().err  # not "Cannot reach the server"
    assert plain_file_keyring.get_password(KEYRING_SERVICE, "http://127.0.0.1:9/v1") is None
    monkeypatch.setattr(servers_module, "accepted_keyrings", (PlaintextKeyring,))  # this test only
    code, _ = run_in_process(
        ["models", "add-server", "http://127.0.0.1:9/v1", "--api-key-env", "TEAM_KEY", "--store-key"]
    )
    assert code == 1
    assert "Cannot reach the server" in capsys.readouterr().err  # past the keyring check


# -- addresses -----------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["add-server", "generate"])
def test_a_password_in_the_address_is_refused_and_never_printed(
    command: str, capsys: pytest.CaptureFixture
) -> None:
    url = "http://bob:PASSW0RD-XYZ@127.0.0.1:18081/v1"
    argv = ["models", "add-server", url] if command == "add-server" else ["generate", "--server", url]
    code, out = run_in_process([*argv, "--prompt", "x"] if command == "generate" else argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "gpt2-studio: error: A server address cannot hold a user name or password (user:password@); give "
        "the server an API key instead, with --api-key-env VAR.\n"
    )
    assert "PASSW0RD" not in out
    assert not servers_path().exists()


def test_an_address_without_its_scheme_is_not_repeated_with_its_password(
    capsys: pytest.CaptureFixture,
) -> None:
    code, _ = run_in_process(["generate", "--server", "bob:PASSW0RD-XYZ@gpu-box:8000", "--prompt", "x"])
    err = capsys.readouterr().err
    assert code == 2
    assert "starts with http:// or https://" in err
    assert "PASSW0RD" not in err


def test_a_query_in_the_address_is_refused_not_dropped(capsys: pytest.CaptureFixture) -> None:
    code, _ = run_in_process(["models", "add-server", "http://127.0.0.1:18081/v1?key=QUERYSECRET"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot carry a query or fragment" in err
    assert "QUERYSECRET" not in err
    assert not servers_path().exists()


# -- names ---------------------------------------------------------------------------------------
@pytest.mark.server
def test_a_taken_name_is_refused_unless_replace(
    llama_server: LlamaServer, capsys: pytest.CaptureFixture
) -> None:
    code, out = run_in_process(["models", "add-server", llama_server.url, "--name", "local1"])
    assert code == 0
    code, _ = run_in_process(
        ["models", "add-server", llama_server.url, "--name", "local1", "--window", "512"]
    )
    assert code == 2
    assert f"A server is already named 'local1' ({llama_server.url})" in capsys.readouterr().err
    assert [server.window for server in load_servers()[0]] == [None]
    code, _ = run_in_process(
        ["models", "add-server", llama_server.url, "--name", "local1", "--window", "512", "--replace"]
    )
    assert code == 0
    assert [(server.name, server.window) for server in load_servers()[0]] == [("local1", 512)]


@pytest.mark.server
def test_the_default_name_is_a_plain_name(llama_server: LlamaServer) -> None:
    code, out = run_in_process(["models", "add-server", llama_server.url])
    assert code == 0
    name = f"127.0.0.1-{llama_server.port}"
    assert out.startswith(f"Added server {name!r}")
    code, text = run_in_process(["generate", "--server", name, "--prompt", "Hi", "--max-new-tokens", "3"])
    assert code == 0


@pytest.mark.parametrize("name", ["a/../b", "gpu box", "..", "x:1"])
def test_a_name_that_is_not_a_plain_name_is_refused(name: str, capsys: pytest.CaptureFixture) -> None:
    # Refused before the server is asked: nothing listens at this address.
    code, _ = run_in_process(["models", "add-server", "http://127.0.0.1:9/v1", "--name", name])
    assert code == 2
    assert f"{name!r} cannot be a server name" in capsys.readouterr().err


def test_a_local_models_name_is_refused(tiny_model_dir: Path, capsys: pytest.CaptureFixture) -> None:
    shutil.copytree(tiny_model_dir, paths.models_dir() / "base")
    code, _ = run_in_process(["models", "add-server", "http://127.0.0.1:9/v1", "--name", "base"])
    assert code == 2
    assert "'base' is the name of a model on this computer" in capsys.readouterr().err


# -- generate --server ----------------------------------------------------------------------------
@pytest.mark.parametrize("window", ["0", "15", "1048577", "lots"])
def test_generate_window_has_the_range_of_add_server(window: str, capsys: pytest.CaptureFixture) -> None:
    for argv in (
        ["generate", "--server", "http://127.0.0.1:9/v1", "--prompt", "x", "--window", window],
        ["models", "add-server", "http://127.0.0.1:9/v1", "--window", window],
    ):
        code, _ = run_in_process(argv)
        assert code == 2
        assert "must be a whole number of tokens from 16 to 1,048,576" in capsys.readouterr().err


class _KillOnFirstText(io.StringIO):
    """Standard output that kills the server as soon as the first text is printed."""

    def __init__(self, server: LlamaServer) -> None:
        super().__init__()
        self.server = server

    def write(self, text: str) -> int:
        if text.strip() and self.server.process is not None and self.server.process.poll() is None:
            self.server.kill()
        return super().write(text)


@pytest.mark.server
def test_a_stream_cut_mid_suggestion_keeps_the_text_warns_once_and_exits_1(
    start_llama_server, capsys: pytest.CaptureFixture
) -> None:
    server = start_llama_server()
    out = _KillOnFirstText(server)
    argv = ["generate", "--server", server.url, "--prompt", "Once upon a time", "--stream"]
    code = run_cli([*argv, "--max-new-tokens", "900", "--temperature", "1.0"], stdout=out)
    err = capsys.readouterr().err
    assert code == 1
    assert out.getvalue().strip()  # the text that arrived is kept
    assert err.count("\n") == 1
    assert err.startswith("gpt2-studio: warning: ")
    assert "the text that arrived is kept" in err


@pytest.mark.server
def test_a_prompt_over_the_servers_real_window_says_to_set_the_window(
    start_llama_server, server_model_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    server = start_llama_server(n_ctx=256)  # the app assumes GPT-2's 1024: the server does not say
    argv = ["generate", "--server", server.url, "--tokenizer", str(server_model_dir), "--prompt", LONG_PROMPT]
    argv += ["--max-new-tokens", "8"]
    code, out = run_in_process(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "the prompt may be longer than the server's window; set it with --window N" in err
    code, out = run_in_process([*argv, "--window", "256", "--json"])
    assert code == 0
    assert json.loads(out)["prompt_trimmed"] is True


@pytest.mark.server
def test_json_output_of_a_cut_stream_keeps_the_text_and_exits_1(
    start_llama_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    server = start_llama_server()
    stream = CompletionsClient.stream

    def kill_after_the_first_text(self: CompletionsClient, payload: dict, **options) -> Iterator[dict]:
        # The server dies once the first alternative's text has begun to arrive (no --stream to hook).
        for chunk in stream(self, payload, **options):
            yield chunk
            if any(choice.get("text") for choice in chunk.get("choices") or ()):
                server.kill()

    monkeypatch.setattr(CompletionsClient, "stream", kill_after_the_first_text)
    argv = ["generate", "--server", server.url, "--prompt", "Once upon a time", "--json", "--num", "2"]
    code, out = run_in_process([*argv, "--max-new-tokens", "900", "--temperature", "1.0"])
    err = capsys.readouterr().err
    assert code == 1, err
    data = json.loads(out)
    assert data["alternatives"][0]  # the text that arrived is kept
    assert data["finish_reasons"] == ["cancelled", "cancelled"]
    assert err.count("\n") == 1
    assert "the text that arrived is kept" in err

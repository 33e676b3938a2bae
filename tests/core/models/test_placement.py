"""Where a model's weights go when a GPU is, or is not, big enough."""

from __future__ import annotations

import pytest
import torch

from gpt2_studio.core.errors import GenerationError
from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.models.checkpoint import inspect_checkpoint
from gpt2_studio.core.models.loading import gpu_bytes_needed, plan_placement


@pytest.fixture
def info(tiny_model_dir):
    return inspect_checkpoint(tiny_model_dir)


def test_no_gpu_means_cpu(info):
    assert plan_placement(info, "auto", None) == ("cpu", None)
    assert plan_placement(info, "cpu", 10**12) == ("cpu", None)


def test_a_model_that_fits_goes_to_the_gpu(info):
    assert plan_placement(info, "auto", gpu_bytes_needed(info)) == ("cuda", None)
    assert plan_placement(info, "cuda", 10**12) == ("cuda", None)


def test_too_big_runs_on_cpu_when_auto_and_is_split_when_cuda_is_asked_for(info):
    small = gpu_bytes_needed(info) - 1
    device, message = plan_placement(info, "auto", small)
    assert device == "cpu"
    assert "runs on the CPU instead" in message
    device, message = plan_placement(info, "cuda", small)
    assert device == "split"
    assert "first layers run on the GPU and the rest on the CPU" in message


def test_out_of_memory_while_generating_is_a_clear_error_and_the_engine_recovers(tiny_model, monkeypatch):
    engine = Engine(tiny_model)
    forward = tiny_model.runner.forward

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(tiny_model.runner, "forward", exhausted)
    with pytest.raises(GenerationError, match="Out of memory while generating on cpu") as caught:
        engine.complete("Hello", SamplingSettings(max_new_tokens=4))
    assert caught.value.out_of_memory
    assert caught.value.device == "cpu"
    monkeypatch.setattr(tiny_model.runner, "forward", forward)
    assert engine.complete("Hello", SamplingSettings(max_new_tokens=4, seed=1)).new_tokens == 4

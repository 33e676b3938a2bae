"""The plan: every refusal before a run starts, and estimates that follow the model's shape."""

from __future__ import annotations

import pytest

from gpt2_studio.core.errors import ModelError, SettingsError
from gpt2_studio.core.models.store import import_checkpoint
from gpt2_studio.core.training.corpus import TrainingError
from gpt2_studio.core.training.plan import (
    Resources,
    TrainingSettings,
    lora_parameters,
    make_plan,
)

PLENTY = Resources(free_memory_bytes=10**12, free_disk_bytes=10**12)
SMALL = TrainingSettings(steps=5, block_size=32, batch_size=4, precision="fp32", device="cpu")


def _plan(base, corpus, **change):
    settings = TrainingSettings(**{**SMALL.__dict__, **change})
    return make_plan(base, [corpus], "mine", settings, resources=PLENTY, threads=2)


def test_a_plan_counts_the_corpus_and_estimates_time_memory_and_disk(tiny_model_dir, pattern_corpus):
    plan = make_plan(tiny_model_dir, [pattern_corpus], "mine", SMALL, resources=PLENTY, threads=2)
    event = plan.event()
    assert event["documents"] == 8
    assert event["steps"] == 5
    assert event["block_size"] == 32
    assert event["corpus_tokens"] > 0
    assert event["heldout_tokens"] > 0
    assert event["train_tokens"] + event["heldout_tokens"] == event["corpus_tokens"] + 8 + 2
    estimate = event["estimate"]
    assert estimate["seconds"] > 0
    assert estimate["peak_memory_bytes"] > 0
    assert estimate["disk_bytes"] > 0
    longer = _plan(tiny_model_dir, pattern_corpus, steps=50)
    assert longer.estimate.seconds > plan.estimate.seconds
    full = _plan(tiny_model_dir, pattern_corpus, lora_rank=0)
    assert full.estimate.peak_memory_bytes > plan.estimate.peak_memory_bytes
    assert full.estimate.disk_bytes > plan.estimate.disk_bytes
    assert full.learning_rate < plan.learning_rate


def test_lora_parameter_count_is_what_peft_trains(tiny_model_dir):
    from transformers import GPT2LMHeadModel

    from gpt2_studio.core.models.checkpoint import inspect_checkpoint
    from gpt2_studio.core.models.loading import quiet_transformers
    from gpt2_studio.core.training.run import add_adapters

    with quiet_transformers():
        model = add_adapters(GPT2LMHeadModel.from_pretrained(str(tiny_model_dir)), 4)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == lora_parameters(inspect_checkpoint(tiny_model_dir), 4)


def test_a_base_model_that_is_not_installed_is_refused(pattern_corpus):
    with pytest.raises(ModelError, match="The base model is not installed"):
        make_plan("no-such-model", [pattern_corpus], "mine", SMALL, resources=PLENTY)


def test_a_name_already_installed_is_refused(tiny_model_dir, pattern_corpus):
    import_checkpoint(tiny_model_dir, "taken")
    with pytest.raises(TrainingError, match="A model named 'taken' is already installed"):
        make_plan(tiny_model_dir, [pattern_corpus], "taken", SMALL, resources=PLENTY)


@pytest.mark.parametrize("name", ["gpt2", "gpt2-medium", "GPT2-XL", "distilgpt2"])
def test_a_catalogue_models_name_is_refused(tiny_model_dir, pattern_corpus, name):
    with pytest.raises(TrainingError, match=f"{name!r} is the name of a GPT-2 model in the catalogue"):
        make_plan(tiny_model_dir, [pattern_corpus], name, SMALL, resources=PLENTY)


def test_a_name_that_is_no_folder_name_is_refused(tiny_model_dir, pattern_corpus):
    with pytest.raises(ModelError, match="cannot be a model name"):
        make_plan(tiny_model_dir, [pattern_corpus], "my model", SMALL, resources=PLENTY)


def test_a_corpus_smaller_than_one_block_is_refused(tiny_model_dir, tmp_path):
    (tmp_path / "short.txt").write_text("Just a few words here.", encoding="utf-8")
    (tmp_path / "other.txt").write_text("And a few more.", encoding="utf-8")
    with pytest.raises(TrainingError, match="fewer than one block of 32"):
        make_plan(tiny_model_dir, [tmp_path], "mine", SMALL, resources=PLENTY)


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (Resources(free_memory_bytes=1_000_000, free_disk_bytes=None), "of memory but only 1 MB is free"),
        (Resources(free_memory_bytes=None, free_disk_bytes=1_000), "of disk space .* but only 1 kB is free"),
    ],
)
def test_not_enough_memory_or_disk_is_refused_before_starting(
    tiny_model_dir, pattern_corpus, resources, message
):
    with pytest.raises(TrainingError, match=message):
        make_plan(tiny_model_dir, [pattern_corpus], "mine", SMALL, resources=resources)


def test_the_environment_can_stand_in_for_free_memory(tiny_model_dir, pattern_corpus, monkeypatch):
    monkeypatch.setenv("GPT2_STUDIO_TRAIN_FREE_MEMORY", "1000")
    with pytest.raises(TrainingError, match="memory"):
        make_plan(tiny_model_dir, [pattern_corpus], "mine", SMALL)
    monkeypatch.setenv("GPT2_STUDIO_TRAIN_FREE_MEMORY", "lots")
    with pytest.raises(SettingsError, match="must be a number of bytes"):
        make_plan(tiny_model_dir, [pattern_corpus], "mine", SMALL)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": 5, "minutes": 1.0}, "either --steps or --minutes"),
        ({"steps": 0}, "--steps must be at least 1"),
        ({"lora_rank": -1}, "--lora-rank must be 0"),
        ({"learning_rate": 0.0}, "--learning-rate must be more than 0"),
        ({"block_size": 4}, "--block-size must be at least 8"),
        ({"block_size": 4096}, "at most the model's window of 128 tokens"),
        ({"batch_size": 0}, "--batch-size must be 1"),
        ({"save_every": 0}, "--save-every must be at least 1"),
        ({"dropout": 1.0}, "--dropout must be at least 0 and below 1"),
    ],
)
def test_bad_settings_are_refused_with_one_sentence(tiny_model_dir, pattern_corpus, change, message):
    settings = TrainingSettings(**{**SMALL.__dict__, **change})
    with pytest.raises(SettingsError, match=message):
        make_plan(tiny_model_dir, [pattern_corpus], "mine", settings, resources=PLENTY)


def test_resume_needs_a_stopped_run(tiny_model_dir, pattern_corpus):
    with pytest.raises(TrainingError, match="no stopped run named 'mine' to resume"):
        make_plan(tiny_model_dir, [pattern_corpus], "mine", SMALL, resume=True, resources=PLENTY)


def test_minutes_give_steps_from_the_estimate(tiny_model_dir, pattern_corpus):
    settings = TrainingSettings(**{**SMALL.__dict__, "steps": None, "minutes": 1.0})
    plan = make_plan(tiny_model_dir, [pattern_corpus], "mine", settings, resources=PLENTY, threads=2)
    per_step = plan.estimate.seconds / plan.steps
    assert plan.steps >= 1
    assert per_step * plan.steps <= 60 + per_step + 5


def test_the_heldout_split_does_not_depend_on_how_paths_are_spelled(tiny_model_dir, tmp_path, monkeypatch):
    from tests.core.training.conftest import write_pattern_corpus

    folder = write_pattern_corpus(tmp_path / "corpus", documents=12, words=60)
    files = sorted(p.name for p in folder.iterdir())
    absolute = make_plan(
        tiny_model_dir, [folder / f for f in files], "mine", SMALL, resources=PLENTY, threads=2
    )
    monkeypatch.chdir(tmp_path)
    relative = make_plan(
        tiny_model_dir, [f"corpus/{f}" for f in files], "mine", SMALL, resources=PLENTY, threads=2
    )
    assert relative.text.heldout_ids == absolute.text.heldout_ids
    assert relative.text.train_ids == absolute.text.train_ids
    assert relative.corpus.fingerprint() == absolute.corpus.fingerprint()


def test_the_memory_refusal_advises_what_would_help_this_run(tiny_model_dir, pattern_corpus):
    lora = _plan(tiny_model_dir, pattern_corpus, batch_size=8)
    full = _plan(tiny_model_dir, pattern_corpus, batch_size=8, lora_rank=0)
    for plan, rank in ((lora, 8), (full, 0)):
        short = Resources(free_memory_bytes=plan.estimate.peak_memory_bytes - 1, free_disk_bytes=None)
        with pytest.raises(TrainingError) as refused:
            make_plan(tiny_model_dir, [pattern_corpus], "mine", plan.settings, resources=short, threads=2)
        message = str(refused.value)
        assert ("--lora-rank" in message) == (rank == 0)  # never "use LoRA" to a LoRA run
        assert "--batch-size" in message
    smaller = _plan(tiny_model_dir, pattern_corpus, batch_size=1)
    assert smaller.estimate.peak_memory_bytes < lora.estimate.peak_memory_bytes  # the advice helps


def _shape(tiny_model_dir, **shape):
    from dataclasses import replace

    from gpt2_studio.core.models.checkpoint import inspect_checkpoint

    return replace(inspect_checkpoint(tiny_model_dir), **shape)


def _rate(info, *, rank=8, precision="bf16", block=1024, batch=8, micro=2):
    from gpt2_studio.core.training.plan import estimate_run

    return estimate_run(
        info, rank=rank, steps=10, batch_size=batch, micro_batch=micro, block_size=block, heldout_tokens=0,
        device="cpu", precision=precision, threads=2, weights_bytes=0,
    ).tokens_per_second  # fmt: skip


@pytest.mark.parametrize(
    ("rank", "precision", "measured"), [(8, "bf16", 719), (0, "bf16", 587), (8, "fp32", 382)]
)
def test_the_estimate_matches_the_124m_benchmark(tiny_model_dir, rank, precision, measured):
    gpt2 = _shape(
        tiny_model_dir, parameters=124_439_808, n_embd=768, n_layer=12, n_head=12, vocab_size=50257,
        n_positions=1024,
    )  # fmt: skip
    assert _rate(gpt2, rank=rank, precision=precision) == pytest.approx(measured, rel=0.15)


def test_the_estimate_on_small_models_counts_the_vocabulary_and_the_per_step_overhead(tiny_model_dir):
    # A 3.3M-parameter model with GPT-2's vocabulary trained at ~2,300 tokens/s on an idle machine here
    # (468 measured under a load that slowed the 124M shape fivefold); a FLOP count alone said 28,000.
    toy = _shape(tiny_model_dir, parameters=3_324_736, n_embd=64, n_layer=2, vocab_size=50257)
    assert 1_500 < _rate(toy, block=128, batch=8, micro=8) < 3_500
    # The smallest shapes are all overhead: a step of 128 tokens takes tens of milliseconds, not microseconds.
    tiny = _shape(tiny_model_dir, parameters=42_368, n_embd=32, n_layer=2, vocab_size=400)
    assert 128 / _rate(tiny, block=32, batch=4, micro=4) > 0.025

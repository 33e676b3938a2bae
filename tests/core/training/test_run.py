"""Training runs on a tiny GPT-2: loss falls, a pattern is learned, the model installs, runs resume."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import torch

from gpt2_studio import paths
from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.store import PARTIAL_DIR, installed_folder, list_installed, read_manifest
from gpt2_studio.core.training.checkpoints import saved_step
from gpt2_studio.core.training.plan import Resources, TrainingSettings, make_plan, run_folder
from gpt2_studio.core.training.run import train
from tests.core.training.conftest import CYCLE, write_pattern_corpus

PLENTY = Resources(free_memory_bytes=10**12, free_disk_bytes=10**12)
# Full fine-tuning learns the tiny model's pattern in a few dozen steps (its width of 32 leaves rank-4
# adapters little room); fp32 so that runs repeat exactly.
PATTERN = TrainingSettings(
    steps=60, lora_rank=0, learning_rate=3e-3, block_size=32, batch_size=8, save_every=20,
    precision="fp32", device="cpu", sample_tokens=8,
)  # fmt: skip
PROMPT = " ".join(CYCLE + CYCLE[:2])  # "... fox dog": the cycle goes on with "cat house"


def _greedy(folder: Path, prompt: str) -> str:
    engine = Engine(load_model(folder, device="cpu", precision="fp32"))
    return engine.complete(prompt, SamplingSettings(temperature=0, max_new_tokens=6)).alternatives[0]


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    """One full fine-tuning run on the pattern corpus, in its own per-user folder: (result, events, home)."""
    home = tmp_path_factory.mktemp("trained-home")
    corpus = write_pattern_corpus(home / "writing")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GPT2_STUDIO_HOME", str(home / "studio"))
        events: list[dict] = []
        plan = make_plan(tiny_model_dir, [corpus], "patterned", PATTERN, resources=PLENTY, threads=2)
        result = train(plan, events.append)
        listed = [m.name for m in list_installed()]
        leftovers = run_folder("patterned").exists()
    return result, events, listed, leftovers


def test_heldout_loss_falls_and_the_run_reports_before_and_after(trained):
    result, events, _, _ = trained
    baseline = next(e for e in events if e["event"] == "baseline")
    heldout = [e["heldout_loss"] for e in events if e["event"] == "heldout"]
    assert [e["step"] for e in events if e["event"] == "heldout"] == [20, 40, 60]
    assert heldout[-1] < heldout[0] < baseline["heldout_loss"]
    assert result.perplexity_after < result.perplexity_before / 10
    assert [e["event"] for e in events][:2] == ["plan", "baseline"]
    assert events[-1]["event"] == "done"
    assert events[-1]["perplexity_after"] == result.perplexity_after


def test_a_strongly_patterned_corpus_is_learned(trained, tiny_model_dir):
    result, _, _, _ = trained
    before = _greedy(tiny_model_dir, PROMPT)
    after = _greedy(Path(result.folder), PROMPT)
    assert after.startswith(" cat house")
    assert not before.startswith(" cat")
    for sample in result.samples:  # the run's own before/after continuations of held-out text
        assert sample["after"] != sample["before"]
        assert any(word in sample["after"] for word in CYCLE)


def test_the_model_is_a_plain_gpt2_in_the_store_with_its_record_and_no_run_left(trained, tiny_model_dir):
    result, _, listed, leftovers = trained
    folder = Path(result.folder)
    assert listed == ["patterned"]
    assert not leftovers
    assert folder.name == "patterned"
    assert (folder / "model.safetensors").is_file()
    config, base = (json.loads((f / "config.json").read_text()) for f in (folder, tiny_model_dir))
    assert {k: config[k] for k in base if "pdrop" in k} == {k: v for k, v in base.items() if "pdrop" in k}
    assert config["use_cache"] is True
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        assert (folder / name).read_bytes() == (tiny_model_dir / name).read_bytes()
    record = read_manifest(folder)
    training = record["training"]
    assert record["trained_from"] == "tiny-gpt2"
    assert training["base"] == "tiny-gpt2"
    assert len(training["base_sha256"]) == 64
    assert training["documents"] == 8
    assert training["corpus_tokens"] > 0
    assert training["settings"]["lora_rank"] == 0
    assert training["steps"] == 60
    assert training["perplexity_after"] < training["perplexity_before"]
    assert "date" in training
    assert " ".join(CYCLE[:3]) not in (folder / ".gpt2-studio.json").read_text()  # no text of the corpus


def _lora_settings(**change) -> TrainingSettings:
    base = dict(
        steps=8, lora_rank=4, learning_rate=1e-2, block_size=32, batch_size=4, save_every=3,
        precision="fp32", device="cpu", sample_tokens=4, samples=1,
    )  # fmt: skip
    return TrainingSettings(**{**base, **change})


def test_lora_adapters_are_merged_into_plain_weights(tiny_model_dir, pattern_corpus):
    from safetensors.torch import load_file

    plan = make_plan(tiny_model_dir, [pattern_corpus], "adapted", _lora_settings(), resources=PLENTY)
    result = train(plan, lambda _e: None)

    merged = load_file(str(Path(result.folder) / "model.safetensors"))
    base = load_file(str(tiny_model_dir / "model.safetensors"))
    assert set(merged) == set(base)  # no lora_A/lora_B, no base_model prefix: a plain GPT-2
    changed = {k for k in base if not torch.equal(base[k], merged[k])}
    assert changed
    assert all(k.split(".")[-2] in ("c_attn", "c_proj", "c_fc") for k in changed)
    assert _greedy(Path(result.folder), "the fox")  # loads through the normal loader and generates


def test_an_interrupted_run_resumes_to_the_very_weights_of_an_uninterrupted_one(
    tiny_model_dir, pattern_corpus
):
    from safetensors.torch import load_file

    whole = train(
        make_plan(tiny_model_dir, [pattern_corpus], "whole", _lora_settings(), resources=PLENTY),
        lambda _e: None,
    )
    cancel = threading.Event()
    events: list[dict] = []

    def on_event(event: dict) -> None:
        events.append(event)
        if event["event"] == "step" and event["step"] == 5:
            cancel.set()  # what SIGINT/SIGTERM or the dialog's Cancel do

    plan = make_plan(tiny_model_dir, [pattern_corpus], "split", _lora_settings(), resources=PLENTY)
    stopped = train(plan, on_event, cancel)

    assert stopped.interrupted
    assert stopped.step == 5
    assert [e["event"] for e in events[-2:]] == ["checkpoint", "interrupted"]
    assert events[-1] == {"event": "interrupted", "step": 5, "resumable": True}
    assert installed_folder("split") is None  # a stopped run leaves no model that loads
    saved = sorted(p.name for p in (run_folder("split") / "checkpoint").iterdir())
    assert saved == ["optimizer.safetensors", "state.json", "weights.safetensors"]  # nothing pickled

    events.clear()
    plan = make_plan(
        tiny_model_dir, [pattern_corpus], "split", _lora_settings(), resume=True, resources=PLENTY
    )
    resumed = train(plan, events.append)

    assert not resumed.interrupted
    assert resumed.step == 8
    assert [e["step"] for e in events if e["event"] == "step"] == [6, 7, 8]
    assert resumed.perplexity_before == whole.perplexity_before
    one = load_file(str(Path(whole.folder) / "model.safetensors"))
    two = load_file(str(Path(resumed.folder) / "model.safetensors"))
    assert all(torch.equal(one[k], two[k]) for k in one)
    assert not run_folder("split").exists()


def test_a_failed_run_leaves_no_model_but_a_resumable_checkpoint(tiny_model_dir, pattern_corpus):
    def failing(event: dict) -> None:
        if event["event"] == "step" and event["step"] == 4:
            raise OSError("disk on fire")

    plan = make_plan(tiny_model_dir, [pattern_corpus], "broken", _lora_settings(), resources=PLENTY)
    with pytest.raises(OSError, match="disk on fire"):
        train(plan, failing)

    assert installed_folder("broken") is None
    assert not (paths.models_dir() / PARTIAL_DIR / "broken").exists()
    assert saved_step(run_folder("broken")) == 3  # the last interval's checkpoint

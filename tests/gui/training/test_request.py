"""The dialog's settings as the ``gpt2-studio train`` command line that carries them out."""

from __future__ import annotations

import sys

from gpt2_studio.gui.training.request import TrainingRequest, cli_command, discard_arguments


def test_a_step_budget_with_lora():
    request = TrainingRequest("gpt2", ("/a/notes", "/b/story.md"), "mine", steps=300)
    assert request.arguments(plan=True) == [
        "train", "--model", "gpt2", "--data", "/a/notes", "/b/story.md", "--name", "mine",
        "--steps", "300", "--lora-rank", "8", "--plan", "--json",
    ]  # fmt: skip


def test_a_time_budget_full_fine_tuning_and_a_learning_rate():
    request = TrainingRequest("gpt2", ("/a",), "mine", minutes=90.0, lora_rank=0, learning_rate=5e-5)
    assert request.arguments() == [
        "train", "--model", "gpt2", "--data", "/a", "--name", "mine",
        "--minutes", "90", "--lora-rank", "0", "--learning-rate", "5e-05", "--json",
    ]  # fmt: skip


def test_a_resumed_run_is_named_and_given_its_new_budget_only():
    request = TrainingRequest("gpt2", ("/a",), "mine", steps=500, lora_rank=0, learning_rate=5e-5)
    assert request.arguments(resume=True) == [
        "train",
        "--name",
        "mine",
        "--steps",
        "500",
        "--resume",
        "--json",
    ]
    automatic = TrainingRequest("gpt2", (), "mine")
    assert automatic.arguments(plan=True, resume=True) == [
        "train",
        "--name",
        "mine",
        "--plan",
        "--resume",
        "--json",
    ]


def test_discard_names_the_run_only():
    assert discard_arguments("mine") == ["train", "--name", "mine", "--discard"]


def test_the_command_runs_this_app_from_source_and_when_frozen(monkeypatch):
    assert cli_command(["train", "--json"]) == (sys.executable, ["-m", "gpt2_studio", "train", "--json"])
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert cli_command(["train", "--json"]) == (sys.executable, ["train", "--json"])

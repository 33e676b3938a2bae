"""Token healing and where a suggestion ends, in the settings file: loaded, checked, written back."""

from __future__ import annotations

import json

import pytest

from gpt2_studio.core.generation.sampling_fields import STOP_AT_CHOICES
from gpt2_studio.core.settings import (
    EDITOR_SAMPLING,
    AppSettings,
    load_settings,
    save_settings,
    settings_path,
)


def _write(data) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_the_editor_heals_tokens_and_suggests_to_the_end_of_the_sentence():
    assert EDITOR_SAMPLING.token_healing is True
    assert EDITOR_SAMPLING.stop_at == "sentence"
    assert AppSettings().sampling is EDITOR_SAMPLING


def test_a_settings_file_from_before_the_two_settings_gets_the_editor_defaults():
    _write({"version": 1, "sampling": {"temperature": 0.9, "top_k": 40, "max_new_tokens": 30}})
    settings, warnings = load_settings()
    assert warnings == []
    assert settings.sampling.token_healing is True
    assert settings.sampling.stop_at == "sentence"
    assert settings.sampling.temperature == 0.9


@pytest.mark.parametrize("stop_at", list(STOP_AT_CHOICES))
@pytest.mark.parametrize("healing", [True, False])
def test_both_round_trip_through_the_file(stop_at, healing):
    settings = AppSettings(sampling=EDITOR_SAMPLING.replace(token_healing=healing, stop_at=stop_at))
    save_settings(settings)
    written = json.loads(settings_path().read_text(encoding="utf-8"))["sampling"]
    assert (written["token_healing"], written["stop_at"]) == (healing, stop_at)
    loaded, warnings = load_settings()
    assert warnings == []
    assert loaded.sampling == settings.sampling


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("token_healing", "yes", "token_healing must be true or false, not 'yes'"),
        ("token_healing", 1, "token_healing must be true or false, not 1"),
        ("token_healing", None, "token_healing must be true or false, not None"),
        ("stop_at", "chapter", "stop_at must be one of word, sentence, line, paragraph, tokens"),
        ("stop_at", 3, "stop_at must be one of"),
        ("stop_at", ["word"], "stop_at"),  # a list cannot even be looked up among the choices
        ("stop_at", {"word": 1}, "stop_at"),
        ("stop_at", "Sentence", "stop_at must be one of"),
    ],
)
def test_a_wrong_value_costs_only_itself_with_one_sentence(key, value, said):
    other = "stop_at" if key == "token_healing" else "token_healing"
    kept = {"stop_at": "line", "token_healing": False}[other]
    _write({"sampling": {key: value, other: kept, "top_k": 7}})
    settings, warnings = load_settings()
    assert len(warnings) == 1
    assert f"sampling.{key}" in warnings[0]
    assert said in warnings[0]
    assert getattr(settings.sampling, key) == getattr(EDITOR_SAMPLING, key)
    assert getattr(settings.sampling, other) == kept
    assert settings.sampling.top_k == 7

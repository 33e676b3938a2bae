"""SamplingSettings: the classic defaults, and a clear error for every impossible value."""

from __future__ import annotations

import pytest

from gpt2_studio.core import SamplingSettings, SettingsError


def test_defaults_are_the_classic_gpt2_ones():
    settings = SamplingSettings()
    assert settings.top_k == 40
    assert settings.temperature == 0.7
    assert settings.top_p == 1.0
    assert settings.repetition_penalty == 1.0
    assert settings.num_alternatives == 1
    assert settings.seed is None
    assert settings.stop_strings == ()


def test_ints_from_sliders_become_floats_and_stop_strings_a_tuple():
    settings = SamplingSettings(temperature=1, top_p=1, stop_strings=["\n", "Q:"])
    assert isinstance(settings.temperature, float)
    assert isinstance(settings.top_p, float)
    assert settings.stop_strings == ("\n", "Q:")


def test_a_single_stop_string_is_not_split_into_characters():
    assert SamplingSettings(stop_strings="END").stop_strings == ("END",)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"temperature": -0.1}, "temperature must be between 0 and 5"),
        ({"temperature": 7}, "temperature must be between 0 and 5"),
        ({"temperature": float("nan")}, "temperature must be a finite number"),
        ({"temperature": "hot"}, "temperature must be a number"),
        ({"top_k": -1}, "top_k must be 0 (off) or a positive whole number"),
        ({"top_k": 2.5}, "top_k must be a whole number"),
        ({"top_k": True}, "top_k must be a whole number"),
        ({"top_p": 0}, "top_p must be above 0 and at most 1"),
        ({"top_p": 1.5}, "top_p must be above 0 and at most 1"),
        ({"repetition_penalty": 0}, "repetition_penalty must be above 0"),
        ({"max_new_tokens": 0}, "max_new_tokens must be at least 1"),
        ({"num_alternatives": 0}, "num_alternatives must be between 1 and 16"),
        ({"num_alternatives": 17}, "num_alternatives must be between 1 and 16"),
        ({"seed": -5}, "seed must be between 0 and"),
        ({"stop_strings": [""]}, "each stop string must be non-empty text"),
        ({"stop_strings": [3]}, "each stop string must be non-empty text"),
    ],
)
def test_impossible_values_say_what_is_allowed(changes, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SamplingSettings(**changes)


def test_settings_are_frozen_and_replace_validates_again():
    settings = SamplingSettings()
    with pytest.raises(AttributeError):
        settings.top_k = 3  # type: ignore[misc]
    assert settings.replace(top_k=3).top_k == 3
    with pytest.raises(SettingsError):
        settings.replace(top_k=-3)


def test_greedy_when_temperature_zero_or_top_k_one():
    assert SamplingSettings(temperature=0).greedy
    assert SamplingSettings(top_k=1).greedy
    assert not SamplingSettings().greedy


def test_round_trip_through_plain_data():
    settings = SamplingSettings(top_k=5, seed=9, stop_strings=("\n",))
    assert SamplingSettings.from_dict(settings.to_dict()) == settings


def test_unknown_keys_are_rejected_by_name():
    with pytest.raises(SettingsError, match="unknown sampling setting\\(s\\): topk"):
        SamplingSettings.from_dict({"topk": 3})

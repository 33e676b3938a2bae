"""The likelihood lens' settings: the colouring, the rank thresholds and the statistics dock."""

from __future__ import annotations

import json

import pytest

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.settings import AppSettings, load_settings, save_settings


def test_defaults_and_a_round_trip(tmp_path):
    settings = AppSettings()
    assert (settings.likelihood_coloring, settings.rank_thresholds, settings.show_statistics) == (
        "rank",
        (10, 100, 1000),
        False,
    )
    settings.likelihood_coloring = "surprisal"
    settings.rank_thresholds = (5, 50, 5000)
    settings.show_statistics = True
    path = tmp_path / "settings.json"
    save_settings(settings, path)
    assert json.loads(path.read_text(encoding="utf-8"))["rank_thresholds"] == [5, 50, 5000]
    loaded, warnings = load_settings(path)
    assert warnings == []
    assert (loaded.likelihood_coloring, loaded.rank_thresholds, loaded.show_statistics) == (
        "surprisal",
        (5, 50, 5000),
        True,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("rank_thresholds", [100, 10, 1000]),  # not increasing
        ("rank_thresholds", [10, 10, 1000]),
        ("rank_thresholds", [10, 100]),  # too few
        ("rank_thresholds", [10, 100, 1000, 5000]),  # too many
        ("rank_thresholds", [0, 100, 1000]),  # below 1
        ("rank_thresholds", [10, 100, 10**12]),  # absurd
        ("rank_thresholds", [10, 100.5, 1000]),
        ("rank_thresholds", [True, 100, 1000]),
        ("rank_thresholds", "10,100,1000"),
        ("rank_thresholds", None),
        ("rank_thresholds", {"a": 1}),
        ("likelihood_coloring", "bits"),
        ("likelihood_coloring", 1),
        ("likelihood_coloring", None),
        ("show_statistics", "yes"),
    ],
)
def test_a_bad_value_in_the_file_gives_the_default_and_one_sentence(tmp_path, name, value):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, name: value, "font_size": 20}), encoding="utf-8")
    settings, warnings = load_settings(path)
    assert getattr(settings, name) == getattr(AppSettings(), name)
    assert settings.font_size == 20  # the other settings are kept
    assert len(warnings) == 1
    assert warnings[0].startswith(f"Ignored the setting {name} in {path} and used the default: ")
    assert warnings[0].endswith(".")
    assert "\n" not in warnings[0]


def test_a_bad_value_set_in_code_raises():
    with pytest.raises(SettingsError, match="three increasing whole numbers"):
        AppSettings(rank_thresholds=(3, 2, 1))

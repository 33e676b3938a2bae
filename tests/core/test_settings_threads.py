"""The threads setting: None (automatic) or a whole number, kept across runs, forgiving when loaded."""

from __future__ import annotations

import json

import pytest

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.settings import AppSettings, load_settings, save_settings, settings_path


def test_automatic_by_default_and_a_number_round_trips():
    assert AppSettings().threads is None
    save_settings(AppSettings(threads=3))
    assert json.loads(settings_path().read_text(encoding="utf-8"))["threads"] == 3
    assert load_settings() == (AppSettings(threads=3), [])
    save_settings(AppSettings())
    assert json.loads(settings_path().read_text(encoding="utf-8"))["threads"] is None
    assert load_settings() == (AppSettings(), [])


@pytest.mark.parametrize("value", [0, -2, 257, 1.5, "4", "auto", True, [2]])
def test_a_bad_value_is_named_and_automatic_is_used(value):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "threads": value, "theme": "dark"}), encoding="utf-8")
    settings, warnings = load_settings()
    assert settings == AppSettings(theme="dark")  # the other settings survive
    assert len(warnings) == 1
    assert "threads" in warnings[0]
    assert "from 1 to 256" in warnings[0]


def test_a_bad_value_set_in_code_is_refused():
    with pytest.raises(SettingsError, match="threads"):
        AppSettings(threads=0)
    settings = AppSettings()
    settings.threads = "2"  # type: ignore[assignment]
    with pytest.raises(SettingsError, match="threads"):
        save_settings(settings)

"""App settings: typed and versioned; a bad file costs at most the bad values, never start-up."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gpt2_studio.core import settings as settings_module
from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.settings import (
    SETTINGS_VERSION,
    AppSettings,
    load_settings,
    save_settings,
    settings_path,
)


def _write(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_defaults_suit_the_editor():
    settings = AppSettings()
    assert settings.sampling == SamplingSettings(
        max_new_tokens=24, num_alternatives=3, token_healing=True, stop_at="sentence"
    )
    assert settings.model is None
    assert (settings.device, settings.precision, settings.theme) == ("auto", "auto", "system")
    assert (settings.font_family, settings.font_size) == ("", 12)
    assert (settings.monospace, settings.column_width, settings.line_spacing) == (False, 72, 150)
    assert (settings.spell_check, settings.spelling_language) == (True, "en")
    assert (settings.ghost_enabled, settings.ghost_delay_ms) == (True, 400)
    assert settings.recent_files == []
    assert (settings.window_geometry, settings.window_state) == ("", "")
    assert settings.show_sampling_panel is True
    assert settings.show_more_settings is False  # the sampling panel's fold starts closed
    assert AppSettings().recent_files is not settings.recent_files  # no shared mutable default


def test_every_field_has_a_check():
    kept_aside = {"unknown", "unknown_sampling", "newer_values"}  # a newer version's, written back
    assert set(settings_module._CHECKS) == {f.name for f in dataclasses.fields(AppSettings)} - kept_aside


def test_the_settings_file_lives_in_the_config_folder(isolated_home):
    assert settings_path() == isolated_home / "config" / "settings.json"


def test_a_missing_file_gives_defaults_without_warnings():
    assert load_settings() == (AppSettings(), [])


def test_round_trip_keeps_every_value_and_writes_readable_versioned_json():
    settings = AppSettings(
        sampling=SamplingSettings(temperature=0.9, top_k=0, top_p=0.95, seed=7, stop_strings=("\n\n",)),
        model="/models/my fine-tune 🐉",
        device="cuda",
        precision="fp16",
        font_family="DejaVu Serif",
        font_size=15,
        theme="dark",
        ghost_enabled=False,
        ghost_delay_ms=750,
        recent_files=["/a.txt", "/b.txt"],
        window_geometry="AdnQywADAAA=",
        window_state="AAAA/wAAAAD9",
        show_sampling_panel=False,
        show_more_settings=True,
    )
    save_settings(settings)

    path = settings_path()
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("{\n  ")  # pretty-printed for people who open it
    assert json.loads(raw)["version"] == SETTINGS_VERSION
    assert "🐉" in raw
    assert load_settings() == (settings, [])
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary file left


def test_save_to_an_explicit_path_creates_the_folder(tmp_path):
    path = tmp_path / "deep" / "folder" / "settings.json"
    save_settings(AppSettings(theme="dark"), path)
    assert load_settings(path) == (AppSettings(theme="dark"), [])


def test_save_refuses_an_invalid_value():
    settings = AppSettings()
    settings.font_size = 500
    with pytest.raises(SettingsError, match="font_size must be a whole number from 6 to 72"):
        save_settings(settings)
    assert not settings_path().exists()


def test_a_disk_error_on_save_is_one_sentence(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StudioError, match="The settings could not be saved to"):
        save_settings(AppSettings(), blocker / "settings.json")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"just text"', "not a JSON object"),
        (b'{"theme": "dark\xff"}', "not UTF-8"),
    ],
)
def test_a_damaged_file_gives_defaults_one_warning_and_is_kept_aside(content, problem):
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    settings, warnings = load_settings()
    assert settings == AppSettings()
    assert len(warnings) == 1
    assert str(path) in warnings[0]
    assert problem in warnings[0]
    assert "settings.json.corrupt" in warnings[0]
    assert not path.exists()
    assert (path.parent / "settings.json.corrupt").read_bytes() == content


def test_one_bad_value_falls_back_alone_and_is_named():
    _write(
        settings_path(),
        {"version": 1, "theme": "dark", "font_size": 500, "device": "cuda", "ghost_delay_ms": 200},
    )
    settings, warnings = load_settings()
    assert settings == AppSettings(theme="dark", device="cuda", ghost_delay_ms=200)
    assert len(warnings) == 1
    assert "font_size" in warnings[0]
    assert "from 6 to 72" in warnings[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("model", 42),
        ("device", "tpu"),
        ("precision", "fp8"),
        ("font_family", None),
        ("font_size", "12"),
        ("font_size", True),
        ("font_size", 12.5),
        ("theme", "solarized"),
        ("ghost_enabled", "yes"),
        ("ghost_delay_ms", 50),
        ("recent_files", "/a.txt"),
        ("window_geometry", 123),
        ("show_sampling_panel", 1),
        ("show_more_settings", "open"),
        ("sampling", [0.7]),
    ],
)
def test_each_kind_of_bad_value_is_replaced_by_its_default(name, value):
    _write(settings_path(), {"version": 1, name: value, "window_state": "kept"})
    settings, warnings = load_settings()
    assert getattr(settings, name) == getattr(AppSettings(), name)
    assert settings.window_state == "kept"
    assert len(warnings) == 1
    assert name in warnings[0]


def test_a_bad_sampling_value_resets_only_that_sampling_value():
    _write(settings_path(), {"sampling": {"temperature": "hot", "top_k": 5, "max_new_tokens": 60}})
    settings, warnings = load_settings()
    assert settings.sampling == SamplingSettings(
        temperature=0.7,
        top_k=5,
        max_new_tokens=60,
        num_alternatives=3,
        token_healing=True,
        stop_at="sentence",
    )
    assert len(warnings) == 1
    assert "sampling.temperature" in warnings[0]
    assert "temperature must be a number, not 'hot'" in warnings[0]


def test_missing_sampling_values_take_the_editor_defaults():
    _write(settings_path(), {"sampling": {"top_k": 10}})
    settings, warnings = load_settings()
    assert settings.sampling == SamplingSettings(
        top_k=10, max_new_tokens=24, num_alternatives=3, token_healing=True, stop_at="sentence"
    )
    assert warnings == []


def test_unknown_keys_are_read_quietly_and_written_back_unchanged():
    _write(
        settings_path(),
        {"version": 1, "spellcheck": {"lang": "en"}, "sampling": {"min_p": 0.1}, "theme": "dark"},
    )
    settings, warnings = load_settings()
    assert (settings, warnings) == (AppSettings(theme="dark"), [])

    settings.font_size = 14  # the user changes something this version knows
    save_settings(settings)
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["spellcheck"] == {"lang": "en"}
    assert saved["sampling"]["min_p"] == 0.1
    assert (saved["theme"], saved["font_size"], saved["version"]) == ("dark", 14, 1)


def test_a_file_from_a_newer_version_is_read_with_a_warning():
    _write(settings_path(), {"version": SETTINGS_VERSION + 1, "theme": "dark", "hologram": True})
    settings, warnings = load_settings()
    assert settings.theme == "dark"
    assert len(warnings) == 1
    assert "newer" in warnings[0]
    assert settings_path().exists()  # not treated as damaged

    save_settings(settings)  # on exit: the newer version's keys and version number survive
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["hologram"] is True
    assert saved["version"] == SETTINGS_VERSION + 1
    assert load_settings()[0].theme == "dark"


def test_a_file_without_a_version_is_read_as_the_current_one():
    _write(settings_path(), {"font_size": 20})
    assert load_settings() == (AppSettings(font_size=20), [])


def test_an_empty_model_means_none():
    _write(settings_path(), {"model": ""})
    assert load_settings()[0].model is None


def test_recent_files_are_deduplicated_and_trimmed_when_loaded():
    files = [f"/file{i}.txt" for i in range(15)]
    _write(settings_path(), {"recent_files": ["/file0.txt", *files]})
    settings, warnings = load_settings()
    assert settings.recent_files == files[:10]
    assert warnings == []


def test_add_recent_moves_to_the_top_dedups_and_keeps_ten():
    settings = AppSettings()
    for i in range(12):
        settings.add_recent(f"/file{i}.txt")
    assert len(settings.recent_files) == 10
    assert settings.recent_files[0] == "/file11.txt"
    assert settings.recent_files[-1] == "/file2.txt"

    settings.add_recent("/file5.txt")
    assert settings.recent_files[0] == "/file5.txt"
    assert settings.recent_files.count("/file5.txt") == 1
    assert len(settings.recent_files) == 10


def test_building_with_a_bad_value_raises_a_clear_error():
    with pytest.raises(SettingsError, match="theme must be one of system, light, dark, not 'blue'"):
        AppSettings(theme="blue")
    with pytest.raises(SettingsError, match="ghost_delay_ms must be a whole number from 100 to 5000"):
        AppSettings(ghost_delay_ms=10)


def test_an_unreadable_file_gives_defaults_with_a_warning():
    settings_path().mkdir(parents=True)  # a folder in its place: unreadable even for root
    settings, warnings = load_settings()
    assert settings == AppSettings()
    assert len(warnings) == 1
    assert "cannot be read" in warnings[0]
    assert settings_path().is_dir()  # left alone


@pytest.mark.parametrize("width", [0, 40, 72, 200])
def test_the_text_column_is_full_width_or_40_to_200_characters(width):
    assert AppSettings(column_width=width).column_width == width


@pytest.mark.parametrize("width", [1, 39, 201, -5, True, 72.5, "72"])
def test_a_column_width_outside_its_range_is_one_sentence(width):
    with pytest.raises(SettingsError, match=r"column_width must be 0 \(full width\) or a whole number"):
        AppSettings(column_width=width)


@pytest.mark.parametrize(
    ("name", "value"), [("theme", "blue"), ("spelling_language", "it"), ("line_spacing", 99)]
)
def test_new_writing_settings_are_checked(name, value):
    with pytest.raises(SettingsError, match=name):
        AppSettings(**{name: value})

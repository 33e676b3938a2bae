"""Settings stay the user's: odd but real files load, values are shown as used, saving fails clearly."""

from __future__ import annotations

import json
import shutil

import pytest

from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_limits import EDITOR_LIMITS
from gpt2_studio.core.settings import AppSettings, load_settings, save_settings, settings_path
from tests.as_nobody import public_temp_dir, run_as_nobody


def _write_bytes(data: bytes) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _write(data) -> None:
    _write_bytes(json.dumps(data).encode("ascii"))  # \u escapes carry lone surrogates too


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_file_with_a_byte_order_mark_is_read_as_it_is(newline):
    # Windows Notepad saves "UTF-8" with a BOM and CRLF line ends.
    text = json.dumps({"theme": "dark", "font_size": 16, "model": "/modèles/gpt2"}, indent=2)
    _write_bytes(b"\xef\xbb\xbf" + text.replace("\n", newline).encode("utf-8"))
    settings, warnings = load_settings()
    assert warnings == []
    assert (settings.theme, settings.font_size, settings.model) == ("dark", 16, "/modèles/gpt2")
    assert settings_path().exists()  # not set aside as damaged


def test_a_deeply_nested_file_is_set_aside_with_one_sentence():
    _write_bytes(b'{"theme": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    settings, warnings = load_settings()
    assert settings == AppSettings()
    assert len(warnings) == 1
    assert "nested more than" in warnings[0]
    assert "settings.json.corrupt" in warnings[0]


@pytest.mark.parametrize(
    ("key", "given", "used"),
    [
        ("max_new_tokens", 10**9, 200),
        ("temperature", 5, 2.0),
        ("temperature", 99, 2.0),
        ("top_k", 50_000, 200),
        ("top_k", -3, 0),
        ("top_p", 0.0, 0.05),
        ("repetition_penalty", 0.5, 1.0),
        ("repetition_penalty", 9.5, 2.0),
        ("num_alternatives", 16, 8),
        ("num_alternatives", 0, 1),
        ("seed", 2**40, 2**31 - 1),
    ],
)
def test_sampling_values_the_panel_cannot_show_are_clamped_with_a_warning(key, given, used):
    _write({"sampling": {key: given, "top_k": 7} if key != "top_k" else {key: given}})
    settings, warnings = load_settings()
    assert getattr(settings.sampling, key) == used
    limit = EDITOR_LIMITS[key]
    assert limit.low <= getattr(settings.sampling, key) <= limit.high
    assert len(warnings) == 1
    assert f"sampling.{key} {given!r}" in warnings[0]
    assert f"so {limit.text(used)} is used" in warnings[0]
    if key != "top_k":
        assert settings.sampling.top_k == 7  # its neighbours are untouched

    save_settings(settings)  # what is saved is what the panel shows and requests use
    assert load_settings() == (settings, [])


def test_every_default_is_inside_the_panel():
    sampling = AppSettings().sampling
    for key, limit in EDITOR_LIMITS.items():
        value = getattr(sampling, key)
        assert value is None or limit.low <= value <= limit.high, key


@pytest.mark.parametrize(
    "bad",
    ["/docs/a\x00b.txt", "", "   ", "\ud800/lone-surrogate.txt", "/" + "x" * 5000, 42, None],
    ids=["nul", "empty", "blank", "surrogate", "too-long", "number", "null"],
)
def test_recent_entries_that_cannot_name_a_file_are_dropped_with_a_warning(bad):
    _write({"recent_files": ["/docs/good.txt", bad, "/docs/other.txt"], "theme": "dark"})
    settings, warnings = load_settings()
    assert settings.recent_files == ["/docs/good.txt", "/docs/other.txt"]
    assert settings.theme == "dark"
    assert len(warnings) == 1
    assert "recent_files" in warnings[0]
    assert "Dropped 1 entry" in warnings[0]


def test_a_recent_path_with_undecodable_bytes_round_trips():
    # On Linux a file name that is not UTF-8 reaches Python as lone surrogates ("\udcff").
    settings = AppSettings(recent_files=["/docs/caf\udce9.txt", "/docs/ünïcode.txt"])
    save_settings(settings)
    raw = settings_path().read_bytes()
    raw.decode("utf-8")  # still UTF-8 JSON
    assert load_settings() == (settings, [])


def test_saving_where_the_folder_cannot_exist_is_one_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StudioError, match=r"^The settings could not be saved to .*: not a directory\.$"):
        save_settings(AppSettings(), blocker / "config" / "settings.json")


def test_saving_into_a_read_only_folder_fails_for_a_real_user():
    home = public_temp_dir()
    try:
        config = home / "config"
        config.mkdir(mode=0o755)  # owned by root: the unprivileged user may read it, not write
        original = json.dumps({"theme": "dark", "future_key": 1}).encode("utf-8")
        (config / "settings.json").write_bytes(original)
        code = (
            "from gpt2_studio.core.errors import StudioError\n"
            "from gpt2_studio.core.settings import load_settings, save_settings\n"
            "settings, warnings = load_settings()\n"
            "assert settings.theme == 'dark' and warnings == [], warnings\n"
            "settings.font_size = 20\n"
            "try:\n"
            "    save_settings(settings)\n"
            "except StudioError as error:\n"
            "    print('FAILED:', error)\n"
        )
        result = run_as_nobody(code, {"GPT2_STUDIO_HOME": str(home)})
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("FAILED: The settings could not be saved to ")
        assert "permission denied" in result.stdout
        assert "Traceback" not in result.stderr
        assert (config / "settings.json").read_bytes() == original  # untouched
        assert [p.name for p in config.iterdir()] == ["settings.json"]  # no temporary file left
    finally:
        shutil.rmtree(home)


def test_a_settings_object_built_in_code_keeps_its_values():
    # Clamping happens when a file is loaded, not when code builds settings (the CLI may go further).
    settings = AppSettings(sampling=SamplingSettings(max_new_tokens=500))
    assert settings.sampling.max_new_tokens == 500

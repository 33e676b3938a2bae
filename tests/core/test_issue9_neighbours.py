"""Issue 9's neighbours in the core: settings files from other editors and newer versions."""

from __future__ import annotations

import json
import os

import pytest

from gpt2_studio.core.documents import read_text_file, write_text_file
from gpt2_studio.core.settings import load_settings, save_settings


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_settings_file_saved_as_unicode_by_notepad_is_read(tmp_path, codec):
    path = tmp_path / "settings.json"
    text = '{"theme": "dark", "font_size": 15, "recent_files": ["/tmp/café.txt"]}'
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    settings, warnings = load_settings(path)
    assert warnings == []
    assert (settings.theme, settings.font_size, settings.recent_files) == ("dark", 15, ["/tmp/café.txt"])


def test_a_broken_utf16_settings_file_is_one_sentence(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xff\xfe{\x00\x00\xd8")  # a lone surrogate
    settings, warnings = load_settings(path)
    assert settings.theme == "light"
    assert len(warnings) == 1
    assert "not UTF-16 text" in warnings[0]


def test_values_a_newer_version_wrote_for_known_keys_are_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"version": 99, "theme": "solarized", "font_size": 300, "sampling": "per-model"}),
        encoding="utf-8",
    )
    settings, warnings = load_settings(path)
    assert settings.theme == "light"
    assert settings.font_size == 12
    assert any("theme" in w for w in warnings)
    assert any("font_size" in w for w in warnings)
    save_settings(settings, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert (saved["theme"], saved["font_size"], saved["sampling"]) == ("solarized", 300, "per-model")
    # A setting the user changes here is theirs to change.
    settings.theme = "dark"
    save_settings(settings, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert (saved["theme"], saved["font_size"]) == ("dark", 300)


def test_a_bad_value_of_this_version_is_replaced_by_the_default(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "theme": "solarized"}), encoding="utf-8")
    settings, _warnings = load_settings(path)
    save_settings(settings, path)
    assert json.loads(path.read_text(encoding="utf-8"))["theme"] == "light"


@pytest.mark.skipif(not hasattr(os, "setxattr"), reason="extended attributes are a Linux feature")
def test_a_save_keeps_the_files_extended_attributes(tmp_path):
    target = tmp_path / "tagged.txt"
    target.write_bytes("avant\u00a0!".encode())
    try:
        os.setxattr(target, "user.gpt2studio.tag", b"red")
    except OSError:
        pytest.skip("this file system keeps no user extended attributes")
    stamp = read_text_file(target).stamp
    write_text_file(target, "après\u00a0!", expected=stamp)
    assert target.read_bytes() == "après\u00a0!".encode()
    assert os.getxattr(target, "user.gpt2studio.tag") == b"red"

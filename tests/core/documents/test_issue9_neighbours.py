"""Issue 9's neighbours in the core: settings files from other editors and newer versions."""

from __future__ import annotations

import json
import os
import stat

import pytest

from gpt2_studio.core.documents.text_files import read_text_file, write_text_file
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
    assert settings.theme == "system"  # the default
    assert len(warnings) == 1
    assert "not UTF-16 text" in warnings[0]


def test_values_a_newer_version_wrote_for_known_keys_are_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"version": 99, "theme": "solarized", "font_size": 300, "sampling": "per-model"}),
        encoding="utf-8",
    )
    settings, warnings = load_settings(path)
    assert settings.theme == "system"
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
    assert json.loads(path.read_text(encoding="utf-8"))["theme"] == "system"


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


# -- permissions, as the unprivileged user -------------------------------------------------------
SAVE_AS_NOBODY = """
import sys
from gpt2_studio.core.documents.text_files import DocumentError, write_text_file
try:
    write_text_file(sys.argv[1] if len(sys.argv) > 1 else {path!r}, {text!r})
except DocumentError as error:
    print("ERROR", type(error).__name__, error)
else:
    print("OK")
"""


def _save_as_nobody(path, text: str, home):
    from tests.as_nobody import run_as_nobody

    code = SAVE_AS_NOBODY.format(path=str(path), text=text)
    return run_as_nobody(code, {"GPT2_STUDIO_HOME": str(home)})


@pytest.fixture
def public_dir():
    import shutil

    from tests.as_nobody import public_temp_dir

    folder = public_temp_dir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_world_writable_file_of_another_user_in_a_sticky_folder_is_written_in_place(public_dir):
    sticky = public_dir / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    target = sticky / "shared.txt"
    target.write_bytes("partagé\u00a0!".encode())
    target.chmod(0o666)
    result = _save_as_nobody(target, "changé\u00a0!", public_dir / "home")
    assert result.stdout.strip() == "OK", result.stdout + result.stderr
    assert target.read_bytes() == "changé\u00a0!".encode()
    assert (target.stat().st_uid, stat.S_IMODE(target.stat().st_mode)) == (0, 0o666)
    assert [p.name for p in sticky.iterdir()] == ["shared.txt"]


def test_a_symlink_of_ours_to_another_users_file_is_refused(public_dir):
    theirs = public_dir / "theirs.txt"
    theirs.write_text("root's words")
    theirs.chmod(0o644)
    mine = public_dir / "mine"
    mine.mkdir()
    os.chown(mine, 65534, 65534)
    link = mine / "link.txt"
    link.symlink_to(theirs)
    os.lchown(link, 65534, 65534)
    result = _save_as_nobody(link, "replaced", public_dir / "home")
    assert "belongs to another user" in result.stdout, result.stdout + result.stderr
    assert theirs.read_text() == "root's words"
    assert link.is_symlink()


def test_a_read_only_file_with_two_links_is_refused_under_both_names(public_dir):
    first = public_dir / "a.txt"
    first.write_text("one")
    os.chown(first, 65534, 65534)
    first.chmod(0o444)
    second = public_dir / "b.txt"
    os.link(first, second)
    for name in (first, second):
        result = _save_as_nobody(name, "two", public_dir / "home")
        assert "it is read-only" in result.stdout, result.stdout + result.stderr
    assert second.read_text() == "one"


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le"])
def test_a_files_byte_order_is_kept_on_save(tmp_path, codec):
    target = tmp_path / "wide.txt"
    original = "\ufeffPrix\u00a0: 10\u00a0€\r\n".encode(codec)
    target.write_bytes(original)
    opened = read_text_file(target)
    write_text_file(
        target, opened.text + "!", encoding=opened.encoding, newline=opened.newline, expected=opened.stamp
    )
    assert target.read_bytes() == original + "!".encode(codec)


# -- legacy encodings: the first guess reads the text right --------------------------------------
LEGACY = {
    "cp1251": "Привет, как дела? Это проверка кодировки. Съешь же ещё этих мягких французских булок.\r\n",
    "koi8-r": "Привет, как дела? Это проверка кодировки. Съешь же ещё этих мягких французских булок.\r\n",
    "cp866": "Привет, как дела? Это проверка кодировки. Съешь же ещё этих мягких французских булок.\r\n",
    "cp1250": "Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy. Dobrý den, jak se máte?\r\n",
    "cp1252": "Prix\u00a0: 10\u00a0€ — déjà vu, naïve café, «\u00a0citation\u00a0». Où est-elle ?\r\n",
    "cp1253": "Καλημέρα, τι κάνετε; Αυτό είναι ένα τεστ κωδικοποίησης χαρακτήρων.\r\n",
    "cp1256": "مرحبا، كيف حالك؟ هذا اختبار لترميز الأحرف.\r\n",
    "shift_jis": "こんにちは、元気ですか？これは文字コードのテストです。日本語の文章を書いています。\r\n",
    "euc_kr": "안녕하세요, 어떻게 지내세요? 이것은 문자 인코딩 테스트입니다.\r\n",
    "gb18030": "你好，你好吗？这是一个字符编码测试。我们正在写中文句子。\r\n",
}


@pytest.mark.parametrize("encoding", list(LEGACY))
def test_the_first_encoding_offered_reads_a_legacy_file_right(tmp_path, encoding):
    from gpt2_studio.core.documents.text_files import NotUtf8Error

    target = tmp_path / "legacy.txt"
    target.write_bytes(LEGACY[encoding].encode(encoding))
    with pytest.raises(NotUtf8Error) as raised:
        read_text_file(target)
    first = raised.value.candidates[0]
    assert read_text_file(target, encoding=first).text == LEGACY[encoding].replace("\r\n", "\n")


@pytest.mark.parametrize(("codec", "chosen"), [("utf-16-be", "utf-16"), ("utf-32-be", "UTF-32")])
def test_reopening_as_utf16_keeps_a_big_endian_files_order(tmp_path, codec, chosen):
    target = tmp_path / "wide.txt"
    original = "\ufeffLigne\u00a0un\n".encode(codec)
    target.write_bytes(original)
    opened = read_text_file(target, encoding=chosen)
    assert opened.text == "Ligne\u00a0un\n"
    write_text_file(target, opened.text + "!", encoding=opened.encoding, expected=opened.stamp)
    assert target.read_bytes() == original + "!".encode(codec)


def test_a_file_name_with_a_nul_is_one_sentence_on_open_and_save(tmp_path):
    from gpt2_studio.core.documents.text_files import DocumentError

    bad = tmp_path / "a\x00b.txt"
    with pytest.raises(DocumentError, match="not a usable file name"):
        read_text_file(bad)
    with pytest.raises(DocumentError, match="not a usable file name"):
        write_text_file(bad, "text")

"""The user's preset files stay theirs: any name saves, edits go where the app says, imports ask."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_limits import PRESET_LIMITS
from gpt2_studio.core.presets.names import MAX_STEM_CHARS, file_stem
from gpt2_studio.core.presets.storage import (
    ImportConflictError,
    builtin_presets,
    delete_user_preset,
    export_presets,
    import_presets,
    load_presets,
    preset_file,
    save_user_preset,
    user_presets_dir,
)
from gpt2_studio.core.presets.templates import Preset, PresetError, find_preset
from tests.as_nobody import public_temp_dir, run_as_nobody

WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(10)}
AWKWARD_NAMES = [
    "con",
    "aux",
    "NUL",
    "com1",
    "Lpt9",
    "con.txt",
    "x" * 300,
    "ü" * 300,
    "a/b",
    "..",
    "../../escape",
    "🐉",
    "🐉 dragon",
    "C:\\temp\\x",
    "name with trailing dot.",
    "tab\tand\nnewline",
    "Übersetzen",
]


def _write(name: str, data) -> None:
    user_presets_dir().mkdir(parents=True, exist_ok=True)
    user_presets_dir().joinpath(name).write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_any_preset_name_saves_to_a_portable_file_and_reloads_as_it_was(name):
    preset = Preset(name, "{selection}", output="insert")
    path = save_user_preset(preset)
    assert path.parent == user_presets_dir()  # never outside the folder
    stem = path.name.removesuffix(".json")
    assert stem.split(".")[0].lower() not in WINDOWS_DEVICES
    assert len(path.name.encode("utf-8")) <= 255
    assert not set(path.name) & set('<>:"/\\|?*\t\n')
    assert not stem.endswith((".", " "))
    presets, problems = load_presets()
    assert problems == []
    assert find_preset(presets, name) == preset

    edited = Preset(name, "{document}", output="side_panel")
    assert save_user_preset(edited, replacing=name) == path
    assert find_preset(load_presets()[0], name) == edited
    assert delete_user_preset(name)
    assert find_preset(load_presets()[0], name) is None


def test_every_awkward_name_gets_its_own_file():
    paths = {save_user_preset(Preset(name, "x")) for name in AWKWARD_NAMES}
    assert len(paths) == len(AWKWARD_NAMES)
    names = {p.name for p in load_presets()[0]}
    assert set(AWKWARD_NAMES) <= names


def test_file_stems_stay_short_and_readable():
    assert file_stem("TL;DR") == "tl-dr"
    assert file_stem("Übersetzen ins Deutsche") == "übersetzen-ins-deutsche"
    assert file_stem("con") == "con-preset"
    assert file_stem("🐉") == "preset"
    assert len(file_stem("y" * 1000)) <= MAX_STEM_CHARS


def test_edits_go_to_the_file_the_app_says_it_uses():
    _write("a.json", {"name": "Same", "template": "from a"})
    _write("b.json", {"name": "Same", "template": "from b"})
    a_bytes = user_presets_dir().joinpath("a.json").read_bytes()
    presets, problems = load_presets()
    used = user_presets_dir() / "b.json"
    assert problems == [f"Two presets are named 'Same'; the one in {used} is used."]
    assert find_preset(presets, "Same").template == "from b"
    assert preset_file("Same") == used

    assert save_user_preset(Preset("Same", "edited"), replacing="Same") == used
    assert find_preset(load_presets()[0], "Same").template == "edited"
    assert user_presets_dir().joinpath("a.json").read_bytes() == a_bytes  # the other file is untouched

    assert delete_user_preset("Same")
    assert not used.exists()
    assert find_preset(load_presets()[0], "Same").template == "from a"  # the other one now shows


def test_the_later_file_wins_whatever_order_the_folder_lists_them_in():
    for stem in ("z", "m", "a", "q"):
        _write(f"{stem}.json", {"name": "Dup", "template": stem})
    assert find_preset(load_presets()[0], "Dup").template == "z"
    assert preset_file("dup") == user_presets_dir() / "z.json"


def test_a_100000_level_preset_file_is_skipped_by_name_and_the_rest_load():
    save_user_preset(Preset("Good", "x"))
    user_presets_dir().joinpath("deep.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    user_presets_dir().joinpath("deep-object.json").write_bytes(
        b'{"name": "D", "template": "", "sampling": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001
    )
    presets, problems = load_presets()
    assert find_preset(presets, "Good") is not None
    assert len(presets) == len(builtin_presets()) + 1
    assert len(problems) == 2
    for name, problem in zip(("deep-object.json", "deep.json"), problems, strict=True):
        assert name in problem
        assert "nested more than" in problem
        assert problem.endswith("; it was skipped.")
        assert problem.count(". ") == 0  # one sentence


@pytest.mark.parametrize(
    "content",
    [b"\xef\xbb\xbf" + json.dumps({"name": "Bom", "template": "x"}).encode(), b"\xef\xbb\xbf[]"],
)
def test_a_file_with_a_byte_order_mark_loads(content):
    user_presets_dir().mkdir(parents=True)
    user_presets_dir().joinpath("bom.json").write_bytes(content)
    presets, problems = load_presets()
    assert problems == []
    if b"Bom" in content:
        assert find_preset(presets, "Bom").template == "x"


@pytest.mark.parametrize(
    ("key", "given", "used"),
    [
        ("max_new_tokens", 10**9, 4096),
        ("top_k", 10**6, 100_000),
        ("top_p", 0.001, 0.01),
        ("repetition_penalty", 0.01, 0.1),
        ("temperature", 7, 5.0),
        ("temperature", -1, 0.0),
        ("num_alternatives", 40, 16),
    ],
)
def test_preset_sampling_the_editor_cannot_show_is_clamped_with_a_note(key, given, used):
    _write("big.json", {"name": "Big", "template": "{selection}", "sampling": {key: given}})
    presets, problems = load_presets()
    assert getattr(find_preset(presets, "Big").sampling, key) == used
    limit = PRESET_LIMITS[key]
    assert problems == [
        f"Preset 'Big' in {user_presets_dir() / 'big.json'}: {key} {given!r} is outside "
        f"{limit.text(limit.low)} to {limit.text(limit.high)}, so {limit.text(used)} is used."
    ]


def test_importing_an_existing_name_asks_and_saves_nothing(tmp_path):
    mine = save_user_preset(Preset("Haiku", "mine {selection}"))
    before = mine.read_bytes()
    export = tmp_path / "shared.json"
    export_presets([Preset("New one", "n"), Preset("haiku", "theirs"), Preset("TL;DR", "t")], export)
    with pytest.raises(ImportConflictError) as caught:
        import_presets(export)
    assert caught.value.names == ["haiku", "TL;DR"]
    assert "already presets named 'haiku', 'TL;DR'" in str(caught.value)
    assert mine.read_bytes() == before
    assert find_preset(load_presets()[0], "New one") is None


def test_importing_with_replace_overwrites_the_users_preset(tmp_path):
    mine = save_user_preset(Preset("Haiku", "mine"))
    export = tmp_path / "shared.json"
    export_presets([Preset("Haiku", "theirs")], export)
    assert [p.name for p in import_presets(export, existing="replace")] == ["Haiku"]
    assert find_preset(load_presets()[0], "Haiku").template == "theirs"
    assert [p.name for p in user_presets_dir().iterdir() if not p.name.startswith(".")] == [mine.name]


def test_importing_with_keep_both_renames_the_newcomers(tmp_path):
    save_user_preset(Preset("Haiku", "mine"))
    save_user_preset(Preset("Haiku 2", "also mine"))
    export = tmp_path / "shared.json"
    export_presets([Preset("Haiku", "theirs"), Preset("TL;DR", "t"), Preset("Fresh", "f")], export)
    saved = import_presets(export, existing="keep_both")
    assert [p.name for p in saved] == ["Haiku 3", "TL;DR 2", "Fresh"]
    presets = load_presets()[0]
    assert find_preset(presets, "Haiku").template == "mine"
    assert find_preset(presets, "Haiku 2").template == "also mine"
    assert find_preset(presets, "Haiku 3").template == "theirs"
    assert find_preset(presets, "TL;DR").builtin


def test_two_presets_of_one_name_in_an_import_both_arrive(tmp_path):
    export = tmp_path / "twice.json"
    export.write_text(json.dumps([{"name": "Twin", "template": "1"}, {"name": "twin", "template": "2"}]))
    saved = import_presets(export)
    assert [p.name for p in saved] == ["Twin", "twin 2"]
    presets = load_presets()[0]
    assert (find_preset(presets, "Twin").template, find_preset(presets, "twin 2").template) == ("1", "2")


def test_a_deeply_nested_import_is_one_sentence(tmp_path):
    bomb = tmp_path / "bomb.json"
    bomb.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(PresetError, match=r"^The preset file .*bomb\.json is nested more than 64 levels"):
        import_presets(bomb)
    assert not user_presets_dir().exists() or not os.listdir(user_presets_dir())


def test_an_unknown_import_choice_is_refused(tmp_path):
    export = tmp_path / "x.json"
    export_presets([Preset("X", "x")], export)
    with pytest.raises(ValueError, match="existing must be one of"):
        import_presets(export, existing="merge")


def test_a_preset_built_in_code_keeps_values_the_editor_cannot_show():
    # Clamping is for files; code (the CLI, tests) may ask for more.
    preset = Preset("Long", "x", SamplingSettings(max_new_tokens=10_000))
    assert preset.sampling.max_new_tokens == 10_000


def test_saving_into_a_read_only_folder_fails_with_oserror_for_a_real_user():
    home = public_temp_dir()
    try:
        presets = home / "config" / "presets"
        presets.mkdir(parents=True)
        for folder in (home / "config", presets):
            folder.chmod(0o755)  # root's: the user below may read, not write
        (presets / "mine.json").write_text(json.dumps({"name": "Mine", "template": "x"}), encoding="utf-8")
        code = (
            "from gpt2_studio.core.presets.storage import load_presets, save_user_preset\n"
            "from gpt2_studio.core.presets.templates import Preset, find_preset\n"
            "presets, problems = load_presets()\n"
            "assert find_preset(presets, 'Mine') is not None and problems == [], problems\n"
            "try:\n"
            "    save_user_preset(Preset('Mine', 'changed'))\n"
            "except OSError as error:\n"
            "    print('FAILED:', error.strerror)\n"
        )
        result = run_as_nobody(code, {"GPT2_STUDIO_HOME": str(home)})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "FAILED: Permission denied"
        assert json.loads((presets / "mine.json").read_text(encoding="utf-8"))["template"] == "x"
        assert [p.name for p in presets.iterdir()] == ["mine.json"]
    finally:
        shutil.rmtree(home)

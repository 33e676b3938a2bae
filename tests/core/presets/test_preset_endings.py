"""Token healing and where the result ends, per preset: the built-ins' choices and the files' round trip."""

from __future__ import annotations

import json

import pytest

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import STOP_AT_CHOICES
from gpt2_studio.core.presets.storage import (
    builtin_presets,
    export_presets,
    load_presets,
    read_preset_file,
    save_user_preset,
    user_presets_dir,
)
from gpt2_studio.core.presets.templates import Preset, PresetError, find_preset, parse_template

# The choice for each built-in: the prompt ends with the user's text (heal it) or with the preset's own
# delimiter (nothing to heal); a continuation runs to its length, an answer to its line, a summary to its
# paragraph.
EXPECTED = {
    "Continue": (True, "tokens"),
    "Point of view": (True, "tokens"),
    "Q&A": (False, "line"),
    "Reading comprehension": (False, "line"),
    "TL;DR": (False, "paragraph"),
    "Translate English → French": (False, "line"),
    "Translate English → German": (False, "line"),
    "Translate English → Spanish": (False, "line"),
    "Translate French → English": (False, "line"),
    "Samples": (False, "tokens"),
}


def test_each_builtin_heals_exactly_when_its_template_ends_with_the_users_text():
    presets = builtin_presets()
    assert {p.name for p in presets} == set(EXPECTED)
    for preset in presets:
        parts = parse_template(preset.template)
        ends_with_user_text = bool(parts) and parts[-1][0] == "field"
        assert preset.sampling.token_healing is ends_with_user_text, preset.name
        assert (preset.sampling.token_healing, preset.sampling.stop_at) == EXPECTED[preset.name]


def test_the_healed_builtins_are_continue_and_point_of_view():
    healed = {p.name for p in builtin_presets() if p.sampling.token_healing}
    assert healed == {"Continue", "Point of view"}
    for name in ("Q&A", "TL;DR", "Translate English → French"):
        template = find_preset(builtin_presets(), name).template
        assert template.rstrip().endswith((":", "="))  # its own delimiter ends the prompt


@pytest.mark.parametrize("stop_at", list(STOP_AT_CHOICES))
@pytest.mark.parametrize("healing", [True, False])
def test_a_user_preset_keeps_both_through_its_file(stop_at, healing):
    preset = Preset(
        "Mine", "Notes: {selection}", SamplingSettings(token_healing=healing, stop_at=stop_at, top_k=3)
    )
    path = save_user_preset(preset)
    written = json.loads(path.read_text(encoding="utf-8"))["sampling"]
    assert (written["token_healing"], written["stop_at"]) == (healing, stop_at)
    assert find_preset(load_presets()[0], "Mine") == preset


def test_export_and_import_keep_both(tmp_path):
    presets = [
        Preset("A", "{before_cursor}", SamplingSettings(token_healing=True, stop_at="word")),
        Preset("B", "{selection}\nTL;DR:", SamplingSettings(token_healing=False, stop_at="paragraph")),
    ]
    export_presets(presets, tmp_path / "out.json")
    assert read_preset_file(tmp_path / "out.json") == presets


def _write_user_file(name: str, data) -> None:
    folder = user_presets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("template", "healed"),
    [
        ("{before_cursor}", True),
        ("As a cat, I think that {before_cursor}", True),
        ("{selection}", True),
        ("{document}\n\nTL;DR:", False),
        ("Q: {input}\nA:", False),
        ("{selection} =", False),
        ("", False),
    ],
)
def test_an_older_file_without_the_two_settings_gets_defaults_that_suit_its_template(template, healed):
    _write_user_file("old", {"name": "Old", "template": template, "sampling": {"temperature": 0.5}})
    presets, problems = load_presets()
    assert problems == []
    old = find_preset(presets, "Old")
    assert old.sampling.token_healing is healed
    assert old.sampling.stop_at == "tokens"  # the length it always had
    assert old.sampling.temperature == 0.5
    # No sampling at all: the same rule.
    assert Preset.from_dict({"name": "Bare", "template": template}).sampling.token_healing is healed


def test_a_users_copy_of_continue_from_an_older_version_still_heals():
    old_continue = find_preset(builtin_presets(), "Continue").to_dict()
    for key in ("token_healing", "stop_at"):
        del old_continue["sampling"][key]
    old_continue["sampling"]["temperature"] = 0.9
    _write_user_file("continue", old_continue)
    preset = find_preset(load_presets()[0], "Continue")
    assert not preset.builtin
    assert (preset.sampling.temperature, preset.sampling.token_healing) == (0.9, True)


@pytest.mark.parametrize(
    ("sampling", "said"),
    [
        ({"token_healing": "yes"}, "token_healing must be true or false"),
        ({"token_healing": 0}, "token_healing must be true or false"),
        ({"stop_at": "chapter"}, "stop_at must be one of word, sentence, line, paragraph, tokens"),
        ({"stop_at": ["line"]}, "preset 'Bad':"),
    ],
)
def test_a_wrong_value_skips_that_file_with_one_sentence_naming_it(sampling, said):
    _write_user_file("bad", {"name": "Bad", "template": "{selection}", "sampling": sampling})
    presets, problems = load_presets()
    assert find_preset(presets, "Bad") is None
    assert len(problems) == 1
    assert "bad.json" in problems[0]
    assert said in problems[0]
    assert find_preset(presets, "Continue") is not None  # the rest load
    with pytest.raises(PresetError, match="preset 'Bad'"):
        Preset.from_dict({"name": "Bad", "template": "{selection}", "sampling": sampling})

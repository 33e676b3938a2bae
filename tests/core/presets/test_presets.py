"""Presets: templates, fitting long text into the window, finishing results, and the preset files."""

from __future__ import annotations

import json

import pytest

from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.storage import (
    builtin_presets,
    delete_user_preset,
    export_presets,
    import_presets,
    load_presets,
    reset_builtins,
    save_user_preset,
    user_presets_dir,
)
from gpt2_studio.core.presets.templates import (
    Preset,
    PresetContext,
    PresetError,
    find_preset,
    finish,
    parse_template,
    render,
)

LONG_DOCUMENT = " ".join(f"Sentence number {i} of a very long report." for i in range(700))


def plain(preset: Preset, **context: str) -> str:
    """Render without any length limit (one token per character is plenty)."""
    return render(preset, PresetContext(**context), list, lambda ids: "".join(ids), budget=10**6).text


def test_placeholders_are_filled_and_double_braces_are_literal():
    preset = Preset("p", "{{json}} {selection} / {input}")
    assert preset.placeholders == {"selection", "input"}
    assert plain(preset, selection="cat", input="dog") == "{json} cat / dog"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{name}", r"unknown placeholder \{name\}"),
        ("a { b", "a lone '{'"),
        ("a } b", "a lone '}'"),
        ("{selection.__class__}", "unknown placeholder"),
    ],
)
def test_bad_templates_are_explained(template, message):
    with pytest.raises(PresetError, match=message):
        Preset("bad", template)


def test_values_with_braces_are_not_interpreted():
    assert plain(Preset("p", "Q: {selection}"), selection="{document} {{x}}") == "Q: {document} {{x}}"


def test_builtins_cover_the_gpt2_tricks():
    names = {p.name for p in builtin_presets()}
    assert {"Continue", "Q&A", "Reading comprehension", "TL;DR", "Point of view", "Samples"} <= names
    assert "Translate English → French" in names
    tldr = find_preset(builtin_presets(), "tl;dr")
    assert tldr.template.endswith("TL;DR:")
    assert tldr.sampling.top_k == 2
    assert tldr.sampling.max_new_tokens == 100
    assert tldr.postprocess == "sentences:3"
    translate = find_preset(builtin_presets(), "Translate English → French")
    assert translate.sampling.greedy
    assert translate.sampling.stop_strings == ("\n",)
    assert find_preset(builtin_presets(), "Q&A").sampling.stop_strings == ("\n", "Q:")


@pytest.fixture(scope="module")
def window_1024_model(tmp_path_factory):
    """A tiny GPT-2 with the real GPT-2 window of 1024 positions."""
    from gpt2_studio.core.models.loading import load_model
    from gpt2_studio.core.models.tiny_checkpoint import build_tiny_checkpoint

    folder = build_tiny_checkpoint(tmp_path_factory.mktemp("wide") / "gpt2-1024", n_positions=1024)
    return load_model(folder, device="cpu", precision="fp32")


@pytest.mark.parametrize("preset", builtin_presets(), ids=lambda p: p.name)
def test_a_5000_token_document_fits_the_window_for_every_preset(preset, window_1024_model):
    tiny_model = window_1024_model
    engine = Engine(tiny_model)
    document = " ".join(f"w{i}" for i in range(2500))
    assert len(engine.tokenize(document)) >= 5000
    settings = preset.sampling.replace(max_new_tokens=min(preset.sampling.max_new_tokens, 8))
    budget = engine.token_budget(preset.sampling)
    context = PresetContext(selection=document, document=document, before_cursor=document, input="a sailor")
    rendered = render(preset, context, engine.tokenize, tiny_model.tokenizer.decode, budget)
    assert len(engine.tokenize(rendered.text)) <= budget
    fixed = [text for kind, text in parse_template(preset.template) if kind == "text"]
    for text in fixed:
        assert text in rendered.text  # the preset's own words are never cut
    if preset.placeholders:
        assert rendered.trimmed
        kept = "w0 " if preset.keep == "start" else "w2499"
        assert kept in rendered.text
    assert engine.complete(rendered.text, settings).prompt_tokens <= budget


def test_tldr_keeps_the_beginning_and_continue_keeps_the_end(tiny_model):
    engine = Engine(tiny_model)
    presets = builtin_presets()
    budget = 60
    context = PresetContext(document=LONG_DOCUMENT, before_cursor=LONG_DOCUMENT)
    summary = render(
        find_preset(presets, "TL;DR"), context, engine.tokenize, tiny_model.tokenizer.decode, budget
    )
    assert summary.text.startswith("Sentence number 0 of")
    assert summary.text.endswith("\n\nTL;DR:")
    cont = render(
        find_preset(presets, "Continue"), context, engine.tokenize, tiny_model.tokenizer.decode, budget
    )
    assert cont.text.endswith("Sentence number 699 of a very long report.")


def test_finish_trims_as_the_preset_says():
    presets = builtin_presets()
    assert finish(find_preset(presets, "Q&A"), " Paris.\nQ: and more") == "A: Paris."
    tldr = finish(find_preset(presets, "TL;DR"), " One thing. Two things! Three? Four. Five.")
    assert tldr == " One thing. Two things! Three?"
    assert finish(find_preset(presets, "Translate English → French"), " chat\ndog = chien") == " chat"
    assert finish(find_preset(presets, "Continue"), " as is \n") == " as is"


def test_stop_strings_end_a_qa_answer_at_the_line(tiny_model):
    engine = Engine(tiny_model)
    qa = find_preset(builtin_presets(), "Q&A")
    prompt = plain(qa, selection="What is the capital of Italy?")
    result = engine.complete(prompt, qa.sampling.replace(temperature=1.5, top_k=0, seed=3, max_new_tokens=60))
    assert "\n" not in result.text
    assert "Q:" not in result.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "template": "", "colour": "red"}, "unknown field"),
        ({"name": "x", "template": "", "output": "printer"}, "output must be one of"),
        ({"name": "x", "template": "", "sampling": {"temperature": -1}}, "preset 'x': temperature must be"),
        ({"name": "x", "template": "", "keep": "middle"}, "keep must be 'end' or 'start'"),
        ({"name": "", "template": ""}, "needs a name"),
        ({"name": "x", "template": "", "result_format": "A:"}, r"must contain \{result\}"),
    ],
)
def test_invalid_preset_data_is_explained(data, message):
    with pytest.raises(PresetError, match=message):
        Preset.from_dict(data)


def test_user_presets_are_files_that_add_to_and_override_the_builtins():
    mine = Preset(
        "Haiku", "A haiku about {input}:\n", SamplingSettings(temperature=0.9), input_label="About?"
    )
    path = save_user_preset(mine)
    assert path.parent == user_presets_dir()
    assert json.loads(path.read_text(encoding="utf-8"))["template"] == "A haiku about {input}:\n"
    changed = find_preset(builtin_presets(), "TL;DR").__class__(
        **{**find_preset(builtin_presets(), "TL;DR").to_dict(), "sampling": SamplingSettings(top_k=5)}
    )
    save_user_preset(changed)
    presets, problems = load_presets()
    assert problems == []
    assert find_preset(presets, "Haiku") == mine
    assert find_preset(presets, "TL;DR").sampling.top_k == 5
    assert not find_preset(presets, "TL;DR").builtin
    assert reset_builtins() == 1
    assert find_preset(load_presets()[0], "TL;DR").sampling.top_k == 2
    assert delete_user_preset("Haiku")
    assert find_preset(load_presets()[0], "Haiku") is None
    assert not delete_user_preset("Haiku")


def test_renaming_a_preset_rewrites_its_file():
    path = save_user_preset(Preset("Old name", "x"))
    assert save_user_preset(Preset("New name", "x"), replacing="Old name") == path
    names = {p.name for p in load_presets()[0]}
    assert "New name" in names
    assert "Old name" not in names


def test_an_invalid_file_is_skipped_with_its_name_and_the_rest_load():
    save_user_preset(Preset("Good", "x"))
    user_presets_dir().joinpath("broken.json").write_text("{not json", encoding="utf-8")
    user_presets_dir().joinpath("wrong.json").write_text(
        '{"name": "W", "template": "{oops}"}', encoding="utf-8"
    )
    presets, problems = load_presets()
    assert find_preset(presets, "Good") is not None
    assert len(problems) == 2
    assert any("broken.json" in p and "is not valid JSON" in p and "skipped" in p for p in problems)
    assert any("wrong.json" in p and "unknown placeholder {oops}" in p for p in problems)
    assert len(presets) == len(builtin_presets()) + 1


def test_export_and_import_round_trip(tmp_path):
    mine = [Preset("One", "1 {selection}"), Preset("Two", "2 {document}", output="side_panel")]
    target = tmp_path / "shared-presets.json"
    export_presets(mine, target)
    assert import_presets(target) == mine
    assert [find_preset(load_presets()[0], p.name) for p in mine] == mine


def test_import_of_an_invalid_file_saves_nothing(tmp_path):
    target = tmp_path / "bad.json"
    target.write_text(json.dumps([{"name": "Fine", "template": ""}, {"name": "Bad", "template": "{"}]))
    with pytest.raises(PresetError, match="bad.json"):
        import_presets(target)
    assert find_preset(load_presets()[0], "Fine") is None


def test_a_file_of_several_presets_keeps_the_others_when_one_is_deleted_or_edited(tmp_path):
    export_presets([Preset("One", "1"), Preset("Two", "2"), Preset("Three", "3")], tmp_path / "all.json")
    user_presets_dir().mkdir(parents=True, exist_ok=True)
    shared = user_presets_dir() / "all.json"
    shared.write_bytes((tmp_path / "all.json").read_bytes())
    assert delete_user_preset("Two")
    save_user_preset(Preset("One", "1 changed"))
    presets, problems = load_presets()
    assert problems == []
    assert find_preset(presets, "Two") is None
    assert find_preset(presets, "One").template == "1 changed"
    assert find_preset(presets, "Three").template == "3"


def test_two_files_with_the_same_preset_name_are_reported():
    user_presets_dir().mkdir(parents=True, exist_ok=True)
    for stem in ("a", "b"):
        user_presets_dir().joinpath(f"{stem}.json").write_text(
            '{"name": "Same", "template": ""}', encoding="utf-8"
        )
    presets, problems = load_presets()
    assert problems == [f"Two presets are named 'Same'; the one in {user_presets_dir() / 'b.json'} is used."]


def test_trimming_keeps_the_users_own_replacement_characters(engine):
    """Only a character cut in half by the trim is left out; a U+FFFD the user wrote stays."""
    preset = Preset(name="Keep end", template="{document}", keep="end")
    text = "\ufffd start " + "word " * 400 + "end \ufffd"
    rendered = render(preset, PresetContext(document=text), engine.tokenize, engine.detokenize, 60)
    assert rendered.trimmed
    assert rendered.text.endswith("end \ufffd")
    assert text.endswith(rendered.text)

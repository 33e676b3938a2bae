"""User text is plain text: special-token strings in it are ordinary characters, on every path."""

from __future__ import annotations

import random
import threading

import pytest

from gpt2_studio.core.generation.context import fit_prompt
from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.presets.templates import Preset, PresetContext, render
from tests.core.real_vocab import build_real_vocab_model

EOT = "<|endoftext|>"
TYPED = f"a {EOT} b"
# What GPT-2's own tokenizer gives for TYPED read as characters: a, " <", "|", "end", "of", "text", "|",
# ">", " b".
PLAIN_IDS = [64, 1279, 91, 437, 1659, 5239, 91, 29, 275]


@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    from gpt2_studio.core.models.loading import load_model

    folder = build_real_vocab_model(tmp_path_factory.mktemp("real") / "real-vocab")
    return load_model(folder, device="cpu", precision="fp32")


def test_a_typed_end_of_text_is_nine_ordinary_tokens_with_gpt2s_tokenizer(real_model):
    engine = Engine(real_model)
    assert real_model.tokenizer.encode(TYPED, add_special_tokens=False) == [64, 220, 50256, 275]  # the trap
    ids = engine.tokenize(TYPED)
    assert ids == PLAIN_IDS
    assert real_model.tokenizer.decode(ids) == TYPED


@pytest.mark.parametrize(
    "text",
    [EOT, EOT * 3, f"x{EOT}y", f"\n{EOT}\n", f"{EOT[:-1]} and {EOT[1:]}", "<|endoftext|", "<|ENDOFTEXT|>"],
)
def test_no_user_text_becomes_a_control_token(real_model, text):
    engine = Engine(real_model)
    ids = engine.tokenize(text)
    assert real_model.eos_token_id not in ids
    assert real_model.tokenizer.decode(ids) == text


def test_plain_tokenizing_is_gpt2s_own_otherwise(real_model):
    engine = Engine(real_model)
    tokenizer = real_model.tokenizer
    rnd = random.Random(0)
    alphabet = "ab <|>endoftext\n\t é🙂'日"
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        ids = engine.tokenize(text)
        assert ids == tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True)
        assert tokenizer.decode(ids) == text


def test_tokenizing_stays_plain_while_another_thread_uses_the_tokenizer(real_model):
    # transformers flips a flag on the shared tokenizer per call; the engine's path must not see it.
    engine = Engine(real_model)
    stop = threading.Event()

    def other_feature():
        while not stop.is_set():
            real_model.tokenizer.encode(TYPED, add_special_tokens=False, split_special_tokens=False)

    thread = threading.Thread(target=other_feature)
    thread.start()
    try:
        results = {tuple(engine.tokenize(TYPED)) for _ in range(2000)}
    finally:
        stop.set()
        thread.join(10)
    assert results == {tuple(PLAIN_IDS)}


def test_the_prompt_keeps_typed_control_strings_as_text(real_model):
    engine = Engine(real_model)
    result = engine.complete(TYPED, SamplingSettings(temperature=0, max_new_tokens=2))
    assert result.prompt_tokens == 9
    fitted = fit_prompt(f"start {TYPED} end" * 40, engine.tokenize, 50)
    assert real_model.eos_token_id not in fitted.ids


def test_preset_placeholders_keep_control_strings_as_text(real_model):
    engine = Engine(real_model)
    preset = Preset(name="Echo", template="Text: {selection}\nAgain:")
    context = PresetContext(document="", selection=f"one {EOT} two " * 200)
    rendered = render(preset, context, engine.tokenize, real_model.tokenizer.decode, 100)
    assert rendered.trimmed
    assert EOT in rendered.text
    assert real_model.eos_token_id not in engine.tokenize(rendered.text)


def test_an_empty_prompt_still_starts_from_the_end_of_text_token(real_model):
    result = Engine(real_model).complete("", SamplingSettings(temperature=0, max_new_tokens=2))
    assert result.prompt_tokens == 1


def test_detokenize_leaves_out_characters_cut_at_either_end(real_model):
    engine = Engine(real_model)
    text = f"日本 {EOT} café 🙂\ufffd x 🙂"
    ids = engine.tokenize(text)
    assert engine.detokenize(ids) == text
    for start in range(len(ids)):
        for end in range(start, len(ids) + 1):
            piece = engine.detokenize(ids[start:end])
            assert piece in text
            assert "\ufffd" not in piece or "\ufffd" in text[text.index(piece) :]
    # Cut inside 日 (3 bytes in tokens "æĹ", "¥"): the half character is left out, not shown as U+FFFD.
    assert engine.detokenize(ids[1:]) == text[1:]
    assert engine.detokenize(ids[:1]) == ""


@pytest.mark.parametrize(
    ("text", "means"),
    [
        ("a\ud800b", "a\ufffdb"),  # a lone half
        ("x\udc80", "x\ufffd"),  # an undecodable byte kept by "surrogateescape"
        ("\ud83d\ude42 ok", "\U0001f642 ok"),  # two halves are one character
    ],
)
def test_surrogates_are_text_not_a_crash(real_model, text, means):
    from gpt2_studio.core.generation.context import Prompt

    engine = Engine(real_model)
    assert engine.tokenize(text) == engine.tokenize(means)
    greedy = SamplingSettings(temperature=0, max_new_tokens=3)
    assert engine.complete(text, greedy).text == engine.complete(means, greedy).text
    both = engine.complete(Prompt("x", memory=text, authors_note=text), greedy)
    assert both.memory_tokens == len(engine.tokenize(means + "\n"))

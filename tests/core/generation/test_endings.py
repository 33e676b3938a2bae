"""Natural endings: a word, the rest of the sentence, line or paragraph, stopped in the engine."""

from __future__ import annotations

import pytest

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.endings import find_end, held_back
from gpt2_studio.core.generation.engine import FINISH_LENGTH, FINISH_STOP, Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from tests.core.real_vocab import build_scripted_model

PROMPT = "The capital of France is"  # 5 tokens: the model's script starts after position 4
# " Paris" "." " It" " is" " big" "." "\n" " Yes" "." "\n" "\n" " New"
SCRIPT = [6342, 13, 632, 318, 1263, 13, 198, 3363, 13, 198, 198, 968]
FILLER = 632  # " It"


@pytest.fixture(scope="module")
def scripted(tmp_path_factory) -> Engine:
    from gpt2_studio.core.models.loading import load_model

    script = {4 + i: token for i, token in enumerate(SCRIPT)}
    folder = build_scripted_model(tmp_path_factory.mktemp("script") / "script", script, FILLER)
    return Engine(load_model(folder, device="cpu", precision="fp32"))


def _ask(engine: Engine, stop_at: str, **changes) -> object:
    settings = SamplingSettings(temperature=0, max_new_tokens=20, stop_at=stop_at, **changes)
    return engine.complete(PROMPT, settings)


@pytest.mark.parametrize(
    ("stop_at", "text", "tokens"),
    [
        ("word", " Paris", 2),  # " Paris", then "." shows the word has ended
        ("sentence", " Paris.", 3),  # "." then " It" shows the sentence has ended
        ("line", " Paris. It is big.", 7),
        ("paragraph", " Paris. It is big.\n Yes.", 11),
    ],
)
def test_the_engine_stops_as_soon_as_the_end_is_reached(scripted, stop_at, text, tokens):
    completion = _ask(scripted, stop_at)
    assert completion.text == text
    assert completion.finish_reasons == (FINISH_STOP,)
    assert completion.new_tokens == tokens  # stopped in the engine, not cut afterwards


def test_tokens_runs_to_the_max_length(scripted):
    completion = _ask(scripted, "tokens")
    assert completion.new_tokens == 20
    assert completion.finish_reasons == (FINISH_LENGTH,)
    assert completion.text.startswith(" Paris. It is big.\n Yes.\n\n New")


def test_max_length_still_caps_a_natural_ending(scripted):
    completion = scripted.complete(PROMPT, SamplingSettings(temperature=0, max_new_tokens=4, stop_at="line"))
    assert completion.text == " Paris. It is"
    assert completion.finish_reasons == (FINISH_LENGTH,)


def test_streamed_pieces_never_show_what_the_end_takes_back(scripted):
    for stop_at in ("word", "sentence", "line", "paragraph"):
        pieces: list[str] = []
        settings = SamplingSettings(temperature=0, max_new_tokens=20, stop_at=stop_at)
        completion = scripted.complete(PROMPT, settings, on_text=lambda d, seen=pieces: seen.append(d.text))
        assert "".join(pieces) == completion.text


def test_endings_compose_with_stop_strings_and_alternatives(scripted):
    completion = _ask(scripted, "line", stop_strings=(" big",), num_alternatives=2)
    assert completion.alternatives == (" Paris. It is",) * 2
    assert _ask(scripted, "word", stop_strings=("zzz",)).text == " Paris"


def test_healing_and_a_word_give_the_rest_of_the_half_typed_word(scripted):
    # "…is Par": healing hands " Par" back, the script's " Paris" writes it, "." ends the word.
    settings = SamplingSettings(temperature=0, max_new_tokens=20, stop_at="word", token_healing=True)
    completion = scripted.complete(PROMPT + " Par", settings)
    assert completion.text == "is"
    assert completion.new_tokens == 2


def test_stop_at_is_validated():
    with pytest.raises(SettingsError, match="stop_at must be one of word, sentence, line, paragraph"):
        SamplingSettings(stop_at="chapter")
    with pytest.raises(SettingsError, match="token_healing must be true or false"):
        SamplingSettings(token_healing="yes")
    data = SamplingSettings(stop_at="word", token_healing=True).to_dict()
    assert SamplingSettings.from_dict(data) == SamplingSettings(stop_at="word", token_healing=True)


# -- where each end falls (the rules, one by one) ------------------------------------------------
@pytest.mark.parametrize(
    ("text", "end"),
    [
        (" Paris", None),  # the word may go on
        (" Paris.", 6),
        (" Paris in", 6),
        ("is in", 2),  # the rest of a half-typed word
        (" don'", None),  # "don" "'" "t": wait for the next token
        (" don't go", 6),
        (" well-known fact", 11),
        (" 3.", None),
        (" 3.14 is", 5),
        (" 1,000 people", 6),
        (' "Hello', None),  # punctuation before a word belongs to it
        (", the", 1),  # punctuation alone before a space: a word's worth
        (', "Hello', 1),
        ("  ", None),  # nothing yet
        ("\n\nNew", None),  # leading newlines are not an end
        ("\n\nNew day", 5),
    ],
)
def test_where_a_word_ends(text, end):
    assert find_end(text, "word") == end


@pytest.mark.parametrize(
    ("text", "end"),
    [
        (" Paris.", None),  # the end needs the space after it
        (" Paris. It", 7),
        (" Really?! Yes", 9),
        (' "Go." She', 6),  # closing quotes belong to the sentence
        (" (see above.) Then", 13),
        (" Mr. Smith left. Then", 16),  # abbreviations and initials do not end it
        (" J. R. R. Tolkien wrote. Yes", 24),
        (" e.g. this. Yes", 11),
        (" Pi is 3.14 and more. Yes", 21),
        (" no end\nNext", 7),  # a new line ends a sentence too
        ("\n\nA new one. Yes", 12),
        (" Wait\u2026 then", 6),
    ],
)
def test_where_a_sentence_ends(text, end):
    assert find_end(text, "sentence") == end


@pytest.mark.parametrize(
    ("stop_at", "text", "end"),
    [
        ("line", " rest of line\nnext", 13),
        ("line", " rest\r\nnext", 5),
        ("line", "\nthe next line\n", 14),  # at a line's end: the next line
        ("paragraph", " one.\nTwo.\n\nThree", 10),
        ("paragraph", " one.\n  \nTwo", 5),  # a line of spaces is blank
        ("paragraph", "\n\nNext paragraph.\n\n", 17),
        ("tokens", " anything.\n\n at all", None),
    ],
)
def test_where_lines_and_paragraphs_end(stop_at, text, end):
    assert find_end(text, stop_at) == end


def test_what_is_held_back_while_an_alternative_runs():
    assert held_back(" Paris ", "sentence") == 1
    assert held_back(" Paris.\n", "paragraph") == 1
    assert held_back(" don'", "word") == 1
    assert held_back(" 3.", "word") == 1
    assert held_back(" Paris ", "tokens") == 0

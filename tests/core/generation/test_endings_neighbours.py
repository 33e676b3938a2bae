"""Natural endings beyond plain English: combining marks, initialisms, Chinese and Japanese full stops,
every line-break character, and a model that writes only whitespace (GPT-2's real tokenizer)."""

from __future__ import annotations

import pytest

from gpt2_studio.core.generation.endings import find_end, held_back
from gpt2_studio.core.generation.engine import FINISH_LENGTH, FINISH_STOP, Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from tests.core.real_vocab import build_scripted_model

PROMPT = "The capital of France is"  # 5 tokens: the script starts after position 4
# " café is U.S. now. Yes\u2028 Yes\u2029 Yes", with "é" as "e" and a combining acute accent (2 tokens)
SCRIPT = [26725, 136, 223, 318, 471, 13, 50, 13, 783, 13, 3363, 447, 101, 3363, 447, 102, 3363]
SPACE = 220


def _scripted(tmp_path_factory, script: list[int], filler: int, start: int = 4) -> Engine:
    """The script's tokens follow the token at position `start` (the prompt's last), one by one."""
    from gpt2_studio.core.models.loading import load_model

    positions = {start + i: token for i, token in enumerate(script)}
    folder = build_scripted_model(tmp_path_factory.mktemp("script") / "script", positions, filler)
    return Engine(load_model(folder, device="cpu", precision="fp32"))


@pytest.fixture(scope="module")
def scripted(tmp_path_factory) -> Engine:
    return _scripted(tmp_path_factory, SCRIPT, 3363)


@pytest.mark.parametrize(
    ("stop_at", "text", "tokens"),
    [
        ("word", " cafe\u0301", 4),  # the accent's two tokens belong to the word; " is" ends it
        ("sentence", " cafe\u0301 is U.S. now.", 11),  # "U.S." is no sentence end; ". Yes" is
        ("line", " cafe\u0301 is U.S. now. Yes", 13),  # U+2028 (two tokens) ends a line
        ("paragraph", " cafe\u0301 is U.S. now. Yes\u2028 Yes", 16),  # U+2029 ends a paragraph
    ],
)
def test_the_engine_stops_at_unicode_ends(scripted, stop_at, text, tokens):
    pieces: list[str] = []
    settings = SamplingSettings(temperature=0, max_new_tokens=30, stop_at=stop_at)
    completion = scripted.complete(PROMPT, settings, on_text=lambda d: pieces.append(d.text))
    assert completion.text == text
    assert "".join(pieces) == text
    assert completion.finish_reasons == (FINISH_STOP,)
    assert completion.new_tokens == tokens


def test_a_full_stop_after_the_writers_mr_is_no_sentence_end(tmp_path_factory):
    # "I met Mr" then ". Smith left. Then it rained.": the sentence is ". Smith left.", not ".".
    script = [13, 4176, 1364, 13, 3244, 340, 374, 1328, 13]
    engine = _scripted(tmp_path_factory, script, 3244, start=2)
    assert len(engine.tokenize("I met Mr")) == len(engine.tokenize("I met Bo")) == 3
    pieces: list[str] = []
    settings = SamplingSettings(temperature=0, max_new_tokens=20, stop_at="sentence")
    completion = engine.complete("I met Mr", settings, on_text=lambda d: pieces.append(d.text))
    assert completion.text == ". Smith left."
    assert "".join(pieces) == completion.text
    assert completion.new_tokens == 5
    # A name the writer typed: the full stop ends the sentence.
    assert engine.complete("I met Bo", settings).text == "."


def test_a_model_that_writes_only_whitespace_runs_to_its_length(tmp_path_factory):
    engine = _scripted(tmp_path_factory, [], SPACE)
    for stop_at in ("word", "sentence", "line", "paragraph"):
        pieces: list[str] = []
        settings = SamplingSettings(temperature=0, max_new_tokens=6, stop_at=stop_at)
        completion = engine.complete(PROMPT, settings, on_text=lambda d, seen=pieces: seen.append(d.text))
        assert completion.text == " " * 6
        assert "".join(pieces) == completion.text
        assert completion.finish_reasons == (FINISH_LENGTH,)


# -- the rules, character by character ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "end"),
    [
        (" cafe\u0301", None),  # a combining accent keeps the word going
        (" cafe\u0301 is", 6),
        (" \u0915\u093f\u0924\u093e\u092c \u0939\u0948", 6),  # Hindi: vowel signs inside the word
        (" \u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627 x", 10),  # Arabic with its vowel marks
        (" \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 x", 7),  # Thai
        (" x\u200dy z", 4),  # a zero-width joiner joins
        (" U.", None),  # an initialism may go on
        (" U.S", None),
        (" U.S. now", 5),
        (" I. Then", 2),
        (" e.g. this", 5),
    ],
)
def test_where_a_word_ends_beyond_ascii(text, end):
    assert find_end(text, "word") == end


@pytest.mark.parametrize(
    ("text", "end"),
    [
        (" The U.S. Army went. Yes", 20),  # a dotted initialism does not end it
        (" at 5 p.m. then. Yes", 16),
        (" \u65e5\u672c\u8a9e\u3067\u3059\u3002\u6b21", 7),  # Japanese: 。 needs no space after it
        (" \u4f60\u597d\uff01\u6211", 4),  # ！
        (" \u771f\u7684\uff1f\u300d\u4ed6", 5),  # ？ and a closing bracket
        (" \u771f\u7684\u3002", None),  # a closer may still come
        (" \u771f\u7684\u3002\u300d", None),
        (" \u00abVa.\u00bb Elle", 6),  # French guillemets close the sentence
        (" no end\u2028next", 7),  # every line break ends a sentence
        (" no end\r\nnext", 7),
        (" no end\rnext", 7),
        (" no end\x85next", 7),
    ],
)
def test_where_a_sentence_ends_beyond_ascii(text, end):
    assert find_end(text, "sentence") == end


@pytest.mark.parametrize(
    ("before", "text", "end"),
    [
        ("I met Mr", ". Smith left. Then", 13),  # the writer's "Mr": not an end
        ("I met Bob", ". Smith left. Then", 1),
        ("by J", ". R. R. Tolkien wrote. Yes", 22),  # the writer's initial
        ("The U.", "S. Army went. Yes", 13),
        ("see e.g", ". this. Yes", 7),
        ("", ". Then", 1),
    ],
)
def test_the_writers_last_word_decides_whether_a_full_stop_ends(before, text, end):
    assert find_end(text, "sentence", before) == end


@pytest.mark.parametrize(
    ("stop_at", "text", "end"),
    [
        ("line", " a\u2028b", 2),
        ("line", " a\u2029b", 2),
        ("line", " a\x0bb", 2),
        ("line", " a\x0cb", 2),
        ("line", " a\x85b", 2),
        ("line", " a\r", 2),
        ("paragraph", " a\r\nb", None),  # "\r\n" is one line end, never a blank line
        ("paragraph", " a\r\n\r\nb", 2),
        ("paragraph", " a\n\u00a0\nb", 2),  # a line of no-break spaces is blank
        ("paragraph", " a\n\u3000\nb", 2),
        ("paragraph", " a\u2029b", 2),  # the paragraph separator
        ("paragraph", " a\r\rb", 2),
    ],
)
def test_where_lines_and_paragraphs_end_beyond_ascii(stop_at, text, end):
    assert find_end(text, stop_at) == end


def test_held_back_covers_every_line_break_and_an_initial():
    assert held_back(" a\u2028", "line") == 1
    assert held_back(" a\u2029", "paragraph") == 1
    assert held_back(" U.", "word") == 1
    assert held_back(" Ab.", "word") == 0


_PIECES = [
    "a", "b", "U", "Ab", "Mr", " Mr", "3", "1", " ", " ", ".", "!", "?", "\uff1f", "\u3002", "\u300d",
    "\u2026", "'", "\u2019", "-", ",", "(", ")", '"', "\u00bb", "\n", "\r", "\r\n", "\t", "\x0c",
    "\u00a0", "\u2028", "\u2029", "\u0301", "x\u200d", "\u65e5", "e.g",
]  # fmt: skip


def _shown_past_the_cut(pieces: list[str], stop_at: str, before: str) -> bool:
    """Grow the text piece by piece as the engine does: is any shown character later cut off?"""
    text, shown = "", 0
    for piece in pieces:
        text += piece
        cut = find_end(text, stop_at, before)
        if cut is not None:
            return cut < shown
        shown = max(shown, len(text) - held_back(text, stop_at))
    return False


@pytest.mark.parametrize(
    "pieces",
    [["a", ".", "b", "x\u200d"], ["U", ".", "\u65e5", "a"], ["b", ".", "U", "b"], ["a", ".", "b", "Mr"]],
)
def test_an_initialism_that_goes_on_keeps_what_was_shown(pieces):
    assert not _shown_past_the_cut(pieces, "word", "")
    assert find_end("".join(pieces) + " next", "word") == len("".join(pieces))


def test_a_cut_never_falls_inside_text_already_shown():
    import random

    rng = random.Random(11)
    for _ in range(20_000):
        pieces = [rng.choice(_PIECES) for _ in range(rng.randint(1, 10))]
        stop_at = rng.choice(["word", "sentence", "line", "paragraph"])
        before = rng.choice(["", "Mr", "I met", "U", "3"])
        assert not _shown_past_the_cut(pieces, stop_at, before), (pieces, stop_at, before)

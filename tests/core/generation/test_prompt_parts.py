"""Memory and Author's note: where they go in the prompt, what they cost, and the text fitted around them."""

from __future__ import annotations

import pytest

from gpt2_studio.core.errors import SettingsError
from gpt2_studio.core.generation.context import Prompt, fit_context, fit_prompt
from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from tests.core.real_vocab import build_real_vocab_model

EOT = "<|endoftext|>"
LINES = "Line one.\nLine two.\nLine three.\nNow she"
GREEDY = SamplingSettings(temperature=0, max_new_tokens=8)


@pytest.fixture(scope="module")
def real_engine(tmp_path_factory):
    """An engine with GPT-2's real tokenizer (window 128)."""
    from gpt2_studio.core.models.loading import load_model

    folder = build_real_vocab_model(tmp_path_factory.mktemp("real") / "real-vocab")
    return Engine(load_model(folder, device="cpu", precision="fp32"))


def text_of(engine: Engine, ids: list[int]) -> str:
    return engine.model.tokenizer.decode(ids)


# -- assembly ----------------------------------------------------------------------------------------


def test_memory_then_text_with_the_note_as_a_line_exact_ids(real_engine):
    fitted = fit_context(Prompt("Fog.\nShe", memory="A", authors_note="[Terse]", authors_note_depth=1),
                         real_engine.tokenize, 100)  # fmt: skip
    # "A", "\n" | "F", "og", ".", "\n" | "[", "T", "erse", "]", "\n" | "She" (GPT-2's own ids)
    assert fitted.ids == [32, 198, 37, 519, 13, 198, 58, 15156, 325, 60, 198, 3347]
    assert (fitted.memory_tokens, fitted.note_tokens, fitted.trimmed) == (2, 5, False)


def test_the_parts_are_tokenized_on_their_own_and_joined_in_order(real_engine):
    prompt = Prompt(LINES, memory="Anna is a sailor.", authors_note="[Style: terse]", authors_note_depth=2)
    expected = "Anna is a sailor.\nLine one.\nLine two.\n[Style: terse]\nLine three.\nNow she"
    assert prompt.assembled() == expected
    fitted = fit_context(prompt, real_engine.tokenize, 100)
    tokenize = real_engine.tokenize
    assert fitted.ids == [
        *tokenize("Anna is a sailor.\n"),
        *tokenize("Line one.\nLine two.\n"),
        *tokenize("[Style: terse]\n"),
        *tokenize("Line three.\nNow she"),
    ]
    assert fitted.ids == tokenize(expected)  # the parts meet at line ends, where BPE never merges
    assert fitted.memory_tokens == len(tokenize("Anna is a sailor.\n"))
    assert fitted.note_tokens == len(tokenize("[Style: terse]\n"))


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (1, "Line one.\nLine two.\nLine three.\n[N]\nNow she"),
        (2, "Line one.\nLine two.\n[N]\nLine three.\nNow she"),
        (3, "Line one.\n[N]\nLine two.\nLine three.\nNow she"),
        (4, "[N]\nLine one.\nLine two.\nLine three.\nNow she"),
        (5, "[N]\nLine one.\nLine two.\nLine three.\nNow she"),  # fewer lines than depth: at the top
        (10**12, "[N]\nLine one.\nLine two.\nLine three.\nNow she"),
    ],
)
def test_the_note_goes_before_line_depth_counted_back_from_the_cursor(real_engine, depth, expected):
    prompt = Prompt(LINES, memory="M", authors_note="[N]", authors_note_depth=depth)
    assert prompt.assembled() == "M\n" + expected
    fitted = fit_context(prompt, real_engine.tokenize, 100)
    assert text_of(real_engine, fitted.ids) == "M\n" + expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Now she", "[N]\nNow she"),  # one line: depth 1 and 3 both put it on top
        ("Done.\n", "[N]\nDone.\n"),  # two lines: "Done." and the cursor's empty one
        ("", "[N]\n"),
        ("a\n\nb", "[N]\na\n\nb"),  # an empty line counts as a line (b, "", a)
    ],
)
def test_depth_three_on_short_texts(text, expected):
    assert Prompt(text, authors_note="[N]").assembled() == expected


def test_after_a_final_line_end_the_cursors_line_is_the_empty_one():
    assert Prompt("Done.\n", authors_note="[N]", authors_note_depth=1).assembled() == "Done.\n[N]\n"
    assert Prompt("a\nDone.\n", authors_note="[N]", authors_note_depth=2).assembled() == "a\n[N]\nDone.\n"


def test_memory_ending_in_a_line_end_gets_no_second_one_and_blank_parts_are_left_out():
    assert Prompt("x", memory="M\n", authors_note="N\n", authors_note_depth=1).assembled() == "M\nN\nx"
    assert Prompt("x", memory="  \n ", authors_note="\t").assembled() == "x"


def test_without_memory_or_note_a_prompt_fits_like_its_text(real_engine):
    text = " ".join(f"w{i}" for i in range(500))
    assert fit_context(Prompt(text), real_engine.tokenize, 60) == fit_prompt(text, real_engine.tokenize, 60)
    assert fit_context(text, real_engine.tokenize, 60) == fit_prompt(text, real_engine.tokenize, 60)


def test_special_token_strings_in_memory_and_note_stay_text(real_engine):
    prompt = Prompt(f"a {EOT}", memory=f"{EOT} facts", authors_note=f"[{EOT}]")
    fitted = fit_context(prompt, real_engine.tokenize, 100)
    assert real_engine.model.eos_token_id not in fitted.ids
    assert text_of(real_engine, fitted.ids) == f"{EOT} facts\n[{EOT}]\na {EOT}"


@pytest.mark.parametrize("depth", [0, -1, 1.5, True, "3", None])
def test_a_bad_depth_is_one_sentence(depth):
    with pytest.raises(SettingsError, match=r"^The Author's note depth must be a whole number .*\.$"):
        Prompt("x", authors_note="n", authors_note_depth=depth)


def test_a_whole_float_depth_is_accepted():
    assert Prompt("a\nb", authors_note="n", authors_note_depth=2.0).authors_note_depth == 2


def test_parts_must_be_text():
    with pytest.raises(SettingsError, match="The Memory must be text"):
        Prompt("x", memory=None)  # type: ignore[arg-type]


# -- fitting -----------------------------------------------------------------------------------------


def long_document(lines: int = 400) -> str:
    return "\n".join(f"Line {i} of the story goes on." for i in range(lines))


def test_a_document_far_longer_than_the_window_keeps_its_end_memory_and_note(real_engine):
    tokenize = real_engine.tokenize
    text = long_document() + "\nAnd then she"
    prompt = Prompt(text, memory="Memory: Anna sails.", authors_note="[Style: terse]", authors_note_depth=3)
    budget = real_engine.token_budget(GREEDY)  # window 128 less 8
    fitted = fit_context(prompt, tokenize, budget)
    assert fitted.trimmed
    assert budget - 40 <= len(fitted.ids) <= budget
    shown = text_of(real_engine, fitted.ids)
    assert shown.startswith("Memory: Anna sails.\n")
    # depth 3: the cursor's line, "Line 399 …", then "Line 398 …", which the note precedes
    assert shown.endswith(
        "goes on.\n[Style: terse]\nLine 398 of the story goes on.\n"
        "Line 399 of the story goes on.\nAnd then she"
    )
    assert shown.count("[Style: terse]") == 1
    assert "Line 0 of" not in shown


def test_lines_under_the_note_longer_than_the_room_push_everything_above_out(real_engine):
    tokenize = real_engine.tokenize
    long_line = " ".join(f"word{i}" for i in range(2000))
    text = "An early line.\n" + long_line
    fitted = fit_context(Prompt(text, memory="M", authors_note="[N]", authors_note_depth=1), tokenize, 100)
    shown = text_of(real_engine, fitted.ids)
    assert fitted.trimmed
    assert shown.startswith("M\n[N]\n")
    assert shown.endswith("word1998 word1999")
    assert "early" not in shown


def test_a_huge_document_is_not_tokenized_whole():
    seen: list[int] = []

    def tokenizer(text: str) -> list[int]:
        seen.append(len(text))
        return [len(word) for word in text.split()]

    text = "word and word\n" * 500_000  # 7 MB
    fitted = fit_context(Prompt(text, memory="m m", authors_note="n", authors_note_depth=100), tokenizer, 500)
    assert 400 <= len(fitted.ids) <= 500
    assert max(seen) < 100_000


def test_text_empty_with_memory(real_engine):
    tokenize = real_engine.tokenize
    fitted = fit_context(Prompt("", memory="Setting: a lighthouse."), tokenize, 50)
    assert fitted.ids == tokenize("Setting: a lighthouse.\n")
    assert not fitted.trimmed
    done = real_engine.complete(Prompt("", memory="Setting: a lighthouse."), GREEDY)
    assert done.prompt_tokens == len(fitted.ids)
    assert done.new_tokens > 0


@pytest.mark.parametrize(
    ("memory", "note", "first_words"),
    [
        (" ".join(["fact"] * 200), "", "The Memory takes 201 tokens"),
        ("", " ".join(["style"] * 200), "The Author's note takes 201 tokens"),
        (" ".join(["fact"] * 60), " ".join(["style"] * 60), "The Memory and Author's note take 122 tokens"),
    ],
)
def test_memory_and_note_that_leave_no_room_are_one_sentence_with_the_sizes(
    real_engine, memory, note, first_words
):
    with pytest.raises(SettingsError) as raised:
        fit_context(Prompt("text", memory=memory, authors_note=note), real_engine.tokenize, 120)
    message = str(raised.value)
    assert message.startswith(first_words)
    assert "leaves 120 for the prompt" in message
    assert "shorten them" in message
    assert message.count(". ") == 0
    assert message.endswith(".")


def test_memory_exactly_filling_the_window_leaves_no_room(real_engine):
    memory = "fact " * 49 + "fact"  # 50 tokens with its line end
    assert len(real_engine.tokenize(memory + "\n")) == 51
    with pytest.raises(SettingsError):
        fit_context(Prompt("", memory=memory), real_engine.tokenize, 51)
    assert len(fit_context(Prompt("", memory=memory), real_engine.tokenize, 52).ids) == 51


def test_memory_longer_than_the_window_generates_nothing_and_the_engine_carries_on(engine):
    """Window-128 tiny checkpoint: the engine raises the one sentence before any token is made."""
    pieces = []
    too_long = Prompt("The story", memory="The quick brown fox jumps over the lazy dog. " * 40)
    with pytest.raises(SettingsError, match=r"^The Memory takes \d+ tokens; the model's window leaves 120 "):
        engine.complete(too_long, GREEDY, on_text=pieces.append)
    assert pieces == []
    stream = engine.stream(too_long, GREEDY)
    with pytest.raises(SettingsError):
        next(stream)
    fine = engine.complete(Prompt("The story", memory="A fox."), GREEDY)
    assert fine.new_tokens > 0


# -- typing with Memory present ------------------------------------------------------------------------


def test_typing_with_memory_and_note_reuses_the_cached_prefix(engine):
    text = long_document(60)
    memory = "Memory: the fox and the dog."
    reused = []
    for typed in ["", " A", " A w", " A wr", " A wri", " A writ", " A write", " A writer"]:
        done = engine.complete(Prompt(text + typed, memory=memory, authors_note="[N]"), GREEDY)
        reused.append(done.reused_tokens)
        assert done.trimmed
    assert reused[0] == 0
    assert all(count >= 64 for count in reused[1:]), reused  # the start of the window stayed put


def test_typing_at_the_end_keeps_the_trimmed_start_stable(real_engine):
    tokenize = real_engine.tokenize
    text = long_document()
    prompt = Prompt(text, memory="M.", authors_note="[N]", authors_note_depth=3)
    first = fit_context(prompt, tokenize, 120).ids
    for typed in (" a", " an", " and", "\nNew line"):
        later = fit_context(Prompt(text + typed, memory="M.", authors_note="[N]"), tokenize, 120).ids
        same = next((i for i, (a, b) in enumerate(zip(first, later, strict=False)) if a != b), len(first))
        assert same >= 60, typed

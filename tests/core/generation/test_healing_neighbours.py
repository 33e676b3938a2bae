"""Token healing's neighbours: the Memory and note never heal, a constraint over several tokens keeps the
continuation's length, a full window, and the prefix cache across healed and unhealed requests."""

from __future__ import annotations

import pytest

from gpt2_studio.core.generation.context import Prompt
from gpt2_studio.core.generation.engine import FINISH_LENGTH, Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from tests.core.real_vocab import build_real_vocab_model

PARIS = 6342  # " Paris"
P = 350  # " P": covers only part of " Par"
HEALED = SamplingSettings(temperature=0, max_new_tokens=3, token_healing=True)
PLAIN = HEALED.replace(token_healing=False)


def _engine(folder) -> Engine:
    from gpt2_studio.core.models.loading import load_model

    return Engine(load_model(folder, device="cpu", precision="fp32"))


@pytest.fixture(scope="module")
def paris(tmp_path_factory) -> Engine:
    """Greedy decoding always prefers " Paris"."""
    return _engine(build_real_vocab_model(tmp_path_factory.mktemp("heal") / "paris", always=PARIS))


@pytest.fixture(scope="module")
def random_folder(tmp_path_factory):
    """Random weights."""
    return build_real_vocab_model(tmp_path_factory.mktemp("heal") / "random")


@pytest.fixture(scope="module")
def p_engine(tmp_path_factory) -> Engine:
    """Greedy decoding always prefers " P": healing " Par" takes " P", then a token for "ar…"."""
    return _engine(build_real_vocab_model(tmp_path_factory.mktemp("heal") / "p", always=P))


# -- healing applies to the text's end, never to the Memory's or the Author's note's ---------------------
@pytest.mark.parametrize(
    "prompt",
    [
        Prompt("", memory="Facts about Par"),  # no text: the prompt ends with the Memory's line end
        Prompt("", memory="Facts.\n", authors_note="[Style: terse]"),
        Prompt("She left.\n", authors_note="[Style: terse]", authors_note_depth=1),  # the note ends it
        Prompt("She left.\n", memory="Anna.", authors_note="[Par", authors_note_depth=1),
    ],
    ids=["memory", "memory-and-note", "note-last", "note-last-with-memory"],
)
def test_a_prompt_that_ends_with_the_memory_or_note_is_not_healed(paris, prompt):
    completion = paris.complete(prompt, HEALED)
    assert completion.healed_tokens == 0
    assert completion.text == paris.complete(prompt, PLAIN).text == " Paris Paris Paris"


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_the_texts_half_typed_word_still_heals_beside_memory_and_note(paris, depth):
    prompt = Prompt("Fog.\nThe capital of France is Par", memory="Anna.", authors_note="[N]",
                    authors_note_depth=depth)  # fmt: skip
    completion = paris.complete(prompt, HEALED)
    assert completion.healed_tokens == 1
    assert completion.text == "is Paris Paris Paris"
    assert (completion.memory_tokens, completion.note_tokens) == (3, 4)


# -- a constraint over several tokens never eats the continuation's own length -----------------------
@pytest.mark.parametrize("max_new", [1, 2, 4])
def test_a_constraint_over_several_tokens_keeps_max_new_tokens(p_engine, max_new):
    # " P" writes part of " Par" (free), a token starting with "ar" finishes it and goes on, then
    # max_new tokens of the model's own (each " P") follow, as after a one-token constraint.
    completion = p_engine.complete("The capital of France is Par", HEALED.replace(max_new_tokens=max_new))
    assert completion.text.count(" P") == max_new
    assert completion.text.endswith(" P")
    assert completion.new_tokens == max_new + 2
    assert completion.finish_reasons == (FINISH_LENGTH,)


def test_one_token_with_healing_still_gives_text(p_engine, paris):
    one = HEALED.replace(max_new_tokens=1)
    assert paris.complete("The capital of France is Par", one).text == "is Paris"
    text = p_engine.complete("The capital of France is Par", one).text
    assert text.endswith(" P")
    assert len(text) > 2


def test_alternatives_each_get_their_own_length(p_engine):
    settings = HEALED.replace(max_new_tokens=2, num_alternatives=3)
    completion = p_engine.complete("The capital of France is Par", settings)
    one = p_engine.complete("The capital of France is Par", HEALED.replace(max_new_tokens=2))
    assert completion.alternatives == (one.text,) * 3


@pytest.mark.parametrize("max_new", [1, 3])
def test_a_prompt_that_fills_the_window_heals_without_overflowing(p_engine, max_new):
    budget = p_engine.model.n_positions - max_new
    filler = p_engine.tokenize(" city")
    ids = filler * (budget - len(p_engine.tokenize(" Par")))
    prompt = p_engine.detokenize(ids) + " Par"
    assert len(p_engine.tokenize(prompt)) == budget
    completion = p_engine.complete(prompt, HEALED.replace(max_new_tokens=max_new))
    assert completion.healed_tokens == 1
    assert not completion.trimmed
    assert completion.finish_reasons == (FINISH_LENGTH,)
    # The window ends the free step's extra room: every position up to it is used, none past it.
    assert completion.prompt_tokens - 1 + completion.new_tokens == p_engine.model.n_positions


# -- the prefix cache across healed and unhealed requests, bit for bit a fresh engine's -------------------
@pytest.mark.parametrize(
    "prompt", ["The capital of France is Par", "Paris is the capital of ", "I love Zü", "x 日本"]
)
def test_healed_then_unhealed_equals_a_fresh_engine(random_folder, prompt):
    folder = random_folder
    used = _engine(folder)
    sampled = SamplingSettings(temperature=0.8, top_k=20, seed=7, max_new_tokens=6, num_alternatives=2)
    for settings in (PLAIN.replace(max_new_tokens=6), sampled):
        for healing in (True, False, True):
            asked = settings.replace(token_healing=healing)
            again, fresh = used.complete(prompt, asked), _engine(folder).complete(prompt, asked)
            assert (again.alternatives, again.finish_reasons, again.healed_tokens) == (
                fresh.alternatives,
                fresh.finish_reasons,
                fresh.healed_tokens,
            )

"""Token healing: a prompt that ends mid-word, after a space or inside a multi-byte word is continued as
the writer meant, and only the text after theirs comes back (GPT-2's real tokenizer, tiny models)."""

from __future__ import annotations

import threading

import pytest
import torch

from gpt2_studio.core.generation.engine import FINISH_CANCELLED, FINISH_STOP, Engine
from gpt2_studio.core.generation.healing import TokenHealer
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.text_stream import token_byte_table
from tests.core.real_vocab import build_real_vocab_model

PARIS = 6342  # " Paris"
UR = 25151  # "ür": starts with the two bytes of "ü"
P = 350  # " P": covers only part of " Par"
GREEDY = SamplingSettings(temperature=0, max_new_tokens=3)
HEALED = GREEDY.replace(token_healing=True)


def _engine(tmp_path_factory, always: int | None) -> Engine:
    from gpt2_studio.core.models.loading import load_model

    folder = build_real_vocab_model(tmp_path_factory.mktemp("heal") / f"always-{always}", always=always)
    return Engine(load_model(folder, device="cpu", precision="fp32"))


@pytest.fixture(scope="module")
def paris(tmp_path_factory) -> Engine:
    """Greedy decoding always prefers " Paris"."""
    return _engine(tmp_path_factory, PARIS)


@pytest.fixture(scope="module")
def umlaut(tmp_path_factory) -> Engine:
    """Greedy decoding always prefers "ür"."""
    return _engine(tmp_path_factory, UR)


@pytest.fixture(scope="module")
def random_model(tmp_path_factory) -> Engine:
    """Random weights: the constrained choices are whatever the model likes best."""
    return _engine(tmp_path_factory, None)


# -- the three cases of the issue, with and without healing -----------------------------------------
@pytest.mark.parametrize(
    ("prompt", "unhealed", "healed"),
    [
        # A half-typed word: unhealed, the model starts a new word glued to it.
        ("The capital of France is Par", " Paris Paris Paris", "is Paris Paris Paris"),
        # A trailing space: unhealed, a second space.
        ("Paris is the capital of ", " Paris Paris Paris", "Paris Paris Paris Paris"),
    ],
)
def test_healing_continues_the_word_the_writer_was_typing(paris, prompt, unhealed, healed):
    assert paris.complete(prompt, GREEDY).text == unhealed
    completion = paris.complete(prompt, HEALED)
    assert completion.text == healed
    assert completion.healed_tokens == 1
    assert completion.prompt_tokens == len(paris.tokenize(prompt))


def test_healing_a_multi_byte_fragment_compares_bytes(umlaut):
    # "I love Zü" ends with the token "ü" (C3 BC); "ür" starts with those two bytes.
    assert umlaut.complete("I love Zü", GREEDY).text == "ürürür"
    assert umlaut.complete("I love Zü", HEALED).text == "rürürür"


def test_a_prompt_that_cannot_grow_is_not_healed(paris):
    # No token starts with " 🙂" and goes on: nothing is handed back, the output is the unhealed one.
    prompt = "Smile 🙂"
    completion = paris.complete(prompt, HEALED)
    assert completion.healed_tokens == 0
    assert completion.text == paris.complete(prompt, GREEDY).text


# -- the constraint is exact: the same choices as a brute-force reference over the whole vocabulary --
def _reference(engine: Engine, prompt: str, steps: int) -> str:
    """Greedy healing the slow way: transformers' logits, every token's bytes checked one by one."""
    from transformers import GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    with quiet_transformers():
        model = GPT2LMHeadModel.from_pretrained(str(engine.model.folder)).eval()
    table = token_byte_table(engine.model.tokenizer)
    ids = engine.tokenize(prompt)
    tail = b""
    removed = 0
    while removed < min(len(ids), 4):
        candidate = table[ids[-1 - removed]] + tail
        if not any(len(b) > len(candidate) and b.startswith(candidate) for b in table[:50256]):
            break
        tail, removed = candidate, removed + 1
    context = ids[: len(ids) - removed] or [50256]
    owed, out = tail, b""
    counted = 0
    while counted < steps + removed:  # a token after which bytes are still owed is not counted
        with torch.no_grad():
            logits = model(torch.tensor([context])).logits[0, -1].clone()
        if owed:
            for token, data in enumerate(table):
                consistent = token < 50256 and data and (data.startswith(owed) or owed.startswith(data))
                if not consistent:
                    logits[token] = float("-inf")
        token = int(logits.argmax())
        data = table[token]
        out += data[len(owed) :] if len(data) >= len(owed) else b""
        owed = b"" if len(data) >= len(owed) else owed[len(data) :]
        counted += not owed
        context.append(token)
    return out.decode("utf-8", errors="ignore")


@pytest.mark.parametrize(
    "prompt",
    [
        "The capital of France is Par",
        "Paris is the capital of ",
        "I love Zü",
        "x 日",
        "Hello.",
        "end\n",
        "a\u00a0",
    ],
)
def test_healing_matches_a_brute_force_reference(random_model, prompt):
    completion = random_model.complete(
        prompt, SamplingSettings(temperature=0, max_new_tokens=4, token_healing=True)
    )
    assert completion.text == _reference(random_model, prompt, 4)


def test_the_constraint_may_span_several_tokens(tmp_path_factory):
    # The model wants " P" (part of " Par"): healing takes it, then must finish "ar" with other tokens.
    engine = _engine(tmp_path_factory, P)
    prompt = "The capital of France is Par"
    completion = engine.complete(
        prompt, SamplingSettings(temperature=0, max_new_tokens=3, token_healing=True)
    )
    assert completion.text == _reference(engine, prompt, 3)
    assert completion.new_tokens >= 3  # " P", then at least one token for "ar", then its own


def test_the_healer_finds_tails_and_allows_only_consistent_tokens(paris):
    table = token_byte_table(paris.model.tokenizer)
    healer = TokenHealer(table, {50256}, 50257)
    ids = paris.tokenize("The capital of France is Par")
    assert healer.healed_tail(ids) == (1, b" Par")
    allowed = healer.allowed(b" Par")
    assert allowed[PARIS]
    assert allowed[P]
    assert allowed[paris.tokenize(" Par")[0]]
    assert not allowed[50256]
    assert not allowed[13]
    assert {table[i] for i in allowed.nonzero().flatten().tolist()} == {
        b for b in table[:50256] if b and (b.startswith(b" Par") or b" Par".startswith(b))
    }
    assert healer.owed_after(b" Par", P) == b"ar"
    assert healer.owed_after(b" Par", PARIS) == b""


# -- composing with the rest of the engine ----------------------------------------------------------
def test_healing_with_sampling_alternatives_and_repetition_penalty(paris):
    settings = SamplingSettings(
        temperature=0.7, top_k=40, top_p=0.9, repetition_penalty=1.3, num_alternatives=3,
        max_new_tokens=3, seed=5, token_healing=True,
    )  # fmt: skip
    completion = paris.complete("The capital of France is Par", settings)
    assert completion.alternatives == ("is Paris Paris Paris",) * 3


def test_streamed_pieces_are_the_final_text_and_never_repeat_the_prompt(umlaut):
    pieces: list[str] = []
    completion = umlaut.complete("I love Zü", HEALED, on_text=lambda d: pieces.append(d.text))
    assert "".join(pieces) == completion.text == "rürürür"
    assert "\ufffd" not in completion.text


def test_stop_strings_apply_to_the_text_after_the_prompt(paris):
    completion = paris.complete("The capital of France is Par", HEALED.replace(stop_strings=(" Paris",)))
    assert completion.text == "is"
    assert completion.finish_reasons == (FINISH_STOP,)
    # "Par" is in the healed bytes but not in the continuation: no stop at the start.
    assert paris.complete("The capital of France is Par", HEALED.replace(stop_strings=("Par",))).text == "is "


def test_the_healed_prefix_is_cached_like_any_other(paris):
    prompt = "The capital of France is Par"
    paris.complete("something else entirely", HEALED)
    first = paris.complete(prompt, HEALED)
    again = paris.complete(prompt, HEALED)
    assert again.text == first.text
    assert again.reused_tokens == first.prompt_tokens - first.healed_tokens


def test_typing_on_reuses_the_cache_and_heals_the_new_end(paris):
    paris.complete("The capital of France is", HEALED)
    typed = paris.complete("The capital of France is Par", HEALED)
    assert typed.text == "is Paris Paris Paris"
    assert typed.reused_tokens >= 4


def test_a_cancelled_healed_request_returns_nothing_of_the_prompt(paris):
    cancel = threading.Event()
    cancel.set()
    completion = paris.complete("The capital of France is Par", HEALED, cancel=cancel)
    assert completion.finish_reasons == (FINISH_CANCELLED,)
    assert completion.text == ""


def test_a_prompt_made_only_of_a_healable_token_starts_from_end_of_text(paris):
    completion = paris.complete(" ", HEALED)
    assert completion.text == "Paris Paris Paris Paris"


def test_healing_is_off_by_default_so_generate_matches_transformers(paris):
    assert SamplingSettings().token_healing is False
    assert paris.complete("Paris is the capital of ", GREEDY).healed_tokens == 0

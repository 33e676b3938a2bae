"""The model's alternatives for a word: whole words from tokens, their probabilities, the writer's spacing."""

from __future__ import annotations

import threading

import pytest

from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.word_alternatives import GROUP_ROWS, split_word, word_alternatives
from tests.core.real_vocab import build_real_vocab_model, build_scripted_model

BEFORE = "The capital of France is"  # <|endoftext|> and 5 tokens: the next token lands at position 6
CAT, S, FULL_STOP, IS = 3797, 82, 13, 318  # " cat", "s", ".", " is"


def _engine(folder) -> Engine:
    from gpt2_studio.core.models.loading import load_model

    return Engine(load_model(folder, device="cpu", precision="fp32"))


@pytest.fixture(scope="module")
def scripted(tmp_path_factory) -> Engine:
    """After BEFORE the model writes " cat", "s", "." whatever came first; elsewhere " is"."""
    script = {5: CAT, 6: S, 7: FULL_STOP}
    return _engine(build_scripted_model(tmp_path_factory.mktemp("words") / "m", script, IS))


@pytest.fixture(scope="module")
def always_cat(tmp_path_factory) -> Engine:
    """After any text the model writes " cat" by a wide margin."""
    return _engine(build_real_vocab_model(tmp_path_factory.mktemp("cat") / "m", always=CAT))


def _reference_logprobs(engine: Engine, ids: list[int]) -> list[float]:
    """transformers' own log-probabilities of the token after ids."""
    import torch
    from transformers import GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    with quiet_transformers():
        model = GPT2LMHeadModel.from_pretrained(str(engine.model.folder)).eval()
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0, -1].log_softmax(-1).tolist()


def test_a_word_of_several_tokens_is_built_greedily_and_its_probability_is_the_product(scripted):
    answer = word_alternatives(scripted, BEFORE, " Paris")
    assert not answer.cancelled
    best = answer.alternatives[0]
    assert (best.text, best.tokens) == (" cats", 2)  # " cat" "s", and "." ends the word
    ids = [scripted.model.eos_token_id, *scripted.tokenize(BEFORE)]
    expected = _reference_logprobs(scripted, ids)[CAT] + _reference_logprobs(scripted, [*ids, CAT])[S]
    assert best.logprob == pytest.approx(expected, abs=1e-4)
    # Every other candidate word is followed by the script's "s" too: the model's words, each whole.
    assert len(answer.alternatives) == 10
    for alternative in answer.alternatives:
        assert alternative.text.startswith(" ")
        assert alternative.text.endswith("s")
        assert alternative.text[1].isalnum()
    probabilities = [a.probability for a in answer.alternatives]
    assert probabilities == sorted(probabilities, reverse=True)
    assert len({a.text for a in answer.alternatives}) == len(answer.alternatives)


def test_the_word_itself_is_left_out(scripted):
    texts = [a.text for a in word_alternatives(scripted, BEFORE, " cats").alternatives]
    assert " cats" not in texts
    assert len(texts) == 10


def test_a_word_given_without_its_space_gets_alternatives_without_one(scripted):
    answer = word_alternatives(scripted, BEFORE + " ", "Paris")
    assert answer.alternatives[0].text == "cats"
    assert all(not a.text.startswith(" ") for a in answer.alternatives)
    with_space = word_alternatives(scripted, BEFORE, " Paris")
    assert [a.text for a in answer.alternatives] == [a.text[1:] for a in with_space.alternatives]
    assert [a.logprob for a in answer.alternatives] == [a.logprob for a in with_space.alternatives]


def test_a_one_token_word_has_the_probability_the_lens_shows(always_cat):
    text = "The capital of France is Paris"
    before, word = "The capital of France is", " Paris"
    answer = word_alternatives(always_cat, before, word)
    assert answer.alternatives[0].text == " cat"
    lens_top = {t.text: t.logprob for t in always_cat.score(text, top=100).tokens[5].top}
    assert always_cat.score(text).tokens[5].text == " Paris"
    for alternative in answer.alternatives:
        assert alternative.tokens == 1  # the next token is " cat": a new word, so each ends at once
        assert alternative.logprob == pytest.approx(lens_top[alternative.text], abs=1e-5)


def test_a_word_at_the_start_of_a_line_or_the_text_has_no_space(always_cat):
    for before in ("First line\n", ""):
        answer = word_alternatives(always_cat, before, "Paris")
        assert answer.alternatives
        for alternative in answer.alternatives:
            assert alternative.text[0].isalnum(), alternative.text


def test_a_text_longer_than_the_window_keeps_its_end(always_cat):
    before = "word " * 400 + "and"
    answer = word_alternatives(always_cat, before, " Paris")
    assert answer.alternatives[0].text == " cat"


def test_cancelled_before_it_starts_says_so(scripted):
    cancel = threading.Event()
    cancel.set()
    answer = word_alternatives(scripted, BEFORE, " Paris", cancel=cancel)
    assert answer.cancelled
    assert answer.alternatives == ()


def test_split_word_moves_one_space_only():
    assert split_word("a b ", "c") == ("a b", " ", "c")
    assert split_word("a b  ", "c") == ("a b ", " ", "c")
    assert split_word("a b", " c") == ("a b", " ", "c")
    assert split_word("a\n", "c") == ("a\n", "", "c")


@pytest.fixture(scope="module")
def random_words(tmp_path_factory) -> Engine:
    """A random GPT-2 with the real vocabulary: words of many tokens, often cut at MAX_WORD_TOKENS."""
    return _engine(build_real_vocab_model(tmp_path_factory.mktemp("random-words") / "m"))


@pytest.mark.parametrize(
    ("before", "word"),
    [
        (BEFORE, " Paris"),
        ("Привет, мир! The café", " has"),
        ("First line\n", "Paris"),
        ("word " * 400 + "and", " Paris"),  # longer than the window: its end is read
    ],
)
def test_candidates_extended_together_give_the_words_of_one_at_a_time(random_words, scripted, before, word):
    for engine in (random_words, scripted):
        together = word_alternatives(engine, before, word, count=5)
        alone = word_alternatives(engine, before, word, count=5, one_at_a_time=True)
        assert [(a.text, a.tokens) for a in together.alternatives] == [
            (a.text, a.tokens) for a in alone.alternatives
        ]
        assert [a.logprob for a in together.alternatives] == pytest.approx(
            [a.logprob for a in alone.alternatives], abs=1e-5
        )
        assert together.alternatives


def test_extending_together_takes_fewer_forward_calls(random_words, monkeypatch):
    """The point of it: one call per step for GROUP_ROWS candidates, not one per candidate and step."""
    runner = random_words._runner
    calls: list[int] = []
    forward = runner.forward

    def counting(ids, *args, **kwargs):
        calls.append(ids.shape[0])
        return forward(ids, *args, **kwargs)

    monkeypatch.setattr(runner, "forward", counting)
    word_alternatives(random_words, "Once upon a time there was a", " cat", count=5, one_at_a_time=True)
    alone = len(calls)
    calls.clear()
    word_alternatives(random_words, "Once upon a time there was a", " cat", count=5)
    assert len(calls) * 2 < alone
    assert GROUP_ROWS in calls

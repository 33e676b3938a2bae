"""Scoring a text (the likelihood lens): log-probabilities, ranks and top tokens equal transformers' own,
long texts follow the stride method, and incremental re-scoring equals scoring from scratch."""

from __future__ import annotations

import math
import threading

import pytest
import torch

from gpt2_studio.core.generation.engine import Engine
from tests.core.real_vocab import build_real_vocab_model

TEXT = "Привет, мир! The café 🦜 has 日本 tea.\r\nA second line\twith a tab.\n\n<|endoftext|> stays text."
EOS = 50256


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A random 2-layer GPT-2 (window 128) with GPT-2's real tokenizer."""
    return build_real_vocab_model(tmp_path_factory.mktemp("score") / "real-vocab")


def _engine(folder, precision: str = "fp32") -> Engine:
    from gpt2_studio.core.models.loading import load_model

    return Engine(load_model(folder, device="cpu", precision=precision))


@pytest.fixture(scope="module")
def engine(folder) -> Engine:
    return _engine(folder)


@pytest.fixture(scope="module")
def reference(folder):
    """transformers' own GPT2LMHeadModel of the same folder."""
    from transformers import GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers

    with quiet_transformers():
        return GPT2LMHeadModel.from_pretrained(str(folder)).eval()


def _reference_logprobs(model, seq: list[int]) -> torch.Tensor:
    """log_softmax of transformers' logits [len(seq) - 1, vocab], row i predicting seq[i + 1]."""
    with torch.no_grad():
        return model(torch.tensor([seq])).logits[0, :-1].log_softmax(dim=-1)


def test_logprobs_ranks_and_top_tokens_equal_transformers(engine, reference):
    scores = engine.score(TEXT, top=5)
    seq = [EOS, *engine.tokenize(TEXT)]
    assert len(seq) <= 128
    expected = _reference_logprobs(reference, seq)
    assert len(scores.tokens) == len(seq) - 1
    for i, token in enumerate(scores.tokens):
        row = expected[i]
        assert token.logprob == pytest.approx(float(row[seq[i + 1]]), abs=1e-4)
        # Ranks agree up to ties within float noise (a random model's logits lie close together).
        target = row[seq[i + 1]]
        assert int((row > target + 1e-4).sum()) + 1 <= token.rank <= int((row > target - 1e-4).sum()) + 1
        assert [t.logprob for t in token.top] == pytest.approx(row.topk(5).values.tolist(), abs=1e-4)
    mean = sum(float(expected[i][seq[i + 1]]) for i in range(len(seq) - 1)) / (len(seq) - 1)
    assert scores.perplexity == pytest.approx(math.exp(-mean), rel=1e-4)
    assert scores.windows == 1


def test_offsets_and_texts_map_back_to_the_input(engine):
    scores = engine.score(TEXT, top=0)
    assert "".join(t.text for t in scores.tokens) == TEXT
    for token in scores.tokens:
        assert TEXT[token.offset : token.offset + len(token.text)] == token.text
    emoji = TEXT.index("🦜")  # " 🦜" is three tokens: " \xf0\x9f", "\xa6", "\x9c"
    owners = [t for t in scores.tokens if t.offset <= emoji < t.offset + len(t.text)]
    assert len(owners) == 1  # the token that starts the emoji carries it; byte tokens after it are ""
    assert any(t.text == "" and t.offset == emoji + 1 for t in scores.tokens)
    assert "\r\n" in "".join(t.text for t in scores.tokens)
    assert all(t.top == () for t in scores.tokens)


def test_top_tokens_are_readable_even_when_they_are_byte_pieces(engine):
    scores = engine.score("x", top=100)
    names = [t.text for t in scores.tokens[0].top]
    assert "\ufffd" not in "".join(names)
    assert scores.tokens[0].rank >= 1
    assert scores.tokens[0].probability <= 1.0
    assert scores.tokens[0].surprisal_bits == pytest.approx(-scores.tokens[0].logprob / math.log(2))


def _stride_perplexity(model, seq: list[int], window: int, stride: int) -> float:
    """The stride method of transformers' perplexity guide, on seq (which starts with <|endoftext|>)."""
    nlls, counted, previous_end = [], 0, 0
    for begin in range(0, len(seq), stride):
        end = min(begin + window, len(seq))
        target_length = end - previous_end
        ids = torch.tensor([seq[begin:end]])
        labels = ids.clone()
        labels[:, :-target_length] = -100
        with torch.no_grad():
            loss = model(ids, labels=labels).loss
        scored = int((labels[:, 1:] != -100).sum())
        nlls.append(loss * scored)
        counted += scored
        previous_end = end
        if end == len(seq):
            break
    return math.exp(float(torch.stack(nlls).sum()) / counted)


@pytest.mark.parametrize("stride", [None, 32, 100])
def test_a_text_longer_than_the_window_follows_the_stride_method(engine, reference, stride):
    text = " ".join(f"Line {i} of a long and rambling document about lighthouses." for i in range(40))
    seq = [EOS, *engine.tokenize(text)]
    assert len(seq) > 3 * 128
    scores = engine.score(text, top=0, stride=stride)
    assert len(scores.tokens) == len(seq) - 1
    expected = _stride_perplexity(reference, seq, 128, stride or 64)
    assert scores.perplexity == pytest.approx(expected, rel=1e-4)
    assert scores.windows > 1


def _same(a, b) -> None:
    assert [(t.text, t.offset, t.logprob, t.rank, t.top) for t in a.tokens] == [
        (t.text, t.offset, t.logprob, t.rank, t.top) for t in b.tokens
    ]
    assert a.perplexity == b.perplexity or (math.isnan(a.perplexity) and math.isnan(b.perplexity))


LONG = " ".join(f"Sentence {i}: the keeper climbed the stairs." for i in range(30))
MEDIUM = LONG[:400]  # one window, more than one block


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (TEXT, TEXT + "!"),  # typing at the end
        (TEXT, TEXT[:-3]),  # deleting at the end
        (TEXT, TEXT[:10] + "X" + TEXT[10:]),  # an edit near the start
        (MEDIUM, MEDIUM[:30] + "edit" + MEDIUM[30:]),  # an edit in an early block of the cached window
        (MEDIUM, MEDIUM[:-5] + "X" + MEDIUM[-5:]),  # an edit in its last block
        (LONG, LONG + " More"),  # typing at the end of a text of several windows
        (LONG, LONG[:200] + "edit" + LONG[200:]),  # an edit in an early window
        (LONG, LONG[:-400]),  # a long text cut short
        ("", TEXT),
        (TEXT, ""),
    ],
)
def test_incremental_rescoring_equals_scoring_from_scratch(folder, engine, before, after):
    engine.score(before, top=3)
    again = engine.score(after, top=3)
    _same(again, _engine(folder).score(after, top=3))


def test_typing_at_the_end_rescores_only_the_end(engine):
    engine.score(LONG, top=3)
    typed = engine.score(LONG + " More", top=3)
    assert typed.rescored_tokens <= 2
    assert len(typed.tokens) > 300


def test_changing_top_or_stride_scores_afresh(folder, engine):
    engine.score(LONG, top=3)
    _same(engine.score(LONG, top=5), _engine(folder).score(LONG, top=5))
    _same(engine.score(LONG, top=5, stride=40), _engine(folder).score(LONG, top=5, stride=40))


def test_a_cancelled_scoring_returns_what_was_done_and_resumes_exactly(folder, engine):
    engine.score("", top=2)
    cancel = threading.Event()
    progress: list[tuple[int, int]] = []

    def stop_after_first_window(done: int, total: int) -> None:
        progress.append((done, total))
        cancel.set()

    partial = engine.score(LONG, top=2, cancel=cancel, on_progress=stop_after_first_window)
    assert partial.cancelled
    assert 0 < len(partial.tokens) < len(engine.tokenize(LONG))
    assert progress
    assert progress[0][1] == len(engine.tokenize(LONG))
    _same(engine.score(LONG, top=2), _engine(folder).score(LONG, top=2))


def test_an_empty_text_has_no_tokens(engine):
    scores = engine.score("")
    assert scores.tokens == ()
    assert math.isnan(scores.perplexity)
    assert scores.windows == 0


def test_bad_top_and_stride_are_one_sentence(engine):
    with pytest.raises(ValueError, match="top must be between 0 and 100"):
        engine.score("x", top=101)
    with pytest.raises(ValueError, match="stride must be between 1 and the model's window of 128"):
        engine.score("x", stride=0)


def test_int8_and_bf16_score_close_to_fp32(folder, engine):
    exact = engine.score(TEXT, top=0)
    for precision in ("int8", "bf16"):
        rough = _engine(folder, precision).score(TEXT, top=0)
        assert rough.perplexity == pytest.approx(exact.perplexity, rel=0.05)


def test_generation_still_works_between_scorings(engine):
    from gpt2_studio.core.generation.sampling import SamplingSettings

    engine.score(LONG, top=1)
    first = engine.complete("Once upon a time", SamplingSettings(seed=1, max_new_tokens=5))
    engine.score(LONG + " x", top=1)
    assert engine.complete("Once upon a time", SamplingSettings(seed=1, max_new_tokens=5)).text == first.text


def test_progress_comes_after_each_block_even_within_one_window(engine):
    engine.score("", top=0)
    progress: list[tuple[int, int]] = []
    scores = engine.score(MEDIUM, top=0, on_progress=lambda done, total: progress.append((done, total)))
    assert scores.windows == 1
    total = len(engine.tokenize(MEDIUM))
    assert len(progress) >= 2
    assert progress[-1] == (total, total)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)


def test_a_rescore_keeps_the_unchanged_tokens_own_values(folder, engine):
    """Typing at the end builds values only for the new tokens (a GUI holding the old ones sees `is`)."""
    before = engine.score(TEXT + " and", top=3)
    after = engine.score(TEXT + " and more", top=3)
    unchanged = len(before.tokens) - 1  # the last token may merge with what was typed
    assert all(a is b for a, b in zip(before.tokens[:unchanged], after.tokens, strict=False))
    # Moved text: the same numbers at new offsets make new values, equal to a fresh engine's.
    moved = engine.score("\n" + TEXT + " and more", top=3)
    assert not any(a is b for a, b in zip(after.tokens, moved.tokens[1:], strict=False))
    _same(moved, _engine(folder).score("\n" + TEXT + " and more", top=3))


def test_the_scores_values_leave_the_garbage_collectors_books(engine):
    """Hundreds of thousands of tracked values would make full collections hold the GUI for long."""
    import gc

    scores = engine.score(LONG, top=10)
    gc.collect()
    tracked = [t for t in scores.tokens if gc.is_tracked(t)]
    assert len(tracked) == len(scores.tokens)  # the TokenScores themselves, one each…
    assert not gc.is_tracked(scores.tokens[5]._top_texts)  # …and nothing of their top tokens
    assert not gc.is_tracked(scores.tokens[5]._top_logprobs)
    assert len(scores.tokens[5].top) == 10


def test_a_token_score_is_an_immutable_value(engine):
    import copy
    import pickle

    token = engine.score(TEXT, top=3).tokens[2]
    with pytest.raises(AttributeError):
        token.rank = 1
    assert pickle.loads(pickle.dumps(token)) == token == copy.deepcopy(token)
    assert hash(token) == hash(pickle.loads(pickle.dumps(token)))
    rebuilt = type(token)(token.text, token.offset, token.logprob, token.rank, token.top)
    assert rebuilt == token
    assert rebuilt.top_logprobs == tuple(t.logprob for t in token.top)
    assert f"rank={token.rank}" in repr(token)

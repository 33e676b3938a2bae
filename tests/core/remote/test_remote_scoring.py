"""The lens on a server, the parts that need no server: the window answers it keeps."""

from __future__ import annotations

from gpt2_studio.core.remote.scoring import WindowAnswers


def test_window_answers_are_kept_up_to_a_number_of_tokens_least_recently_used_first() -> None:
    answers = WindowAnswers(tokens=10)
    answers.put(("m", "a", 1), [0] * 4)
    answers.put(("m", "b", 1), [0] * 4)
    assert answers.get(("m", "a", 1)) == [0] * 4  # now the most recent
    answers.put(("m", "c", 1), [0] * 4)  # 12 tokens: b, the least recently used, goes
    assert answers.get(("m", "b", 1)) is None
    assert answers.get(("m", "a", 1)) is not None
    assert answers.get(("m", "c", 1)) is not None
    answers.put(("m", "d", 1), [0] * 20)  # larger than the limit alone: kept, the others go
    assert [answers.get(("m", k, 1)) is not None for k in "acd"] == [False, False, True]

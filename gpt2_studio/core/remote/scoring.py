"""The likelihood lens on a completions server: prompt log-probabilities through `echo` + `logprobs`.

A server that honours `echo` (llama-cpp-python, vLLM) returns, for a completion request, every prompt
token with its log-probability and its `logprobs` likeliest alternatives. The text is read as the local
lens reads it (core/generation/scoring.py): after `<|endoftext|>`, in overlapping windows for a text
longer than the window. The server tokenizes the text itself, so its tokens are checked against the
local GPT-2 tokenizer's; where they disagree (the server runs another model), the lens is unavailable
rather than wrong.

What a server cannot give: the first token's log-probability (llama-cpp-python leaves it empty, as the
API does for the first prompt token), so the first token of the text is not scored; and ranks past the
`top` alternatives the server lists, which are given as top + 1 (at least that).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from gpt2_studio.core.generation.score_values import Scores, TokenScore
from gpt2_studio.core.generation.scoring import DEFAULT_TOP, MAX_TOP, window_of
from gpt2_studio.core.remote.errors import RemoteError, UnavailableError

if TYPE_CHECKING:
    from gpt2_studio.core.remote.client import CompletionsClient

EOS_TEXT = "<|endoftext|>"
_CHAR_SLACK = 3  # a character is at most 4 bytes: a window grows by at most 3 tokens at either end

# A scored token's numbers: log-probability, rank, the top tokens' texts and log-probabilities.
_Numbers = tuple[float, int, tuple[str, ...], tuple[float, ...]]


class _Tokens:
    """The local tokenizer's view of a text: each token's byte and character offsets."""

    def __init__(self, text: str, ids: list[int], token_bytes: Sequence[bytes]) -> None:
        self.text = text
        self.ids = ids
        self.pieces = [token_bytes[i] for i in ids]
        # For each byte of the text (and one past the end): the character it is in, and whether it
        # starts that character.
        char_of_byte: list[int] = []
        starts_char: list[bool] = []
        for index, char in enumerate(text):
            width = len(char.encode("utf-8", "surrogatepass"))
            char_of_byte += [index] * width
            starts_char += [True] + [False] * (width - 1)
        char_of_byte.append(len(text))
        starts_char.append(True)
        self.starts: list[int] = []  # each token's first character, -1 when it starts inside one
        self.after: list[int] = []  # where a token inside a character is shown: the next character
        byte = 0
        for piece in self.pieces:
            inside = not starts_char[byte]
            self.starts.append(-1 if inside else char_of_byte[byte])
            self.after.append(char_of_byte[byte] + 1 if inside else char_of_byte[byte])
            byte += len(piece)

    def char_start(self, token: int) -> int:
        """Where token (an index; len(ids) for the end) starts in the text; it must start a character."""
        return len(self.text) if token >= len(self.ids) else self.starts[token]

    def whole(self, token: int) -> bool:
        """Whether token starts a character (a window may start there)."""
        return token >= len(self.ids) or self.starts[token] >= 0


def score_on_server(
    client: CompletionsClient,
    model: str,
    window: int,
    text: str,
    ids: list[int],
    token_bytes: Sequence[bytes],
    *,
    top: int = DEFAULT_TOP,
    stride: int | None = None,
    cancel: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    answers: WindowAnswers | None = None,
) -> Scores:
    """Score text (whose local GPT-2 token ids are ids) with the server's prompt log-probabilities.

    window: the server model's window in tokens; stride: tokens between window starts (default half the
    window). answers: the windows the server answered before (a scoring cancelled by a suggestion and
    run again asks only for the rest), kept there for the next time. Raises ValueError for top/stride
    out of range, UnavailableError when the server's tokens are not the local tokenizer's or it returns
    no prompt log-probabilities, RemoteError when a request fails.
    """
    # Tokens per window as the local lens counts them (<|endoftext|> included), with room left for the
    # one new token each request must ask for and for the few tokens a window grows by at either end
    # so that it starts and ends on whole characters.
    span = window - 1 - 2 * _CHAR_SLACK
    stride = span // 2 if stride is None else stride
    if span < 2 or not 1 <= stride < span:
        raise ValueError(f"stride must be between 1 and {span - 1} tokens for this server, not {stride}")
    if not 0 <= top <= MAX_TOP:
        raise ValueError(f"top must be between 0 and {MAX_TOP}, not {top}")
    local = _Tokens(text, ids, token_bytes)
    count = len(ids)
    numbers: dict[int, _Numbers] = {}  # by token index (sequence position − 1)
    windows = window_of(count, span, stride) + 1 if ids else 0
    cancelled = False
    for k in range(windows):
        if cancel is not None and cancel.is_set():
            cancelled = True
            break
        # Window k holds sequence positions k·stride … k·stride + span − 1, the tokens [first, end);
        # it scores the positions whose window it is (never its first token, which the server leaves
        # empty: for window 0 that is the text's first token, for the others context).
        first, end = max(0, k * stride - 1), min(count, k * stride + span - 1)
        targets = [t for t in range(first + 1, end) if window_of(t + 1, span, stride) == k]
        while first > 0 and not local.whole(first):
            first -= 1
        while not local.whole(end):
            end += 1
        piece = text[local.char_start(first) : local.char_start(end)]
        prompt = (EOS_TEXT if first == 0 else "") + piece
        key = (model, prompt, max(top, 1))
        got = answers.get(key) if answers is not None else None
        if got is None:
            got = _prompt_logprobs(client, model, prompt, piece, top, cancel)
            if got is None:  # cancelled while the server worked on the window: its request was dropped
                cancelled = True
                break
            if answers is not None:
                answers.put(key, got)
        _check_tokens(got, local, first, end, client.url)
        for t in targets:
            scored = got[t - first][2]
            if scored is None:
                raise UnavailableError(
                    f"The likelihood lens is unavailable for the server at {client.url}: it left some "
                    "tokens' log-probabilities out."
                )
            numbers[t] = scored
        if on_progress is not None:
            on_progress(len(numbers), max(0, count - 1))
    out: list[TokenScore] = []
    ends = [len(text)] * count  # each token's characters end where the next whole one starts
    for t in range(count - 2, -1, -1):
        ends[t] = local.starts[t + 1] if local.starts[t + 1] >= 0 else ends[t + 1]
    for t in range(1, count):
        if t not in numbers:
            break
        logprob, rank, top_texts, top_logprobs = numbers[t]
        start = local.starts[t]
        # A token inside a character: no characters, at the next one (as the local lens has it).
        piece, offset = (text[start : ends[t]], start) if start >= 0 else ("", local.after[t])
        out.append(TokenScore._of(piece, offset, logprob, rank, top_texts, top_logprobs))
    perplexity = math.exp(-sum(t.logprob for t in out) / len(out)) if out else math.nan
    return Scores(tuple(out), perplexity, windows, len(out), cancelled)


class WindowAnswers:
    """The server's answers for the windows scored lately (by model, prompt text and top), so that a
    scoring stopped by a suggestion and run again does not ask for them again; and an edit leaves the
    windows before it as they were. At most `tokens` tokens are kept (about 1.5 KB each with 10 top
    choices), the least recently used forgotten first. Not thread-safe: the engine scores one text at a
    time."""

    def __init__(self, tokens: int = 32_768) -> None:
        self._limit = tokens
        self._kept = 0
        self._answers: OrderedDict[tuple[str, str, int], list[Any]] = OrderedDict()

    def get(self, key: tuple[str, str, int]) -> list[Any] | None:
        """The answer kept for key (now the most recent), or None."""
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
        return found

    def put(self, key: tuple[str, str, int], answer: list[Any]) -> None:
        """Keep answer, forgetting the least recently used ones beyond the limit."""
        if key in self._answers:
            self._kept -= len(self._answers.pop(key))
        self._answers[key] = answer
        self._kept += len(answer)
        while self._kept > self._limit and len(self._answers) > 1:
            self._kept -= len(self._answers.popitem(last=False)[1])


def _prompt_logprobs(
    client: CompletionsClient, model: str, prompt: str, text: str, top: int, cancel: threading.Event | None
) -> list[Any] | None:
    """The server's tokens of text: (token text, offset in text, numbers or None) each; the first has
    None (the server leaves its log-probability empty), as has any other it leaves empty. None when
    cancelled: closing the request's connection (RemoteEngine.cancel) ends the wait for the window at
    once, so a suggestion never waits behind it here (a server that works on one request at a time,
    as llama-cpp-python does, still finishes the window before it starts the suggestion)."""
    payload = {
        "model": model,
        "prompt": prompt,
        "echo": True,
        "logprobs": max(top, 1),
        "max_tokens": 1,
        "temperature": 0.0,
    }
    body = client.complete(payload, cancel=cancel)
    if body is None:
        return None
    choice = body["choices"][0] if body["choices"] else {}
    lp = choice.get("logprobs") if isinstance(choice, dict) else None
    if not isinstance(lp, dict) or not isinstance(lp.get("tokens"), list):
        raise UnavailableError(
            f"The likelihood lens is unavailable for the server at {client.url}: it returned no "
            "log-probabilities for the prompt (echo with logprobs)."
        )
    tokens, offsets = lp["tokens"], lp.get("text_offset") or []
    logprobs, tops = lp.get("token_logprobs") or [], lp.get("top_logprobs") or []
    if not len(tokens) == len(offsets) == len(logprobs) == len(tops):
        raise RemoteError(
            f"The server at {client.url} returned log-probabilities that do not line up.", kind="server"
        )
    out: list[Any] = []
    for token, offset, logprob, choices in zip(tokens, offsets, logprobs, tops, strict=True):
        if not isinstance(offset, int) or offset >= len(text):
            break  # the new token the request had to ask for
        if logprob is None:
            out.append((str(token), offset, None))
            continue
        ranked = sorted((choices or {}).items(), key=lambda item: -float(item[1]))
        listed = ranked[:top]
        rank = next((i + 1 for i, (name, _) in enumerate(listed) if name == token), len(listed) + 1)
        numbers = (
            float(logprob),
            rank,
            tuple(str(name) for name, _ in listed),
            tuple(float(value) for _, value in listed),
        )
        out.append((str(token), offset, numbers))
    return out


def _check_tokens(got: list[Any], local: _Tokens, first: int, last: int, url: str) -> None:
    """UnavailableError unless the server split the window's text as the local GPT-2 tokenizer does."""
    base = local.char_start(first)
    same = len(got) == last - first
    for index, (token, offset, _numbers) in enumerate(got if same else ()):
        start = local.starts[first + index]
        if start < 0:
            continue  # a token inside a character: servers differ in the offset they give it
        piece = local.pieces[first + index]
        try:
            expected = piece.decode("utf-8")
        except UnicodeDecodeError:
            expected = None
        if offset != start - base or (expected is not None and token != expected):
            same = False
            break
    if not same:
        raise UnavailableError(
            f"The likelihood lens is unavailable for the server at {url}: its model splits the text "
            "into other tokens than GPT-2 does, so its log-probabilities cannot be shown on GPT-2's "
            "tokens."
        )

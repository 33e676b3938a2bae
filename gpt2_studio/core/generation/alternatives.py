"""One alternative's text while the engine generates it: healed bytes, stops, natural ends, safe pieces.

The engine picks tokens for all alternatives at once (one batched step); each Alternative turns its
tokens into text, decides when it has ended, and says how much of its text is safe to show: whole
characters, never the start of a stop string, never whitespace that a natural end may still cut off.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from gpt2_studio.core.generation.endings import find_end, held_back
from gpt2_studio.core.generation.healing import TokenHealer
from gpt2_studio.core.generation.text_stream import TokenTextStream

FINISH_EOS = "eos"
FINISH_STOP = "stop"
FINISH_LENGTH = "length"
FINISH_CANCELLED = "cancelled"


def stop_string_prefix(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters might be the start of a stop string."""
    best = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), best, -1):
            if text.endswith(stop[:k]):
                best = k
                break
    return best


def shown_end(text: str, stops: tuple[str, ...], stop_at: str, running: bool) -> int:
    """How much of an alternative's text may be shown: all of it once it ended; while it runs, not a
    possible start of a stop string nor whitespace a natural end may still cut (endings.held_back)."""
    if not running:
        return len(text)
    held = stop_string_prefix(text, stops) if stops else 0
    return len(text) - max(held, held_back(text, stop_at))


class Alternative:
    """The text of one continuation, grown a token at a time.

    owed: the prompt bytes token healing handed back, which this alternative writes again before its
    own text begins (they are never part of `text`). reason: None while it runs, then a FINISH_* value.
    before: the end of the writer's text, which an end may depend on ("Mr" then "."; see find_end).
    max_tokens: the tokens it may generate (it then ends with FINISH_LENGTH); a token after which
    prompt bytes are still owed is not counted, so a constraint that spans several tokens (" P" "ar"
    for " Par") never eats the continuation's own length.
    """

    def __init__(
        self,
        token_bytes: Sequence[bytes],
        owed: bytes,
        stops: tuple[str, ...],
        stop_at: str,
        max_tokens: int,
        before: str = "",
    ) -> None:
        self._stream = TokenTextStream(token_bytes)
        self._token_bytes = token_bytes
        self._stops = stops
        self._stop_at = stop_at
        self._max_tokens = max_tokens
        self._before = before
        self.owed = owed
        self.text = ""
        self.reason: str | None = None
        self.tokens = 0
        self._counted = 0
        self._emitted = 0
        self.last_piece: str | None = None  # what the last token added; None: it only rewrote owed bytes

    def add(self, token: int, healer: TokenHealer | None) -> None:
        """Append a generated token (not <|endoftext|>); may end it (stop string, end, its length)."""
        self.tokens += 1
        skip = len(self.owed)
        if healer is not None and self.owed:
            self.owed = healer.owed_after(self.owed, token)
        piece = self._stream.push(token, skip=skip)
        self.last_piece = piece if len(self._token_bytes[token]) > skip else None
        self.text += piece
        self._cut_at_stop_string()
        cut = find_end(self.text, self._stop_at, self._before)
        if cut is not None:
            self.text = self.text[:cut]
            self.reason = FINISH_STOP
        if not self.owed:
            self._counted += 1
        if self.reason is None and self._counted >= self._max_tokens:
            self.finish(FINISH_LENGTH)

    def finish(self, reason: str) -> None:
        """End the alternative if it still runs; a character the last token left unfinished is dropped."""
        if self.reason in (None, FINISH_EOS, FINISH_CANCELLED):
            self.text += self._stream.finish()
        self.reason = self.reason or reason

    def take_piece(self) -> str:
        """The text not shown yet that is safe to show now (everything, once the alternative ended)."""
        safe = shown_end(self.text, self._stops, self._stop_at, self.reason is None)
        piece = self.text[self._emitted : safe]
        self._emitted = max(self._emitted, safe)
        return piece

    def _cut_at_stop_string(self) -> None:
        if not self._stops:
            return
        longest = max(len(stop) for stop in self._stops)
        search_from = max(0, self._emitted - longest)
        hits = [i for i in (self.text.find(stop, search_from) for stop in self._stops) if i >= 0]
        if hits:
            self.text = self.text[: min(hits)]
            self.reason = FINISH_STOP


def mask_to_owed_bytes(
    healer: TokenHealer,
    alternatives: Sequence[Alternative],
    logits: torch.Tensor,
    masks: dict[bytes, torch.Tensor],
) -> torch.Tensor:
    """Logits [rows, vocab] with every token that would not write a row's owed prompt bytes masked out.

    masks caches each owed byte string's mask for the request (the rows usually owe the same bytes).
    """
    allowed = torch.ones(logits.shape, dtype=torch.bool, device=logits.device)
    for index, alternative in enumerate(alternatives):
        if alternative.owed and alternative.reason is None:
            mask = masks.get(alternative.owed)
            if mask is None:
                mask = masks[alternative.owed] = healer.allowed(alternative.owed, logits.device)
            allowed[index, : mask.shape[0]] = mask
    return logits.masked_fill(~allowed, float("-inf"))

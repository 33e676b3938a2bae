"""Token healing: hand the prompt's last, possibly partial, token(s) back to the model, exactly.

A writer stops mid-word ("…is Par") or after a space. GPT-2's tokenizer then ends the prompt with a
fragment (" Par", " ") that it rarely saw in training before the word it belongs to, and the model
continues badly ("Par Paris", a double space). Healing removes the prompt's last tokens whose bytes are
the start of some longer token, then constrains generation so that the bytes generated first are exactly
the removed bytes, and only what follows them is the continuation.

The constraint compares raw bytes through the tokenizer's byte table, so multi-byte characters and
byte-level tokens are healed like words, and it may span several tokens (" P" then "ar") when the model
prefers that. It is exact, not a bias: at each constrained step every token that stays consistent with
the removed bytes keeps its logit and every other one is masked, so sampling draws from the model's own
distribution over consistent continuations. (guidance introduced healing; transformers' version is a
+10 logit bias on extensions of the last token; see also arXiv 2403.08688 on subword completion.)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch only where a mask is built: a server's healing (core/remote) needs ids only
    import torch

#: At most this many prompt tokens are handed back (a run of punctuation or a split character).
MAX_HEALED_TOKENS = 4


def _upper_bound(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with prefix (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


class TokenHealer:
    """Finds a prompt's healable tail and the tokens allowed while the model writes it back.

    token_bytes: the raw bytes of every token id (text_stream.token_byte_table). excluded: ids never
    allowed while healing (special tokens such as <|endoftext|>, whose table entry is their name).
    vocab: the width of the logits (may exceed len(token_bytes) for padded vocabularies).
    """

    def __init__(self, token_bytes: Sequence[bytes], excluded: Iterable[int], vocab: int) -> None:
        skip = set(excluded)
        pairs = sorted((b, i) for i, b in enumerate(token_bytes) if b and i not in skip)
        self._keys = [b for b, _ in pairs]
        self._ids = [i for _, i in pairs]
        self._by_bytes: dict[bytes, list[int]] = {}
        for b, i in pairs:
            self._by_bytes.setdefault(b, []).append(i)
        self._token_bytes = token_bytes
        self._skip = skip
        self.vocab = vocab

    def _extension_span(self, prefix: bytes) -> tuple[int, int]:
        """Positions in the sorted table of the tokens whose bytes start with prefix."""
        low = bisect.bisect_left(self._keys, prefix)
        upper = _upper_bound(prefix)
        high = len(self._keys) if upper is None else bisect.bisect_left(self._keys, upper)
        return low, high

    def _extends(self, prefix: bytes) -> bool:
        """Whether some token's bytes start with prefix and are longer."""
        low, high = self._extension_span(prefix)
        return high > low and self._keys[high - 1] != prefix  # sorted: the last is the longest

    def healed_tail(self, ids: Sequence[int]) -> tuple[int, bytes]:
        """How many of the prompt's last tokens to hand back, and their bytes.

        The last token is handed back when its bytes are the start of a longer token (a partial word,
        a trailing space, punctuation that could grow); then the one before it if the two together
        still are, and so on, up to MAX_HEALED_TOKENS. (0, b"") when nothing can grow.
        """
        count = 0
        tail = b""
        while count < min(len(ids), MAX_HEALED_TOKENS):
            token = ids[len(ids) - 1 - count]
            if token in self._skip or token >= len(self._token_bytes):
                break
            candidate = self._token_bytes[token] + tail
            if not candidate or not self._extends(candidate):
                break
            tail = candidate
            count += 1
        return count, tail

    def allowed_ids(self, need: bytes) -> list[int]:
        """The tokens that may come next while `need` bytes are still owed, in no particular order.

        A token is allowed when its bytes start with all of need (it writes the rest and goes on), or
        when they are a non-empty proper start of need (the constraint then spans more tokens).
        """
        low, high = self._extension_span(need)
        ids = self._ids[low:high]
        for end in range(1, len(need)):
            ids += self._by_bytes.get(need[:end], ())
        return ids

    def allowed(self, need: bytes, device: torch.device | str = "cpu") -> torch.Tensor:
        """A bool mask [vocab] of allowed_ids(need)."""
        import torch

        mask = torch.zeros(self.vocab, dtype=torch.bool)
        mask[torch.tensor(self.allowed_ids(need), dtype=torch.long)] = True
        return mask.to(device)

    def token_of(self, data: bytes) -> int | None:
        """The (non-excluded) token whose bytes are data, None when there is none."""
        found = self._by_bytes.get(data)
        return found[0] if found else None

    def owed_after(self, need: bytes, token: int) -> bytes:
        """The bytes still owed once token is generated (b"" when it covered them all)."""
        data = self._token_bytes[token]
        return b"" if len(data) >= len(need) else need[len(data) :]

"""User text → token ids, always as plain text: `<|endoftext|>` typed by a user is 7 ordinary tokens.

Only the app itself inserts control tokens (the empty prompt's start token). Every feature that turns
user text into tokens (the engine, context fitting, presets, the command line, scoring) goes through
`Engine.tokenize`, which is a PlainTokenizer.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole_characters(text: str) -> str:
    """text with surrogate halves joined into their character, and a lone half as U+FFFD.

    A Python string can hold them (text decoded with "surrogateescape" or "surrogatepass"); UTF-8,
    and so the tokenizer, cannot.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class PlainTokenizer:
    """Tokenizes text with every special-token string read as ordinary characters. Thread-safe."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._backend = None
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is not None:
            from tokenizers import Tokenizer

            # A private copy: transformers' per-call `split_special_tokens` flips a flag on the shared
            # Rust tokenizer, so another thread encoding at the same moment could see it either way.
            self._backend = Tokenizer.from_str(backend.to_str())
            self._backend.encode_special_tokens = True

    def __call__(self, text: str) -> list[int]:
        """Token ids of text (no start or end token added); a lone surrogate counts as U+FFFD."""
        text = _whole_characters(text)
        if self._backend is not None:
            # encode_batch gives up the GIL while it works (encode holds it: 30–85 ms for a long document,
            # a stall of the editor's event loop while the lens re-scores).
            return list(self._backend.encode_batch([text], add_special_tokens=False)[0].ids)
        ids: list[int] = self._tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True)
        return ids

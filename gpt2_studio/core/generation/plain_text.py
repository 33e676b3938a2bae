"""User text → token ids, always as plain text: `<|endoftext|>` typed by a user is 7 ordinary tokens.

Only the app itself inserts control tokens (the empty prompt's start token). Every feature that turns
user text into tokens (the engine, context fitting, presets, the command line, scoring) goes through
`Engine.tokenize`, which is a PlainTokenizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpt2_studio.core.models.tokenizer import GPT2BPETokenizer


class PlainTokenizer:
    """Tokenizes text with every special-token string read as ordinary characters. Thread-safe.

    No copy of the tokenizer is made: GPT2BPETokenizer's shared Rust tokenizer reads special-token
    strings as text, always (nothing flips that per call, unlike transformers' `split_special_tokens`).
    """

    def __init__(self, tokenizer: GPT2BPETokenizer) -> None:
        self._encode = tokenizer.encode_plain

    def __call__(self, text: str) -> list[int]:
        """Token ids of text (no start or end token added); a lone surrogate counts as U+FFFD.

        Gives up the GIL while it works (30–85 ms for a long document would otherwise stall the
        editor's event loop while the lens re-scores).
        """
        return self._encode(text)

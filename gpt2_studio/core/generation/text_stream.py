"""Turn token ids into text incrementally without ever showing half a character.

GPT-2's byte-level BPE splits multi-byte UTF-8 characters across tokens. Each token maps to raw bytes;
an incremental UTF-8 decoder holds back an incomplete sequence until the next token completes it, so
the streamed pieces joined are exactly the final text; at the end, a character left unfinished is
dropped (never shown as U+FFFD). Bytes that can never be valid UTF-8 are replaced with U+FFFD as soon
as that is known.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

from gpt2_studio.core.models.tokenizer import GPT2BPETokenizer, byte_table
from gpt2_studio.core.models.tokenizer import unicode_to_byte as _unicode_to_byte

__all__ = ["TokenTextStream", "_unicode_to_byte", "decode_whole", "token_byte_table"]


def token_byte_table(tokenizer: Any) -> Sequence[bytes]:
    """The raw bytes of every token id of a byte-level BPE tokenizer (special tokens as UTF-8 text).

    A GPT2BPETokenizer builds its table once and shares it (read-only); any other tokenizer with
    transformers' API (`len`, `convert_ids_to_tokens`, `all_special_tokens`) gets a new one.
    """
    if isinstance(tokenizer, GPT2BPETokenizer):
        return tokenizer.token_bytes()
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return byte_table(pieces, getattr(tokenizer, "all_special_tokens", ()))


class TokenTextStream:
    """Accumulates token ids and yields only complete characters."""

    def __init__(self, token_bytes: Sequence[bytes]) -> None:
        self._token_bytes = token_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""

    def push(self, token_id: int, skip: int = 0) -> str:
        """Add one token, less its first `skip` bytes; return the newly complete text (may be empty).

        skip leaves out bytes that are not new text (the prompt bytes a healed token writes again).
        """
        data = self._token_bytes[token_id]
        piece = self._decoder.decode(data[skip:] if skip else data)
        self.text += piece
        return piece

    def finish(self) -> str:
        """End the text. Bytes of a character the last token left unfinished (a cut at the token limit,
        a cancel or the end of text) are dropped rather than shown as U+FFFD; a U+FFFD the model wrote
        whole stays. Returns "" (what was complete was already returned by push)."""
        self._decoder.reset()
        return ""


def decode_whole(token_bytes: Sequence[bytes], ids: Sequence[int]) -> str:
    """The text of ids, leaving out a character cut in half at either end (never U+FFFD for a cut).

    For token ids taken from the middle of user text (trimming a preset's placeholder to a budget).
    """
    data = b"".join(token_bytes[i] for i in ids)
    start = 0
    while start < min(len(data), 3) and 0x80 <= data[start] < 0xC0:  # the tail of a cut character
        start += 1
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data[start:])

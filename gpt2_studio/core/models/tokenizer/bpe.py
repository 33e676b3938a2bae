"""GPT2BPETokenizer: GPT-2's byte-level BPE (a `tokenizers` Tokenizer) with transformers' API subset.

Also the byte table: the raw bytes behind each token's printable stand-in characters.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, overload

END_OF_TEXT = "<|endoftext|>"


@lru_cache(maxsize=1)
def unicode_to_byte() -> dict[str, int]:
    """Inverse of GPT-2's bytes_to_unicode table (printable stand-ins for the 256 byte values)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {chr(code): byte for byte, code in zip(printable, codes, strict=True)}


@lru_cache(maxsize=1)
def _byte_level() -> tuple[re.Pattern[str], dict[int, int]]:
    """A pattern finding a character that is no byte stand-in, and a translation stand-in → byte."""
    table = unicode_to_byte()
    other = re.compile("[^" + "".join(re.escape(ch) for ch in table) + "]")
    return other, {ord(ch): byte for ch, byte in table.items()}


def byte_table(pieces: Iterable[str | None], special: Iterable[str] = ()) -> list[bytes]:
    """The raw bytes of byte-level BPE token strings (special tokens and others as UTF-8 text; None → b"")."""
    other, to_byte = _byte_level()
    special = set(special)
    out: list[bytes] = []
    for piece in pieces:
        if piece is None:
            out.append(b"")
        elif piece in special or other.search(piece):
            out.append(piece.encode("utf-8"))
        else:
            out.append(piece.translate(to_byte).encode("latin-1"))
    return out


def _whole_characters(text: str) -> str:
    """text with surrogate halves joined into their character, and a lone half as U+FFFD.

    A Python string can hold them (text decoded with "surrogateescape" or "surrogatepass"); UTF-8,
    and so the tokenizer, cannot.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


_SURROGATE = re.compile("[\ud800-\udfff]")


class GPT2BPETokenizer:
    """GPT-2's byte-level BPE: the part of transformers' GPT2Tokenizer API this app uses. Thread-safe.

    Immutable once built (nothing adds tokens), so one instance is shared by every model whose folder
    has the same tokenizer files. Ids are ints in ``range(len(self))``; text is str.
    """

    def __init__(
        self, backend: Any, named: dict[str, str], extra: Sequence[str], vocab: dict[str, int] | None = None
    ) -> None:
        # The shared Rust tokenizer reads special-token strings as ordinary characters, always:
        # user text goes through it (encode_plain). transformers flips this flag per call; here it is
        # never changed after this line, so concurrent encodes cannot see each other's setting.
        backend.encode_special_tokens = True
        self._backend = backend
        self._named = dict(named)
        self._extra = tuple(extra)
        self._lock = threading.Lock()
        self._with_specials: Any = None  # a copy that matches special-token strings, built on first use
        self._token_bytes: tuple[bytes, ...] | None = None
        self._vocab = vocab  # the files' token → id, kept until token_bytes needs it (saves 50,000 calls)

    # -- text -> ids --------------------------------------------------------------------------------
    def encode_plain(self, text: str) -> list[int]:
        """Token ids of user text, special-token strings read as ordinary characters, nothing added.

        The engine's one path for user text. Gives up the GIL while it works (encode_batch), so a long
        document does not stall the GUI thread.
        """
        encoding = self._backend.encode_batch([_whole_characters(text)], add_special_tokens=False)[0]
        return list(encoding.ids)

    def encode(
        self, text: str, add_special_tokens: bool = True, split_special_tokens: bool = False
    ) -> list[int]:
        """Token ids of text, as transformers' ``encode``.

        add_special_tokens: add what the post-processor adds (nothing for GPT-2's own files).
        split_special_tokens: True reads `<|endoftext|>` in text as 7 ordinary tokens; False (the
        default, as transformers) as the control token, which user text must never become: the app
        tokenizes user text with `encode_plain` (or True here).
        """
        backend = self._backend if split_special_tokens else self._special_backend()
        encoding = backend.encode_batch([_whole_characters(text)], add_special_tokens=add_special_tokens)[0]
        return list(encoding.ids)

    def _special_backend(self) -> Any:
        with self._lock:
            if self._with_specials is None:
                from tokenizers import Tokenizer

                copy = Tokenizer.from_str(self._backend.to_str())
                copy.encode_special_tokens = False
                self._with_specials = copy
            return self._with_specials

    # -- ids -> text --------------------------------------------------------------------------------
    def decode(self, ids: int | Sequence[int], skip_special_tokens: bool = False) -> str:
        """The text of token ids (bytes that are no valid UTF-8 become U+FFFD), as transformers'."""
        if isinstance(ids, int):
            ids = [ids]
        text: str = self._backend.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)
        return text

    @overload
    def convert_ids_to_tokens(self, ids: int, skip_special_tokens: bool = False) -> str | None: ...
    @overload
    def convert_ids_to_tokens(
        self, ids: Sequence[int], skip_special_tokens: bool = False
    ) -> list[str | None]: ...
    def convert_ids_to_tokens(
        self, ids: int | Sequence[int], skip_special_tokens: bool = False
    ) -> str | None | list[str | None]:
        """Token strings (byte-level stand-ins, e.g. "Ġthe") of ids; None for an id with no token."""
        if isinstance(ids, int):
            return self._backend.id_to_token(ids)  # type: ignore[no-any-return]
        skip = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._backend.id_to_token(int(i)) for i in ids if int(i) not in skip]

    @overload
    def convert_tokens_to_ids(self, tokens: str) -> int | None: ...
    @overload
    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int | None]: ...
    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | None | list[int | None]:
        """Ids of token strings; an unknown one gets the unknown token's id (None without one)."""
        if isinstance(tokens, str):
            return self._token_id(tokens)
        return [self._token_id(token) for token in tokens]

    def _token_id(self, token: str | None) -> int | None:
        if token is None:
            return None
        index = self._backend.token_to_id(token)
        if index is None:
            unk = self._named.get("unk_token")
            return None if unk is None else self._backend.token_to_id(unk)
        return int(index)

    def token_bytes(self) -> tuple[bytes, ...]:
        """The raw bytes of every token id in ``range(len(self))``; special tokens as their UTF-8 text.

        Built once per tokenizer (50,257 tokens: ~20 ms) and shared.
        """
        with self._lock:
            if self._token_bytes is None:
                size = len(self)
                if self._vocab is None:
                    pieces = [self._backend.id_to_token(i) for i in range(size)]
                else:
                    pieces = [None] * size
                    for token, index in self._vocab.items():
                        if index < size:
                            pieces[index] = token
                    for index, added in self._backend.get_added_tokens_decoder().items():
                        if index < size:
                            pieces[index] = added.content
                    self._vocab = None
                self._token_bytes = tuple(byte_table(pieces, self.all_special_tokens))
            return self._token_bytes

    # -- sizes and special tokens --------------------------------------------------------------------
    def __len__(self) -> int:
        """Tokens in all: the vocabulary and the added tokens (transformers' len())."""
        return int(self._backend.get_vocab_size(with_added_tokens=True))

    @property
    def vocab_size(self) -> int:
        """Tokens of the BPE vocabulary alone, without added tokens."""
        return int(self._backend.get_vocab_size(with_added_tokens=False))

    def get_added_vocab(self) -> dict[str, int]:
        """Added tokens (special tokens among them) → their ids, in id order."""
        decoder = self._backend.get_added_tokens_decoder()
        return {token.content: index for index, token in sorted(decoder.items())}

    @property
    def all_special_tokens(self) -> list[str]:
        """The named special tokens (bos, eos, unk, sep, pad, cls, mask, then others), then extra ones."""
        return list(dict.fromkeys([*self._named.values(), *self._extra]))

    @property
    def all_special_ids(self) -> list[int]:
        """Ids of all_special_tokens (an unknown one as the unknown token's id, as transformers)."""
        return [i for i in self.convert_tokens_to_ids(self.all_special_tokens) if i is not None]

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """Named special tokens that are set, e.g. {"bos_token": "<|endoftext|>", ...}."""
        return dict(self._named)

    @property
    def eos_token(self) -> str | None:
        """The end-of-text token string, or None."""
        return self._named.get("eos_token")

    @property
    def eos_token_id(self) -> int | None:
        """The end-of-text token id, or None when the files name none."""
        return self._token_id(self.eos_token)

    @property
    def bos_token_id(self) -> int | None:
        """The start token id, or None."""
        return self._token_id(self._named.get("bos_token"))

    @property
    def unk_token_id(self) -> int | None:
        """The unknown token id, or None."""
        return self._token_id(self._named.get("unk_token"))

    @property
    def pad_token_id(self) -> int | None:
        """The padding token id, or None (GPT-2 has none)."""
        return self._token_id(self._named.get("pad_token"))

"""GPT-2's byte-level BPE tokenizer, built with the `tokenizers` library straight from a model folder.

Why not transformers' GPT2Tokenizer: importing transformers takes ~0.7 s and holds the GIL for much of it
(a stall of the editor while a model loads), and its tokenizer is the only part of transformers the CPU
path needs. This module reads the same files the same way (tokenizer.json when the folder has one, else
vocab.json + merges.txt; the special tokens from tokenizer_config.json, special_tokens_map.json,
added_tokens.json, `<|endoftext|>` by default) and gives the same ids, text and special tokens; the tests
compare it with transformers' on GPT-2's real vocabulary and on the tiny test folders.

Each JSON file is read with a size and depth bound (`jsonio`) and parsed once. A built tokenizer is kept
for the process, keyed by the tokenizer files' contents, so reloading a model or switching among GPT-2
sizes (which share one tokenizer) builds nothing.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.jsonio import JsonFileError, loads_bounded
from gpt2_studio.core.models.checkpoint import file_problem, shown_path

log = logging.getLogger(__name__)

END_OF_TEXT = "<|endoftext|>"

#: Files the tokenizer reads as JSON, and how large each may be (GPT-2's tokenizer.json is 1.4 MB, its
#: vocab.json 1 MB): ten times GPT-2's, so a hostile file costs at most a second or two to refuse.
TOKENIZER_JSON_LIMITS = {
    "tokenizer.json": 16 * 1024 * 1024,
    "vocab.json": 16 * 1024 * 1024,
    "tokenizer_config.json": 4 * 1024 * 1024,
    "special_tokens_map.json": 1024 * 1024,
    "added_tokens.json": 16 * 1024 * 1024,
}
MERGES_MAX_BYTES = 64 * 1024 * 1024
#: JSON nesting the tokenizer files may have (GPT-2's have 4 levels).
MAX_DEPTH = 32

#: transformers' named special tokens, in its order (the order they are added in).
NAMED_SPECIAL_TOKENS = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
)
_ADDED_TOKEN_FIELDS = ("single_word", "lstrip", "rstrip", "normalized", "special")
#: How many built tokenizers the process keeps (one per different set of tokenizer files).
CACHE_SIZE = 4


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


# -- reading the files ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Files:
    """The tokenizer files' raw bytes (None when absent) and a digest of them all."""

    raw: dict[str, bytes | None]
    digest: str


def _fail(folder: Path, message: str) -> ModelError:
    return ModelError(f"Model folder {shown_path(folder)}: {message}")


def _read_files(folder: Path) -> _Files:
    """Read every tokenizer file once, refusing what is no regular file or is too large to be one.

    With tokenizer.json, vocab.json and merges.txt are not read (transformers does not read them then
    either): a broken one beside a good tokenizer.json does not stop the model from loading.
    """
    raw: dict[str, bytes | None] = {}
    digest = hashlib.sha256()
    names = {**TOKENIZER_JSON_LIMITS, "merges.txt": MERGES_MAX_BYTES}
    if file_problem(folder / "tokenizer.json") != "is missing":
        names = {k: v for k, v in names.items() if k not in ("vocab.json", "merges.txt")}
    for name, limit in names.items():
        path = folder / name
        problem = file_problem(path)
        if problem == "is missing":
            raw[name] = None
            digest.update(f"{name}:absent;".encode())
            continue
        if problem:
            raise _fail(folder, f"{name} {problem}.")
        try:
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise _fail(folder, f"{name} cannot be read ({exc.strerror or exc}).") from None
        if len(data) > limit:
            if name == "merges.txt":
                raise _fail(
                    folder,
                    f"merges.txt is larger than {limit:,} bytes, far more than a GPT-2 tokenizer needs.",
                )
            raise _fail(folder, f"{name} is {len(data):,} bytes or more, more than the {limit:,} allowed.")
        raw[name] = data
        digest.update(f"{name}:{len(data)};".encode())
        digest.update(data)
    return _Files(raw, digest.hexdigest())


def _json(folder: Path, files: _Files, name: str) -> dict[str, Any] | None:
    data = files.raw.get(name)
    if data is None:
        return None
    try:
        value = loads_bounded(data, name, max_bytes=TOKENIZER_JSON_LIMITS[name], max_depth=MAX_DEPTH)
    except JsonFileError as exc:
        raise _fail(folder, str(exc)) from None
    if not isinstance(value, dict):
        raise _fail(folder, f"{name} is not a JSON object.")
    return value


def _merges_from_text(folder: Path, data: bytes) -> list[tuple[str, str]]:
    """merges.txt's pairs, read as the `tokenizers` library reads the file (lines split at "\\n").

    Whole-list operations, no per-line Python: 50,000 merges take ~10 ms.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(folder, f"merges.txt is not UTF-8 text (bad byte at offset {exc.start}).") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    # Every line starting with #version is left out (usually just the first); numbers: 1-based lines.
    numbers = range(1, len(lines) + 1)
    if "\n#version" in text:
        numbers = [n for n, line in enumerate(lines, 1) if not line.startswith("#version")]  # type: ignore[assignment]
        lines = [lines[n - 1] for n in numbers]
    elif lines and lines[0].startswith("#version"):
        numbers, lines = numbers[1:], lines[1:]
    pairs = [line.split(" ") for line in lines]
    if set(map(len, pairs)) - {2}:
        bad = next(i for i, pair in enumerate(pairs) if len(pair) != 2)
        raise _fail(folder, f"merges.txt line {numbers[bad]} is not two tokens separated by one space.")
    return list(map(tuple, pairs))  # type: ignore[arg-type]


def _merges_from_json(folder: Path, value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise _fail(folder, "tokenizer.json has no list of BPE merges (model.merges).")
    merges = []
    for item in value:
        pair = item.split(" ") if isinstance(item, str) else item
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not all(isinstance(p, str) for p in pair):
            raise _fail(folder, f"tokenizer.json has a BPE merge that is not two tokens: {str(item)[:40]!r}.")
        merges.append((pair[0], pair[1]))
    return merges


def _vocab(folder: Path, name: str, value: Any) -> dict[str, int]:
    if (
        not isinstance(value, dict)
        or not set(map(type, value.values())) <= {int}
        or (value and min(value.values()) < 0)
    ):
        raise _fail(folder, f"{name} has no vocabulary of token → id (non-negative whole numbers).")
    return value


def _added_token(folder: Path, value: Any, **defaults: bool) -> Any:
    """A tokenizers.AddedToken from a string or transformers' serialised form ({"content": ..., ...})."""
    from tokenizers import AddedToken

    if isinstance(value, str):
        return AddedToken(value, **defaults)
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        flags = {key: bool(value[key]) for key in _ADDED_TOKEN_FIELDS if key in value}
        return AddedToken(value["content"], **{**defaults, **flags})
    raise _fail(folder, f"the tokenizer files name a special token that is not text: {str(value)[:40]!r}.")


def _is_token(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("content"), str))


def _special_tokens(folder: Path, files: _Files, tokenizer_json: dict[str, Any] | None) -> tuple[Any, ...]:
    """The tokens to add, the named special tokens and the extra ones, read as transformers 5 reads them.

    Returns (tokens to add in order: tokenizers.AddedToken, named: attribute → string, extra: strings,
    add_bos_token, add_eos_token, add_prefix_space).
    """
    config = dict(_json(folder, files, "tokenizer_config.json") or {})
    config.pop("tokenizer_class", None)
    if tokenizer_json is not None:  # the post-processor comes from tokenizer.json then
        config.pop("add_bos_token", None)
        config.pop("add_eos_token", None)
    if "additional_special_tokens" in config and not config.get("extra_special_tokens"):
        config["extra_special_tokens"] = config.pop("additional_special_tokens")
    added: dict[int, Any] = {}  # transformers' added_tokens_decoder: id → token
    if "added_tokens_decoder" in config:
        decoder = config["added_tokens_decoder"]
        if not isinstance(decoder, dict):
            raise _fail(folder, "tokenizer_config.json's added_tokens_decoder is not a table of id → token.")
        for index, entry in decoder.items():
            if not isinstance(entry, dict):
                raise _fail(
                    folder, "tokenizer_config.json's added_tokens_decoder holds a token that is no table."
                )
            added[_index(folder, index)] = _added_token(folder, entry)
    else:
        special_map = _json(folder, files, "special_tokens_map.json")
        for key, value in (special_map or {}).items():
            if key in ("extra_special_tokens", "additional_special_tokens") and isinstance(value, list):
                existing = list(config.get("extra_special_tokens") or [])
                existing += [token for token in value if token not in existing]
                config["extra_special_tokens"] = existing
            else:
                config[key] = value
        added_json = _json(folder, files, "added_tokens.json")
        if added_json is not None:
            named_now = {_content(config[key]) for key in NAMED_SPECIAL_TOKENS if _is_token(config.get(key))}
            named_now |= {_content(t) for t in _token_list(folder, config.get("extra_special_tokens"))}
            for content, index in added_json.items():
                special = content in named_now
                added[_index(folder, index)] = _added_token(
                    folder, content, rstrip=False, lstrip=False, normalized=not special, special=special
                )
        if tokenizer_json is not None:
            listed = tokenizer_json.get("added_tokens") or []
            if not isinstance(listed, list):
                raise _fail(folder, "tokenizer.json's added_tokens is not a list.")
            for token in listed:
                if not isinstance(token, dict):
                    raise _fail(folder, "tokenizer.json's added_tokens holds a token that is no table.")
                added[_index(folder, token.get("id"))] = _added_token(folder, token)
    by_content = {token.content: token for token in added.values()}
    named: dict[str, str] = {}
    tokens = [added[index] for index in sorted(added)]
    named_keys = [*NAMED_SPECIAL_TOKENS]
    named_keys += [
        k for k in config if k.endswith("_token") and k not in named_keys and isinstance(config[k], str)
    ]
    extra_value = config.get("extra_special_tokens")
    if isinstance(extra_value, dict):  # model-specific named tokens
        named_keys += [k for k in extra_value if k not in named_keys]
        config.update(extra_value)
        extra_value = None
    defaults = dict.fromkeys(("bos_token", "eos_token", "unk_token"), END_OF_TEXT)
    for key in named_keys:
        value = config[key] if key in config else defaults.get(key)
        if value is None:
            continue
        token = _added_token(folder, value, special=True)
        token = by_content.get(token.content) or token
        named[key] = token.content
        tokens.append(token)
    extra = []
    for value in _token_list(folder, extra_value):
        token = _added_token(folder, value, special=True)
        extra.append(token.content)
        tokens.append(token)
    # Added once each, the first time named; a token the files name as special is special wherever
    # else it is listed (transformers marks it so).
    unique: dict[str, Any] = {}
    for token in tokens:
        unique.setdefault(token.content, token)
    named_contents = set(named.values())
    to_add = [_as_special(t) if t.content in named_contents else t for t in unique.values()]
    add_bos = bool(config.get("add_bos_token", False))
    add_eos = bool(config.get("add_eos_token", False))
    return to_add, named, extra, add_bos, add_eos, bool(config.get("add_prefix_space", False))


def _as_special(token: Any) -> Any:
    from tokenizers import AddedToken

    if token.special:
        return token
    return AddedToken(
        token.content,
        single_word=token.single_word,
        lstrip=token.lstrip,
        rstrip=token.rstrip,
        normalized=token.normalized,
        special=True,
    )


def _content(value: Any) -> str:
    return value if isinstance(value, str) else str(value["content"])


def _token_list(folder: Path, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(_is_token(token) for token in value):
        raise _fail(folder, "the tokenizer files' extra special tokens are not a list of tokens.")
    return value


def _index(folder: Path, value: Any) -> int:
    try:
        index = int(value)
    except (TypeError, ValueError):
        index = -1
    if index < 0 or isinstance(value, bool | float):
        raise _fail(
            folder, f"the tokenizer files give a token the id {str(value)[:20]!r}, not a whole number."
        )
    return index


def _build(folder: Path, files: _Files) -> GPT2BPETokenizer:
    """The Rust tokenizer as transformers' GPT2Tokenizer builds it: its pipeline, the files' vocabulary."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import BPE

    tokenizer_json = _json(folder, files, "tokenizer.json")
    post_processor = None
    if tokenizer_json is not None:
        model = tokenizer_json.get("model")
        if not isinstance(model, dict):
            raise _fail(folder, "tokenizer.json has no tokenizer model.")
        if model.get("type", "BPE") != "BPE":
            raise _fail(
                folder, f"tokenizer.json holds a {str(model.get('type'))[:20]} tokenizer, not GPT-2's BPE."
            )
        vocab = _vocab(folder, "tokenizer.json", model.get("vocab"))
        merges = _merges_from_json(folder, model.get("merges"))
        if tokenizer_json.get("post_processor") is not None:
            # Only the post-processor is taken from the file (transformers does the same): a tokenizer
            # with an empty vocabulary parses in microseconds.
            minimal = {**tokenizer_json, "added_tokens": [], "model": {**model, "vocab": {}, "merges": []}}
            post_processor = Tokenizer.from_str(_dumps(minimal)).post_processor
    else:
        vocab = _vocab(folder, "vocab.json", _json(folder, files, "vocab.json"))
        merges_raw = files.raw.get("merges.txt")
        merges = _merges_from_text(folder, merges_raw) if merges_raw is not None else []
    tokens, named, extra, add_bos, add_eos, prefix_space = _special_tokens(folder, files, tokenizer_json)
    backend = Tokenizer(
        BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
        )
    )
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=prefix_space)
    backend.decoder = decoders.ByteLevel()
    if tokens:
        backend.add_tokens(tokens)
    if post_processor is not None:
        backend.post_processor = post_processor
    else:
        bos, eos = named.get("bos_token"), named.get("eos_token")
        add_bos, add_eos = add_bos and bos is not None, add_eos and eos is not None
        single = f"{f'{bos}:0 ' if add_bos else ''}$A:0{f' {eos}:0' if add_eos else ''}"
        pair = f"{single}{f' {bos}:1' if add_bos else ''} $B:1{f' {eos}:1' if add_eos else ''}"
        special = [(t, backend.token_to_id(t)) for t, on in ((bos, add_bos), (eos, add_eos)) if on]
        backend.post_processor = processors.TemplateProcessing(
            single=single, pair=pair, special_tokens=special
        )
    return GPT2BPETokenizer(backend, named, extra, vocab)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)


@contextlib.contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """Building makes ~200,000 small lists and tuples, none of them garbage; the collector's passes over
    them (and over torch's heap) would more than double the time. Nothing here makes reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_cache: OrderedDict[str, GPT2BPETokenizer] = OrderedDict()
_cache_lock = threading.Lock()


def load_tokenizer(folder: Path) -> GPT2BPETokenizer:
    """The tokenizer of a model folder, built once per process for each different set of files.

    Raises ModelError (one sentence naming the folder and file) for a file that is missing where
    needed, no regular file, too large, too deeply nested, not JSON, or not a GPT-2 BPE tokenizer.
    """
    folder = Path(folder)
    files = _read_files(folder)
    with _cache_lock:
        cached = _cache.get(files.digest)
        if cached is not None:
            _cache.move_to_end(files.digest)
            return cached
    try:
        with _no_garbage_collection():
            tokenizer = _build(folder, files)
            tokenizer.token_bytes()
    except ModelError:
        raise
    except Exception as exc:  # tokenizers raises plain Exceptions for a vocabulary it cannot use
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]
        raise _fail(folder, f"the tokenizer files cannot be read ({first}).") from exc
    with _cache_lock:
        _cache[files.digest] = tokenizer
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return tokenizer


def clear_cache() -> None:
    """Forget every built tokenizer (tests; a long session that loaded many different tokenizers)."""
    with _cache_lock:
        _cache.clear()

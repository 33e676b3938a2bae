"""Reading a folder's tokenizer files as transformers 5's GPT2Tokenizer reads them, each file once.

Every JSON file goes through `jsonio`'s size and depth bounds; every problem is one sentence naming the
folder and the file (ModelError).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.jsonio import JsonFileError, loads_bounded
from gpt2_studio.core.models.checkpoint import file_problem, shown_path
from gpt2_studio.core.models.tokenizer.bpe import END_OF_TEXT

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


@dataclass(frozen=True)
class Files:
    """The tokenizer files' raw bytes (None when absent) and a digest of them all."""

    raw: dict[str, bytes | None]
    digest: str


def fail(folder: Path, message: str) -> ModelError:
    """The one sentence for a problem with a folder's tokenizer files."""
    return ModelError(f"Model folder {shown_path(folder)}: {message}")


def read_files(folder: Path) -> Files:
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
            raise fail(folder, f"{name} {problem}.")
        try:
            size = path.stat().st_size  # refused before a byte is read; the read is bounded too
            with path.open("rb") as handle:
                data = handle.read(limit + 1) if size <= limit else b""
        except OSError as exc:
            raise fail(folder, f"{name} cannot be read ({exc.strerror or exc}).") from None
        if max(size, len(data)) > limit:
            if name == "merges.txt":
                raise fail(
                    folder,
                    f"merges.txt is larger than {limit:,} bytes, far more than a GPT-2 tokenizer needs.",
                )
            raise fail(folder, f"{name} is {max(size, len(data)):,} bytes, more than the {limit:,} allowed.")
        raw[name] = data
        digest.update(f"{name}:{len(data)};".encode())
        digest.update(data)
    return Files(raw, digest.hexdigest())


def json_object(folder: Path, files: Files, name: str) -> dict[str, Any] | None:
    """The JSON object in file `name` (parsed with jsonio's bounds), or None when the folder has none."""
    data = files.raw.get(name)
    if data is None:
        return None
    try:
        value = loads_bounded(data, name, max_bytes=TOKENIZER_JSON_LIMITS[name], max_depth=MAX_DEPTH)
    except JsonFileError as exc:
        raise fail(folder, str(exc)) from None
    if not isinstance(value, dict):
        raise fail(folder, f"{name} is not a JSON object.")
    return value


def merges_from_text(folder: Path, data: bytes) -> list[tuple[str, str]]:
    """merges.txt's pairs, read as the `tokenizers` library reads the file (lines split at "\\n").

    Whole-list operations, no per-line Python: 50,000 merges take ~10 ms.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(folder, f"merges.txt is not UTF-8 text (bad byte at offset {exc.start}).") from None
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
        raise fail(folder, f"merges.txt line {numbers[bad]} is not two tokens separated by one space.")
    return list(map(tuple, pairs))  # type: ignore[arg-type]


def merges_from_json(folder: Path, value: Any) -> list[tuple[str, str]]:
    """tokenizer.json's model.merges ("a b" strings, or [a, b] pairs) as pairs."""
    if not isinstance(value, list):
        raise fail(folder, "tokenizer.json has no list of BPE merges (model.merges).")
    merges = []
    for item in value:
        pair = item.split(" ") if isinstance(item, str) else item
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not all(isinstance(p, str) for p in pair):
            raise fail(folder, f"tokenizer.json has a BPE merge that is not two tokens: {str(item)[:40]!r}.")
        merges.append((pair[0], pair[1]))
    return merges


def vocabulary(folder: Path, name: str, value: Any) -> dict[str, int]:
    """value if it is a vocabulary (token → non-negative whole number), else one sentence."""
    if (
        not isinstance(value, dict)
        or not set(map(type, value.values())) <= {int}
        or (value and min(value.values()) < 0)
    ):
        raise fail(folder, f"{name} has no vocabulary of token → id (non-negative whole numbers).")
    return value


def _added_token(folder: Path, value: Any, **defaults: bool) -> Any:
    """A tokenizers.AddedToken from a string or transformers' serialised form ({"content": ..., ...})."""
    from tokenizers import AddedToken

    if isinstance(value, str):
        return AddedToken(value, **defaults)
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        flags = {key: bool(value[key]) for key in _ADDED_TOKEN_FIELDS if key in value}
        return AddedToken(value["content"], **{**defaults, **flags})
    raise fail(folder, f"the tokenizer files name a special token that is not text: {str(value)[:40]!r}.")


def _is_token(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("content"), str))


@dataclass(frozen=True)
class SpecialTokens:
    """What the tokenizer files say beyond the BPE itself."""

    to_add: list[Any]  # tokenizers.AddedToken, in the order transformers adds them
    named: dict[str, str]  # "eos_token" → "<|endoftext|>", …
    extra: list[str]  # extra (additional) special tokens
    add_bos_token: bool
    add_eos_token: bool
    add_prefix_space: bool


def special_tokens(folder: Path, files: Files, tokenizer_json: dict[str, Any] | None) -> SpecialTokens:
    """The tokens to add, the named special tokens and the extra ones, read as transformers 5 reads them."""
    config = dict(json_object(folder, files, "tokenizer_config.json") or {})
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
            raise fail(folder, "tokenizer_config.json's added_tokens_decoder is not a table of id → token.")
        for index, entry in decoder.items():
            if not isinstance(entry, dict):
                raise fail(
                    folder, "tokenizer_config.json's added_tokens_decoder holds a token that is no table."
                )
            added[_index(folder, index)] = _added_token(folder, entry)
    else:
        special_map = json_object(folder, files, "special_tokens_map.json")
        for key, value in (special_map or {}).items():
            if key in ("extra_special_tokens", "additional_special_tokens") and isinstance(value, list):
                existing = list(config.get("extra_special_tokens") or [])
                existing += [token for token in value if token not in existing]
                config["extra_special_tokens"] = existing
            else:
                config[key] = value
        added_json = json_object(folder, files, "added_tokens.json")
        if added_json is not None:
            named_now = {_content(config[key]) for key in NAMED_SPECIAL_TOKENS if _is_token(config.get(key))}
            extras = config.get("extra_special_tokens")
            extras = list(extras.values()) if isinstance(extras, dict) else _token_list(folder, extras)
            named_now |= {_content(token) for token in extras if _is_token(token)}
            for content, index in added_json.items():
                special = content in named_now
                added[_index(folder, index)] = _added_token(
                    folder, content, rstrip=False, lstrip=False, normalized=not special, special=special
                )
        if tokenizer_json is not None:
            listed = tokenizer_json.get("added_tokens") or []
            if not isinstance(listed, list):
                raise fail(folder, "tokenizer.json's added_tokens is not a list.")
            for token in listed:
                if not isinstance(token, dict):
                    raise fail(folder, "tokenizer.json's added_tokens holds a token that is no table.")
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
    return SpecialTokens(
        to_add,
        named,
        extra,
        add_bos_token=bool(config.get("add_bos_token", False)),
        add_eos_token=bool(config.get("add_eos_token", False)),
        add_prefix_space=bool(config.get("add_prefix_space", False)),
    )


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
        raise fail(folder, "the tokenizer files' extra special tokens are not a list of tokens.")
    return value


def _index(folder: Path, value: Any) -> int:
    try:
        index = int(value)
    except (TypeError, ValueError):
        index = -1
    if index < 0 or isinstance(value, bool | float):
        raise fail(
            folder, f"the tokenizer files give a token the id {str(value)[:20]!r}, not a whole number."
        )
    return index

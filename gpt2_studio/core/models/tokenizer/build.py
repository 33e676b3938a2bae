"""Building a folder's tokenizer, once per process for each different set of tokenizer files."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.models.tokenizer.bpe import GPT2BPETokenizer
from gpt2_studio.core.models.tokenizer.files import (
    Files,
    fail,
    json_object,
    merges_from_json,
    merges_from_text,
    read_files,
    special_tokens,
    vocabulary,
)

#: How many built tokenizers the process keeps (one per different set of tokenizer files).
CACHE_SIZE = 4


def _build(folder: Path, files: Files) -> GPT2BPETokenizer:
    """The Rust tokenizer as transformers' GPT2Tokenizer builds it: its pipeline, the files' vocabulary."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import BPE

    tokenizer_json = json_object(folder, files, "tokenizer.json")
    post_processor = None
    if tokenizer_json is not None:
        model = tokenizer_json.get("model")
        if not isinstance(model, dict):
            raise fail(folder, "tokenizer.json has no tokenizer model.")
        if model.get("type", "BPE") != "BPE":
            raise fail(
                folder, f"tokenizer.json holds a {str(model.get('type'))[:20]} tokenizer, not GPT-2's BPE."
            )
        vocab = vocabulary(folder, "tokenizer.json", model.get("vocab"))
        merges = merges_from_json(folder, model.get("merges"))
        if tokenizer_json.get("post_processor") is not None:
            # Only the post-processor is taken from the file (transformers does the same): a tokenizer
            # with an empty vocabulary parses in microseconds.
            minimal = {**tokenizer_json, "added_tokens": [], "model": {**model, "vocab": {}, "merges": []}}
            post_processor = Tokenizer.from_str(_dumps(minimal)).post_processor
    else:
        vocab = vocabulary(folder, "vocab.json", json_object(folder, files, "vocab.json"))
        merges_raw = files.raw.get("merges.txt")
        merges = merges_from_text(folder, merges_raw) if merges_raw is not None else []
    special = special_tokens(folder, files, tokenizer_json)
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
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=special.add_prefix_space)
    backend.decoder = decoders.ByteLevel()
    if special.to_add:
        backend.add_tokens(special.to_add)
    if post_processor is not None:
        backend.post_processor = post_processor
    else:  # transformers' template: the start and end tokens the config asks to add, if named
        bos, eos = special.named.get("bos_token"), special.named.get("eos_token")
        add_bos = special.add_bos_token and bos is not None
        add_eos = special.add_eos_token and eos is not None
        single = f"{f'{bos}:0 ' if add_bos else ''}$A:0{f' {eos}:0' if add_eos else ''}"
        pair = f"{single}{f' {bos}:1' if add_bos else ''} $B:1{f' {eos}:1' if add_eos else ''}"
        added = [(t, backend.token_to_id(t)) for t, on in ((bos, add_bos), (eos, add_eos)) if on and t]
        backend.post_processor = processors.TemplateProcessing(single=single, pair=pair, special_tokens=added)
    return GPT2BPETokenizer(backend, special.named, special.extra, vocab)


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
    files = read_files(folder)
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
        raise fail(folder, f"the tokenizer files cannot be read ({first}).") from exc
    with _cache_lock:
        _cache[files.digest] = tokenizer
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return tokenizer


def clear_cache() -> None:
    """Forget every built tokenizer (tests; a long session that loaded many different tokenizers)."""
    with _cache_lock:
        _cache.clear()

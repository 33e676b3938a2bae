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

from gpt2_studio.core.models.tokenizer.bpe import END_OF_TEXT, GPT2BPETokenizer, byte_table, unicode_to_byte
from gpt2_studio.core.models.tokenizer.build import clear_cache, load_tokenizer
from gpt2_studio.core.models.tokenizer.files import MERGES_MAX_BYTES, TOKENIZER_JSON_LIMITS

__all__ = [
    "END_OF_TEXT",
    "MERGES_MAX_BYTES",
    "TOKENIZER_JSON_LIMITS",
    "GPT2BPETokenizer",
    "byte_table",
    "clear_cache",
    "load_tokenizer",
    "unicode_to_byte",
]

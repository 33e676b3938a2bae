"""The local GPT-2 tokenizer a RemoteEngine counts tokens with, so the window budget stays exact.

Every released GPT-2 (gpt2 … gpt2-xl, distilgpt2) has the same tokenizer, so any of them on this
computer will do for a server that runs a GPT-2 model; a server running another model needs its own
tokenizer folder. Without one, RemoteEngine counts UTF-8 bytes (an upper bound: prompts still fit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gpt2_studio.core.errors import ModelError

if TYPE_CHECKING:
    from gpt2_studio.core.models.tokenizer import GPT2BPETokenizer

# The GPT-2 family, smallest download first: the first one on this computer lends its tokenizer.
GPT2_FAMILY = ("gpt2", "distilgpt2", "gpt2-medium", "gpt2-large", "gpt2-xl")


def local_tokenizer(ref: str | None = None) -> GPT2BPETokenizer | None:
    """The tokenizer of model ref (a folder, catalog name or repo id), else of any GPT-2 here, else None.

    Raises ModelError (one sentence) when ref is given and cannot be used.
    """
    from gpt2_studio.core.models.resolve import resolve_model
    from gpt2_studio.core.models.tokenizer import load_tokenizer

    if ref is not None:
        _name, folder = resolve_model(ref)
        return load_tokenizer(folder)
    for name in GPT2_FAMILY:
        try:
            _name, folder = resolve_model(name)
            return load_tokenizer(folder)
        except ModelError:
            continue
    return None

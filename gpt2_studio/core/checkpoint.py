"""Validate a GPT-2 checkpoint folder before any weights are loaded.

Everything here reads only JSON and safetensors headers, so it is fast, needs no torch, and turns each
way a folder can be wrong into one sentence that names the folder and the problem.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt2_studio.core.errors import ModelError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX_FILE = "model.safetensors.index.json"
PICKLE_WEIGHT_FILES = ("pytorch_model.bin", "pytorch_model.bin.index.json", "model.ckpt", "pytorch_model.pt")
TOKENIZER_FILES = ("tokenizer.json",)
BPE_FILES = ("vocab.json", "merges.txt")

_DTYPE_BYTES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}
_MAX_HEADER = 100 * 1024 * 1024

CONVERT_HINT = (
    "convert it once with a trusted Python: "
    "`GPT2LMHeadModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)`"
)


@dataclass(frozen=True)
class CheckpointInfo:
    """What a valid folder holds."""

    folder: Path
    config: dict[str, Any]
    weight_files: tuple[Path, ...]
    vocab_size: int
    n_positions: int
    n_embd: int
    n_layer: int
    n_head: int
    parameters: int


def _fail(folder: Path, problem: str) -> ModelError:
    return ModelError(f"Model folder {folder}: {problem}")


def read_config(folder: Path) -> dict[str, Any]:
    """config.json as a dict, checked to describe a GPT-2 language model."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise _fail(folder, f"has no {CONFIG_FILE}, so it is not a Hugging Face model folder.")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(folder, f"{CONFIG_FILE} cannot be read ({exc}).") from exc
    if not isinstance(config, dict):
        raise _fail(folder, f"{CONFIG_FILE} is not a JSON object.")
    model_type = config.get("model_type")
    if model_type != "gpt2":
        raise _fail(
            folder,
            f"is a {model_type or 'unknown'!s} model, not GPT-2 (config.json model_type must be 'gpt2').",
        )
    if config.get("add_cross_attention"):
        raise _fail(
            folder, "is a GPT-2 with cross-attention (an encoder-decoder part), not a language model."
        )
    for key in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
        value = config.get(key, _GPT2_DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise _fail(folder, f"config.json has an invalid {key} ({value!r}).")
        config.setdefault(key, value)
    if config["n_embd"] % config["n_head"]:
        raise _fail(folder, "config.json n_embd is not a multiple of n_head.")
    return config


_GPT2_DEFAULTS = {"vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12}


def read_safetensors_header(path: Path) -> dict[str, dict[str, Any]]:
    """The tensor table of a .safetensors file, checked against the file's real size."""
    folder = path.parent
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise _fail(folder, f"{path.name} is empty or truncated.")
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > min(_MAX_HEADER, size - 8):
                raise _fail(folder, f"{path.name} is corrupt or truncated (bad header length).")
            header = json.loads(handle.read(header_len))
    except OSError as exc:
        raise _fail(folder, f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(folder, f"{path.name} is corrupt (its header is not valid JSON).") from exc
    if not isinstance(header, dict):
        raise _fail(folder, f"{path.name} is corrupt (its header is not a table).")
    header.pop("__metadata__", None)
    data_len = size - 8 - header_len
    for name, entry in header.items():
        try:
            begin, end = entry["data_offsets"]
            shape = [int(d) for d in entry["shape"]]
            item = _DTYPE_BYTES[entry["dtype"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise _fail(folder, f"{path.name} is corrupt (bad entry for {name}).") from exc
        if end > data_len:
            raise _fail(
                folder, f"{path.name} is truncated: it ends before tensor {name} (an incomplete download?)."
            )
        if end - begin != math.prod(shape) * item:
            raise _fail(folder, f"{path.name} is corrupt: tensor {name} has the wrong byte length.")
    return header


def _weight_files(folder: Path) -> tuple[Path, ...]:
    single = folder / WEIGHTS_FILE
    if single.is_file():
        return (single,)
    index = folder / WEIGHTS_INDEX_FILE
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            names = sorted(set(weight_map.values()))
        except (
            OSError,
            UnicodeDecodeError,
            json.JSONDecodeError,
            KeyError,
            TypeError,
            AttributeError,
        ) as exc:
            raise _fail(folder, f"{WEIGHTS_INDEX_FILE} cannot be read ({exc}).") from exc
        files = []
        for name in names:
            shard = folder / name
            if Path(name).name != name or not name.endswith(".safetensors"):
                raise _fail(folder, f"{WEIGHTS_INDEX_FILE} names an unexpected file {name!r}.")
            if not shard.is_file():
                raise _fail(folder, f"weight shard {name} is missing.")
            files.append(shard)
        return tuple(files)
    pickles = [name for name in PICKLE_WEIGHT_FILES if (folder / name).exists()]
    if pickles:
        raise _fail(
            folder,
            f"has only {pickles[0]} weights, which are Python pickles that can run code when loaded, "
            f"so GPT-2 Studio does not open them; {CONVERT_HINT}.",
        )
    raise _fail(folder, f"has no weights ({WEIGHTS_FILE} is missing).")


def expected_shapes(config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Every GPT-2 weight name (without a ``transformer.`` prefix) and the shape config.json implies."""
    d, v, p = config["n_embd"], config["vocab_size"], config["n_positions"]
    inner = config.get("n_inner") or 4 * d
    shapes: dict[str, tuple[int, ...]] = {
        "wte.weight": (v, d),
        "wpe.weight": (p, d),
        "ln_f.weight": (d,),
        "ln_f.bias": (d,),
    }
    for i in range(config["n_layer"]):
        for name, shape in {
            "ln_1.weight": (d,), "ln_1.bias": (d,), "ln_2.weight": (d,), "ln_2.bias": (d,),
            "attn.c_attn.weight": (d, 3 * d), "attn.c_attn.bias": (3 * d,),
            "attn.c_proj.weight": (d, d), "attn.c_proj.bias": (d,),
            "mlp.c_fc.weight": (d, inner), "mlp.c_fc.bias": (inner,),
            "mlp.c_proj.weight": (inner, d), "mlp.c_proj.bias": (d,),
        }.items():  # fmt: skip
            shapes[f"h.{i}.{name}"] = shape
    return shapes


def _check_tokenizer(folder: Path) -> None:
    if (folder / "tokenizer.json").is_file():
        return
    if all((folder / name).is_file() for name in BPE_FILES):
        return
    raise _fail(folder, "has no tokenizer (tokenizer.json, or vocab.json with merges.txt).")


def inspect_checkpoint(folder: str | Path) -> CheckpointInfo:
    """Check that a folder holds a loadable GPT-2 checkpoint; raise ModelError saying what is wrong."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise _fail(folder, "does not exist.")
    if not folder.is_dir():
        raise _fail(folder, "is a file, not a folder.")
    config = read_config(folder)
    files = _weight_files(folder)
    found: dict[str, list[int]] = {}
    for path in files:
        for name, entry in read_safetensors_header(path).items():
            found[name.removeprefix("transformer.")] = entry["shape"]
    for name, shape in expected_shapes(config).items():
        if name not in found:
            raise _fail(folder, f"the weights lack {name} (not a complete GPT-2 checkpoint).")
        if tuple(found[name]) != shape:
            raise _fail(
                folder,
                f"weight {name} has shape {tuple(found[name])} but config.json implies {shape}; "
                "the weights and config.json do not belong together.",
            )
    _check_tokenizer(folder)
    parameters = sum(math.prod(found[name]) for name in expected_shapes(config))
    return CheckpointInfo(
        folder=folder,
        config=config,
        weight_files=files,
        vocab_size=config["vocab_size"],
        n_positions=config["n_positions"],
        n_embd=config["n_embd"],
        n_layer=config["n_layer"],
        n_head=config["n_head"],
        parameters=parameters,
    )

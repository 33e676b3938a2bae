"""Validate a GPT-2 checkpoint folder before any weights are loaded.

Everything here reads only JSON and safetensors headers, so it is fast, needs no torch, and turns each
way a folder can be wrong into one sentence that names the folder and the problem. Sizes in config.json
are checked for type and range and against the weights' header *before* anything is built per layer, so
a config claiming a billion layers is refused in milliseconds.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.jsonio import JsonFileError, read_json_file
from gpt2_studio.core.models.safetensors_header import FLOAT_DTYPES, HeaderError, read_header

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX_FILE = "model.safetensors.index.json"
PICKLE_WEIGHT_FILES = ("pytorch_model.bin", "pytorch_model.bin.index.json", "model.ckpt", "pytorch_model.pt")
TOKENIZER_FILES = ("tokenizer.json",)
BPE_FILES = ("vocab.json", "merges.txt")
CONFIG_MAX_BYTES = 1024 * 1024
INDEX_MAX_BYTES = 16 * 1024 * 1024

CONVERT_HINT = (
    "convert it once with a trusted Python: "
    "`GPT2LMHeadModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)`"
)

_GPT2_DEFAULTS = {"vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12}
#: Upper bounds far beyond any GPT-2 (XL: 48 layers, 25 heads, width 1600, 1024 positions, 50257 tokens);
#: they only stop absurd values before they reach a loop or an allocation.
SIZE_LIMITS = {
    "vocab_size": 4_000_000,
    "n_positions": 1_048_576,
    "n_ctx": 1_048_576,
    "n_embd": 65_536,
    "n_layer": 1_024,
    "n_head": 1_024,
    "n_inner": 262_144,
}
#: The activations transformers' GPT-2 accepts (transformers.activations.ACT2FN).
ACTIVATIONS = frozenset(
    {
        "gelu", "gelu_10", "gelu_accurate", "gelu_fast", "gelu_new", "gelu_python", "gelu_python_tanh",
        "gelu_pytorch_tanh", "hardswish", "laplace", "leaky_relu", "linear", "mish", "quick_gelu",
        "relu", "relu2", "relu6", "sigmoid", "silu", "swish", "tanh",
    }
)  # fmt: skip
_PROBABILITIES = ("resid_pdrop", "embd_pdrop", "attn_pdrop", "summary_first_dropout")
_SWITCHES = (
    "scale_attn_weights",
    "use_cache",
    "scale_attn_by_inverse_layer_idx",
    "reorder_and_upcast_attn",
    "tie_word_embeddings",
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


def shown_path(path: Path | str) -> str:
    """A path as text that can always be printed (bytes that are not UTF-8 become U+FFFD)."""
    return os.fsencode(str(path)).decode("utf-8", "replace")


def expand_user(path: str | Path) -> Path:
    """``~`` and ``~user`` expanded; a path whose user does not exist stays as written (and is missing)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:  # "Could not determine home directory"
        return Path(path)


def _fail(folder: Path | str, problem: str) -> ModelError:
    where = folder if isinstance(folder, str) else f"Model folder {shown_path(folder)}"
    return ModelError(f"{where}: {problem}")


def file_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable regular file ("is missing", "is a named pipe"…), or None."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link that loops back on itself"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "cannot be read (permission denied)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "is a broken symbolic link" if path.is_symlink() else "is missing"
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None if os.access(path, os.R_OK) else "cannot be read (permission denied)"
    kinds = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a named pipe", stat.S_ISSOCK: "a socket"}
    kind = next((name for test, name in kinds.items() if test(mode)), "a device")
    return f"is {kind}, not a regular file"


def _require_file(folder: Path, name: str, missing: str | None = None) -> Path:
    path = folder / name
    problem = file_problem(path)
    if problem == "is missing" and missing:
        raise _fail(folder, missing)
    if problem:
        raise _fail(folder, f"{name} {problem}.")
    return path


def _json_object(folder: Path, name: str, max_bytes: int) -> dict[str, Any]:
    try:
        value = read_json_file(folder / name, name, max_bytes=max_bytes, max_depth=16)
    except JsonFileError as exc:
        raise _fail(folder, str(exc)) from None
    if not isinstance(value, dict):
        raise _fail(folder, f"{name} is not a JSON object.")
    return value


def _plain_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return (_plain_int(value) or isinstance(value, float)) and math.isfinite(value)


def _check_sizes(folder: Path | str, config: dict[str, Any]) -> None:
    for key, limit in SIZE_LIMITS.items():
        if key in ("n_ctx", "n_inner") and config.get(key) is None:
            continue
        value = config.setdefault(key, _GPT2_DEFAULTS.get(key))
        if not _plain_int(value) or not 1 <= value <= limit:
            raise _fail(
                folder,
                f"config.json has an invalid {key} ({value!r}); "
                f"it must be a whole number from 1 to {limit:,}.",
            )
    if config["n_embd"] % config["n_head"]:
        raise _fail(folder, "config.json n_embd is not a multiple of n_head.")


def _check_settings(folder: Path | str, config: dict[str, Any]) -> None:
    activation = config.get("activation_function", "gelu_new")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise _fail(folder, f"config.json names an unknown activation_function ({activation!r}).")
    epsilon = config.get("layer_norm_epsilon", 1e-5)
    if not _number(epsilon) or not 0 < epsilon < 1:
        raise _fail(
            folder,
            f"config.json has an invalid layer_norm_epsilon ({epsilon!r}); "
            "it must be a small positive number.",
        )
    for key in _PROBABILITIES:
        value = config.get(key, 0.0)
        if not _number(value) or not 0 <= value <= 1:
            raise _fail(folder, f"config.json has an invalid {key} ({value!r}); it must be from 0 to 1.")
    for key in _SWITCHES:
        if not isinstance(config.get(key, False), bool):
            raise _fail(
                folder, f"config.json has an invalid {key} ({config[key]!r}); it must be true or false."
            )
    if not _number(config.get("initializer_range", 0.02)):
        value = config["initializer_range"]
        raise _fail(folder, f"config.json has an invalid initializer_range ({value!r}).")
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        value = config.get(key)
        ids = value if isinstance(value, list) else [value]
        if value is not None and not all(_plain_int(i) and 0 <= i < config["vocab_size"] for i in ids):
            raise _fail(
                folder,
                f"config.json has an invalid {key} ({value!r}); it must be a token id below vocab_size.",
            )


def check_config(config: Any, where: Path | str) -> dict[str, Any]:
    """A parsed config.json, checked to describe a GPT-2 language model of sane size.

    ``where`` is the model folder, or text that starts the error message ("openai-community/gpt2's
    config.json"). Missing sizes get GPT-2's defaults. Raises ModelError naming the first problem.
    """
    if not isinstance(config, dict):
        raise _fail(where, f"{CONFIG_FILE} is not a JSON object.")
    model_type = config.get("model_type")
    if model_type != "gpt2":
        if not isinstance(model_type, str) or not model_type:
            raise _fail(where, "config.json names no model_type, so it is not a GPT-2 model.")
        raise _fail(
            where, f"is a {model_type[:80]} model, not GPT-2 (config.json model_type must be 'gpt2')."
        )
    if config.get("add_cross_attention"):
        raise _fail(where, "is a GPT-2 with cross-attention (an encoder-decoder part), not a language model.")
    _check_sizes(where, config)
    _check_settings(where, config)
    return config


def read_config(folder: Path) -> dict[str, Any]:
    """config.json as a dict, checked to describe a GPT-2 language model of sane size."""
    _require_file(folder, CONFIG_FILE, f"has no {CONFIG_FILE}, so it is not a Hugging Face model folder.")
    return check_config(_json_object(folder, CONFIG_FILE, CONFIG_MAX_BYTES), folder)


def read_safetensors_header(path: Path) -> dict[str, dict[str, Any]]:
    """The tensor table of a .safetensors file (name → dtype, shape, data_offsets), checked soundly."""
    problem = file_problem(path)
    if problem:
        raise _fail(path.parent, f"{path.name} {problem}.")
    try:
        entries = read_header(path)
    except OSError as exc:
        raise _fail(path.parent, f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    except HeaderError as exc:
        raise _fail(path.parent, f"{path.name} is {exc}.") from None
    return {
        name: {"dtype": e.dtype, "shape": list(e.shape), "data_offsets": [e.begin, e.end]}
        for name, e in entries.items()
    }


def _weight_files(folder: Path) -> tuple[Path, ...]:
    if file_problem(folder / WEIGHTS_FILE) != "is missing":
        return (_require_file(folder, WEIGHTS_FILE),)
    if file_problem(folder / WEIGHTS_INDEX_FILE) != "is missing":
        _require_file(folder, WEIGHTS_INDEX_FILE)
        weight_map = _json_object(folder, WEIGHTS_INDEX_FILE, INDEX_MAX_BYTES).get("weight_map")
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise _fail(folder, f"{WEIGHTS_INDEX_FILE} has no weight_map of tensor names to file names.")
        files = []
        for name in sorted(set(weight_map.values())):
            if Path(name).name != name or not name.endswith(".safetensors"):
                raise _fail(folder, f"{WEIGHTS_INDEX_FILE} names an unexpected file {name[:100]!r}.")
            files.append(_require_file(folder, name, f"weight shard {name} is missing."))
        if not files:
            raise _fail(folder, f"{WEIGHTS_INDEX_FILE} lists no weight files.")
        return tuple(files)
    pickles = [name for name in PICKLE_WEIGHT_FILES if os.path.lexists(folder / name)]
    if pickles:
        raise _fail(
            folder,
            f"has only {pickles[0]} weights, which are Python pickles that can run code when loaded, "
            f"so GPT-2 Studio does not open them; {CONVERT_HINT}.",
        )
    raise _fail(folder, f"has no weights ({WEIGHTS_FILE} is missing).")


def expected_shapes(config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Every GPT-2 weight name (without a ``transformer.`` prefix) and the shape config.json implies.

    ``config`` must have passed :func:`read_config` (sizes bounded).
    """
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


def _layer_count(found: dict[str, list[int]]) -> int:
    indices = {name.split(".")[1] for name in found if name.startswith("h.") and name.count(".") >= 2}
    return len(indices)


def _check_against_header(folder: Path, config: dict[str, Any], found: dict[str, list[int]]) -> None:
    """Compare the config's sizes with the header's shapes before building anything per layer."""
    checks = [
        ("wte.weight", ("vocab_size", "n_embd")),
        ("wpe.weight", ("n_positions", "n_embd")),
    ]
    for tensor, keys in checks:
        shape = found.get(tensor)
        if shape is None:
            raise _fail(folder, f"the weights lack {tensor} (not a complete GPT-2 checkpoint).")
        implied = tuple(config[key] for key in keys)
        if tuple(shape) != implied:
            raise _fail(
                folder,
                f"weight {tensor} has shape {tuple(shape)} but config.json implies {implied} "
                f"({' × '.join(keys)}); the weights and config.json do not belong together.",
            )
    layers = _layer_count(found)
    if layers != config["n_layer"]:
        raise _fail(
            folder,
            f"config.json says n_layer is {config['n_layer']:,} but the weights hold {layers} layers; "
            "the weights and config.json do not belong together.",
        )


def _check_tokenizer(folder: Path) -> None:
    if file_problem(folder / "tokenizer.json") != "is missing":
        _require_file(folder, "tokenizer.json")
        return
    if any(file_problem(folder / name) != "is missing" for name in BPE_FILES):
        first, second = BPE_FILES
        _require_file(folder, first, f"has {second} but not {first}; the tokenizer needs both.")
        _require_file(folder, second, f"has {first} but not {second}; the tokenizer needs both.")
        return
    raise _fail(folder, "has no tokenizer (tokenizer.json, or vocab.json with merges.txt).")


def _check_folder(folder: Path) -> None:
    try:
        os.fsencode(str(folder)).decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(
            folder,
            "its path is not valid UTF-8 text, which the tokenizer and weight libraries cannot open; "
            "rename the folder.",
        ) from None
    try:
        info = folder.stat()
    except OSError as exc:
        if exc.errno == errno.ENOENT and not folder.is_symlink():
            raise _fail(folder, "does not exist.") from None
        problem = file_problem(folder) or "cannot be read"
        raise _fail(folder, f"{problem.replace('is missing', 'does not exist')}.") from None
    if not stat.S_ISDIR(info.st_mode):
        raise _fail(folder, "is a file, not a folder.")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise _fail(folder, "cannot be read (permission denied).")


def inspect_checkpoint(folder: str | Path) -> CheckpointInfo:
    """Check that a folder holds a loadable GPT-2 checkpoint; raise ModelError saying what is wrong."""
    folder = expand_user(folder)
    _check_folder(folder)
    config = read_config(folder)
    files = _weight_files(folder)
    found: dict[str, list[int]] = {}
    dtypes: dict[str, str] = {}
    for path in files:
        for name, entry in read_safetensors_header(path).items():
            found[name.removeprefix("transformer.")] = entry["shape"]
            dtypes[name.removeprefix("transformer.")] = entry["dtype"]
    _check_against_header(folder, config, found)
    for name, shape in expected_shapes(config).items():
        if name not in found:
            raise _fail(folder, f"the weights lack {name} (not a complete GPT-2 checkpoint).")
        if tuple(found[name]) != shape:
            raise _fail(
                folder,
                f"weight {name} has shape {tuple(found[name])} but config.json implies {shape}; "
                "the weights and config.json do not belong together.",
            )
        if dtypes[name] not in FLOAT_DTYPES:
            raise _fail(folder, f"weight {name} holds {dtypes[name]} values, not floating-point numbers.")
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

"""A quantized copy of a model's weights in the user's cache folder, so that the next load maps it.

Quantizing a checkpoint takes a second or more and reads every fp32 byte; the copy holds `RunnerWeights`
exactly as the runner computes with them (int8 or bf16), as a safetensors file that a later load maps
into memory without copying. One folder per model folder (named by a hash of its path, so removing the
model removes it), one file per precision, its name carrying the checkpoint's fingerprint, the runner's
`LAYOUT_VERSION` and this module's format: a changed checkpoint, runner layout or format is another
name, so the stale copy is never read and is deleted when the new one is written.

The copy is disposable: one that cannot be written (read-only or full disk) or read back (damaged,
truncated, edited) is skipped or rebuilt with a log line, never an error for the user.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import mmap
import os
import shutil
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gpt2_studio import paths
from gpt2_studio.core.models.checkpoint import CheckpointInfo, shown_path
from gpt2_studio.core.models.safetensors_header import MAX_HEADER_BYTES, HeaderError, read_header

if TYPE_CHECKING:  # torch is imported where weights are handled, so that removing a model needs none
    import torch

    from gpt2_studio.core.runner.weights import RunnerConfig, RunnerWeights

log = logging.getLogger(__name__)

CACHE_FOLDER = "runner-weights"
#: This module's file format; bump it when what `_flatten` writes changes.
FORMAT_VERSION = 1
#: Precisions worth caching: fp32 is the checkpoint itself.
CACHED_PRECISIONS = ("int8", "bf16")
_DTYPE_NAMES = ("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL")
_LINEARS = ("attn", "proj", "fc", "fc_out")
ALIGNMENT = 64
STALE_PARTIAL_SECONDS = 3600
_PAD = "__pad."
#: Beside each model's cache folder, "<folder>.source": the model folder's path (its bytes), so that a
#: copy whose model folder was renamed or deleted outside the app can be found and removed.
SOURCE_SUFFIX = ".source"
_MAX_SOURCE_BYTES = 16384


def model_cache_folder(model_folder: Path) -> Path:
    """The cache folder of one model folder (which need not exist)."""
    key = hashlib.sha256(os.fsencode(str(Path(model_folder).resolve()))).hexdigest()[:24]
    return paths.cache_dir() / CACHE_FOLDER / key


def fingerprint(info: CheckpointInfo) -> str:
    """A hash of what the weights are made from: the checked config, and each weight file's identity.

    A file's identity is its name, size, modification and change times, inode and safetensors header:
    anything that rewrites a checkpoint changes one of them (the change time even when a write in place is
    followed by touch -r or rsync -t, which set the modification time back), and none needs the gigabytes
    read. A chmod or rename also moves the change time: that costs one rebuild, never a stale copy.
    """
    digest = hashlib.sha256(b"gpt2-studio checkpoint\0")
    digest.update(json.dumps(info.config, sort_keys=True, default=str).encode())
    for path in info.weight_files:
        status = path.stat()
        times = f"{status.st_mtime_ns}\0{status.st_ctime_ns}"
        digest.update(f"\0{path.name}\0{status.st_size}\0{times}\0{status.st_ino}\0".encode())
        with path.open("rb") as handle:
            prefix = handle.read(8)
            (length,) = struct.unpack("<Q", prefix) if len(prefix) == 8 else (0,)
            digest.update(prefix + handle.read(min(length, MAX_HEADER_BYTES)))
    return digest.hexdigest()[:32]


def cache_path(info: CheckpointInfo, precision: str) -> Path:
    """Where the quantized copy of `info`'s weights in `precision` lives."""
    from gpt2_studio.core.runner import layers

    name = f"{precision}-f{FORMAT_VERSION}-l{layers.LAYOUT_VERSION}-{fingerprint(info)}.safetensors"
    return model_cache_folder(info.folder) / name


def _dtypes() -> dict[str, torch.dtype]:
    """safetensors' element type names and torch's dtypes."""
    import torch

    names = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")
    return {name: getattr(torch, dtype) for name, dtype in zip(_DTYPE_NAMES, names, strict=True)}


def _flatten(weights: RunnerWeights) -> dict[str, torch.Tensor]:
    out = {f"wte.{key}": tensor for key, tensor in weights.wte.tensors().items()}
    out["wpe"] = weights.wpe
    out["ln_f.weight"], out["ln_f.bias"] = weights.ln_f
    for i, layer in enumerate(weights.layers):
        out[f"h.{i}.ln1.weight"], out[f"h.{i}.ln1.bias"] = layer.ln1
        out[f"h.{i}.ln2.weight"], out[f"h.{i}.ln2.bias"] = layer.ln2
        for part in _LINEARS:
            tensors = getattr(layer, part).tensors()
            out.update({f"h.{i}.{part}.{key}": t for key, t in tensors.items()})
    return out


#: Each linear's weight as the copy stores it, [out, in], in multiples of the model's width.
_LINEAR_SHAPES = {"attn": (3, 1), "proj": (1, 1), "fc": (4, 1), "fc_out": (1, 4)}


def _check_linear(group: dict[str, torch.Tensor], shape: tuple[int, int], width: int, what: str) -> None:
    """A linear of the wrong shape would only fail in the middle of a request: refuse it here.

    (The copy's values were checked by a forward pass when it was written; its shapes are what a
    damaged or foreign file can get wrong without a NaN.)
    """
    out, inner = shape[0] * width, shape[1] * width
    weight, bias, scale = group.get("weight"), group.get("bias"), group.get("scale")
    if weight is None or bias is None or tuple(weight.shape) != (out, inner) or tuple(bias.shape) != (out,):
        raise ValueError(f"{what} does not have the model's shape")
    if scale is not None and tuple(scale.shape) != (out,):
        raise ValueError(f"{what}'s scales do not have the model's shape")


def _group(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {name[len(prefix) :]: t for name, t in tensors.items() if name.startswith(prefix)}


def _unflatten(tensors: dict[str, torch.Tensor], config: RunnerConfig, precision: str) -> RunnerWeights:
    """RunnerWeights from what `_flatten` wrote; raises ValueError/KeyError when something is off."""
    from gpt2_studio.core.runner.layers import Linear, TokenEmbedding
    from gpt2_studio.core.runner.weights import LayerWeights, RunnerWeights, compute_dtype

    compute = compute_dtype(precision)
    width = config.n_embd
    known = {"wpe", "ln_f.weight", "ln_f.bias"}
    wte = _group(tensors, "wte.")
    known |= {f"wte.{key}" for key in wte}
    if wte["weight"].shape[0] != config.vocab_size or tensors["wpe"].shape != (config.n_positions, width):
        raise ValueError("its embeddings do not have the model's shape")
    built = []
    for i in range(config.n_layer):
        h = f"h.{i}."
        parts = {part: _group(tensors, f"{h}{part}.") for part in _LINEARS}
        norms = [tensors[f"{h}{ln}.{key}"] for ln in ("ln1", "ln2") for key in ("weight", "bias")]
        if any(t.shape != (width,) for t in norms):
            raise ValueError(f"layer {i}'s layer norms do not have the model's width")
        for part, group in parts.items():
            _check_linear(group, _LINEAR_SHAPES[part], width, f"layer {i}'s {part}")
        known |= {f"{h}{ln}.{key}" for ln in ("ln1", "ln2") for key in ("weight", "bias")}
        known |= {f"{h}{part}.{key}" for part, group in parts.items() for key in group}
        built.append(
            LayerWeights(
                ln1=(norms[0], norms[1]),
                attn=Linear.from_tensors(parts["attn"], precision),
                proj=Linear.from_tensors(parts["proj"], precision),
                ln2=(norms[2], norms[3]),
                fc=Linear.from_tensors(parts["fc"], precision),
                fc_out=Linear.from_tensors(parts["fc_out"], precision),
            )
        )
    if set(tensors) != known:
        raise ValueError(f"it holds tensors the model has not ({sorted(set(tensors) - known)[:3]})")
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not _all_finite(tensor):
            raise ValueError(f"{name} holds NaN or infinite values")
    return RunnerWeights(
        config=config,
        precision=precision,
        wte=TokenEmbedding.from_tensors(wte, precision, compute),
        wpe=tensors["wpe"],
        layers=built,
        ln_f=(tensors["ln_f.weight"], tensors["ln_f.bias"]),
    )


def _all_finite(tensor: torch.Tensor) -> bool:
    """No NaN or infinity in `tensor`, without a temporary as large as it (bf16 would be widened)."""
    import torch

    if bool(torch.isfinite(tensor.sum())):  # any NaN or infinity makes the sum non-finite
        return True
    # A non-finite sum of finite values is an overflow: look element by element, a block at a time.
    return all(bool(torch.isfinite(block).all()) for block in tensor.reshape(-1).split(1 << 20))


def _write_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """A safetensors file written tensor by tensor from the tensors' own memory (no second copy).

    Every tensor starts at a multiple of ALIGNMENT bytes, so that a reader can map them in place: torch's
    int8 matrix product crashes on weights that are not 64-byte aligned.
    """
    names = {dtype: name for name, dtype in _dtypes().items()}
    order: list[tuple[str, torch.Tensor | int]] = []
    header: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name]
        size = tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": names[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + size],
        }
        order.append((name, tensor))
        offset += size
        pad = -size % ALIGNMENT
        if pad:  # the format allows no gaps between tensors: padding is a tensor of its own
            pad_name = f"{_PAD}{len(order)}"
            header[pad_name] = {"dtype": "U8", "shape": [pad], "data_offsets": [offset, offset + pad]}
            order.append((pad_name, pad))
            offset += pad
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 64)  # data starts 64-byte aligned
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text)
        for _name, item in order:
            if isinstance(item, int):
                handle.write(bytes(item))
                continue
            tensor = item.detach().cpu().contiguous()
            size = tensor.numel() * tensor.element_size()
            if size:
                handle.write(memoryview((ctypes.c_char * size).from_address(tensor.data_ptr())))
        handle.flush()
        os.fsync(handle.fileno())  # a copy cut short by a power failure must not look whole


def save_cached(info: CheckpointInfo, weights: RunnerWeights) -> Path | None:
    """Write the quantized copy atomically and delete the model's stale ones; None when it cannot be."""
    if weights.precision not in CACHED_PRECISIONS:
        return None
    temporary = None
    try:
        target = cache_path(info, weights.precision)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        metadata = {
            "format": "pt",
            "gpt2_studio_format": str(FORMAT_VERSION),
            "source": shown_path(info.folder),
        }
        _write_safetensors(temporary, _flatten(weights), metadata)
        os.replace(temporary, target)
        _source_file(target.parent).write_bytes(os.fsencode(str(Path(info.folder).resolve())))
    except OSError as exc:
        log.warning("Could not keep a quantized copy of %s: %s", shown_path(info.folder), exc.strerror or exc)
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        return None
    current = target.name.split("-", 1)[1]  # the same checkpoint, layout and format in any precision
    with contextlib.suppress(OSError):  # a stale copy left behind costs disk space, nothing else
        for other in target.parent.glob("*.safetensors"):
            if other.name.split("-", 1)[-1] != current:
                other.unlink(missing_ok=True)
        # A copy half-written when a process was killed; an hour is far longer than any write takes.
        for partial in target.parent.glob(".*.tmp"):
            if time.time() - partial.stat().st_mtime > STALE_PARTIAL_SECONDS:
                partial.unlink(missing_ok=True)
    remove_orphans()
    return target


def _source_file(cache_folder: Path) -> Path:
    return cache_folder.with_name(cache_folder.name + SOURCE_SUFFIX)


def remove_orphans() -> None:
    """Delete the copies of model folders that no longer exist (renamed, moved or deleted outside the app).

    Only folders whose source file names a missing folder that hashes to them are removed, so a copy
    being written by another process, or one from before source files, is left alone.
    """
    root = paths.cache_dir() / CACHE_FOLDER
    with contextlib.suppress(OSError):
        for record in root.glob(f"*{SOURCE_SUFFIX}"):
            folder = record.with_name(record.name[: -len(SOURCE_SUFFIX)])
            try:
                with record.open("rb") as handle:
                    source = Path(os.fsdecode(handle.read(_MAX_SOURCE_BYTES)))
                if source.is_absolute() and not source.exists() and model_cache_folder(source) == folder:
                    shutil.rmtree(folder, ignore_errors=True)
                    record.unlink(missing_ok=True)
            except (OSError, ValueError):
                continue


def load_cached(info: CheckpointInfo, precision: str) -> RunnerWeights | None:
    """The quantized copy mapped into memory, or None when there is none or it is unusable (then deleted)."""
    if precision not in CACHED_PRECISIONS:
        return None
    import torch

    from gpt2_studio.core.runner.weights import RunnerConfig

    dtypes = _dtypes()
    try:
        path = cache_path(info, precision)
        if not path.is_file():
            return None
        entries = read_header(path)
        with path.open("rb") as handle:
            (header_len,) = struct.unpack("<Q", handle.read(8))
            # A private mapping: pages come from the page cache on first use and are never copied.
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
        start = 8 + header_len
        tensors = {}
        for name, entry in entries.items():
            if name.startswith(_PAD):
                continue
            dtype = dtypes[entry.dtype]
            count = entry.end - entry.begin
            if not count:
                tensors[name] = torch.empty(entry.shape, dtype=dtype)
                continue
            flat = torch.frombuffer(
                mapped, dtype=dtype, count=count // dtype.itemsize, offset=start + entry.begin
            )
            if (start + entry.begin) % ALIGNMENT:  # not written by save_cached: copy rather than crash
                flat = flat.clone()
            tensors[name] = flat.reshape(entry.shape)
        return _unflatten(tensors, RunnerConfig.from_dict(info.config), precision)
    except (OSError, HeaderError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        log.warning("Ignoring the damaged quantized copy of %s (%s)", shown_path(info.folder), exc)
        discard(info, precision)
        return None


def discard(info: CheckpointInfo, precision: str) -> None:
    """Delete the quantized copy of `info` in `precision` (one found damaged)."""
    try:
        cache_path(info, precision).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("Could not delete a damaged quantized copy: %s", exc.strerror or exc)


def remove_cached(model_folder: Path) -> None:
    """Delete every quantized copy of a model folder (when the model is removed)."""
    folder = model_cache_folder(model_folder)
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        _source_file(folder).unlink(missing_ok=True)

"""Find a GPT-2 checkpoint on disk and load it safely onto the right device.

Safety: weights come only from .safetensors files (checked by `inspect_checkpoint` first), the model
class is GPT-2's own (no Auto class, never remote code), and nothing is fetched from the network.
On the CPU no transformers model is built at all: the runner's weights are read straight from the
safetensors (`weights_file`) or mapped from their quantized copy (`quantized_cache`); CUDA, fp16 and
accelerate's GPU/CPU split load transformers' GPT2LMHeadModel.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpt2_studio.core.errors import ModelError, SettingsError
from gpt2_studio.core.jsonio import JsonFileError, read_json_file
from gpt2_studio.core.models.checkpoint import (
    CheckpointInfo,
    file_problem,
    inspect_checkpoint,
    shown_path,
)
from gpt2_studio.core.models.resolve import resolve_model

if TYPE_CHECKING:
    from gpt2_studio.core.models.tokenizer import GPT2BPETokenizer

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
PRECISION_CHOICES = ("auto", "fp32", "bf16", "int8", "fp16")


@dataclass
class LoadedModel:
    """A model ready to run: the fast runner, its tokenizer, and where and how it runs."""

    name: str
    folder: Path
    info: CheckpointInfo
    runner: Any  # core.runner.GPT2Runner; typed loosely so this module imports without torch
    tokenizer: GPT2BPETokenizer  # GPT-2's BPE; the subset of transformers' tokenizer API the app uses
    device: str
    precision: str
    eos_token_id: int
    warnings: list[str] = field(default_factory=list)

    @property
    def n_positions(self) -> int:
        """The model's window in tokens."""
        return self.info.n_positions


def gpu_bytes_needed(info: CheckpointInfo) -> int:
    """GPU memory a checkpoint needs in fp16: weights, a full-window cache for a few rows, CUDA's own."""
    cache = 2 * info.n_layer * info.n_positions * info.n_embd * 2 * 4
    return info.parameters * 2 + cache + 600_000_000


def plan_placement(info: CheckpointInfo, requested: str, free_vram: int | None) -> tuple[str, str | None]:
    """Where the weights go: "cuda", "cpu" or "split" (GPU layers first, the rest on the CPU), and why.

    A model bigger than the free GPU memory runs on the CPU when the device is auto; when CUDA was asked
    for explicitly, accelerate splits it so that as much as fits runs on the GPU.
    """
    if requested == "cpu" or free_vram is None:
        return "cpu", None
    needed = gpu_bytes_needed(info)
    if needed <= free_vram:
        return "cuda", None
    size = f"needs {needed / 1e9:.1f} GB of GPU memory but {free_vram / 1e9:.1f} GB are free"
    if requested == "auto":
        return "cpu", f"The model {size}; it runs on the CPU instead."
    return "split", f"The model {size}; its first layers run on the GPU and the rest on the CPU."


def _pick_device(device: str, warnings: list[str]) -> str:
    import torch

    if device not in DEVICES:
        raise SettingsError(f"device must be one of {', '.join(DEVICES)}, not {device!r}.")
    cuda = torch.cuda.is_available()
    if device == "cuda" and not cuda:
        raise SettingsError(
            f"CUDA was asked for, but this torch {torch.__version__} sees no CUDA GPU; use cpu or auto."
        )
    if device == "auto":
        return "cuda" if cuda else "cpu"
    return device


def _pick_precision(precision: str, device: str) -> str:
    from gpt2_studio.core.runner import int8_supported

    if precision not in PRECISION_CHOICES:
        raise SettingsError(f"precision must be one of {', '.join(PRECISION_CHOICES)}, not {precision!r}.")
    if precision == "auto":
        if device == "cuda":
            return "fp16"
        return "int8" if int8_supported() else "fp32"
    if device == "cuda" and precision in ("int8", "bf16"):
        raise SettingsError(f"{precision} is a CPU mode; on CUDA use fp16 or fp32.")
    if device == "cpu" and precision == "fp16":
        raise SettingsError("fp16 is for CUDA; on the CPU use int8, bf16 or fp32.")
    if precision == "int8" and not int8_supported():
        raise SettingsError("this torch build has no int8 CPU kernels; use fp32 or bf16.")
    return precision


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' info logs and progress bars (they are noise in an app and in tests)."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


#: JSON files beside the weights that transformers reads on the CUDA path (the tokenizer's are read by
#: `tokenizer`), and how large each may be.
SIDE_JSON_LIMITS = {"generation_config.json": 1024 * 1024}


def _check_side_files(info: CheckpointInfo) -> None:
    """Parse, with bounds, every other JSON file transformers will read, so none reaches it deep or huge."""
    folder = info.folder
    for name, limit in SIDE_JSON_LIMITS.items():
        path = folder / name
        if not os.path.lexists(path):
            continue
        problem = file_problem(path)
        if problem:
            raise ModelError(f"Model folder {shown_path(folder)}: {name} {problem}.")
        try:
            value = read_json_file(path, name, max_bytes=limit, max_depth=32)
        except JsonFileError as exc:
            raise ModelError(f"Model folder {shown_path(folder)}: {exc}") from None
        if not isinstance(value, dict):
            raise ModelError(f"Model folder {shown_path(folder)}: {name} is not a JSON object.")


def _check_special_tokens(info: CheckpointInfo, tokenizer: Any) -> None:
    """Tokens the tokenizer files name but its vocabulary lacks get ids past the model's: say which."""
    unknown = sorted(
        (index, token) for token, index in tokenizer.get_added_vocab().items() if index >= info.vocab_size
    )
    if unknown and len(tokenizer) - len(unknown) <= info.vocab_size:
        names = ", ".join(repr(token[:40]) for _, token in unknown[:3])
        raise ModelError(
            f"Model folder {shown_path(info.folder)}: the tokenizer files name the token {names}, which is "
            "not in the vocabulary; remove it from the tokenizer files (tokenizer_config.json, "
            "special_tokens_map.json, added_tokens.json) or name a token the vocabulary has, such as "
            "<|endoftext|>."
        )
    if len(tokenizer) > info.vocab_size:
        raise ModelError(
            f"Model folder {shown_path(info.folder)}: the tokenizer has {len(tokenizer)} tokens but the "
            f"model only {info.vocab_size}; they do not belong together."
        )


def _load_tokenizer(info: CheckpointInfo) -> GPT2BPETokenizer:
    from gpt2_studio.core.models.tokenizer import load_tokenizer

    _check_side_files(info)
    tokenizer = load_tokenizer(info.folder)
    _check_special_tokens(info, tokenizer)
    return tokenizer


def check_finite(model: Any, folder: Path, precision: str = "fp32") -> None:
    """Refuse weights holding NaN or infinity: they would make every suggestion empty or garbage.

    Raises ModelError naming the first such tensor. One pass over the weights, cheap next to reading them.
    """
    import itertools

    import torch

    from gpt2_studio.core.models.weights_file import non_finite_weight

    for name, tensor in itertools.chain(model.named_parameters(), model.named_buffers()):
        if tensor.device.type == "meta" or not tensor.is_floating_point():
            continue
        if bool(torch.isfinite(tensor).all()):
            continue
        if precision == "fp16":  # fp32 values beyond ±65504 become infinite in fp16
            raise ModelError(
                f"Model folder {shown_path(folder)}: weight {name} contains NaN or infinite values in fp16 "
                "(a value beyond fp16's range, or a damaged file); try the fp32 precision."
            )
        raise non_finite_weight(folder, name)


def _load_weights(info: CheckpointInfo, device: str, precision: str, free_vram: int | None = None) -> Any:
    import torch
    from transformers import GPT2LMHeadModel

    dtype = torch.float16 if precision == "fp16" else torch.float32
    split: dict[str, Any] = {}
    if device == "split":
        # accelerate places whole blocks on the GPU until max_memory is reached, the rest on the CPU.
        budget = max(0, int((free_vram or 0) * 0.85) - 600_000_000)
        split = {"device_map": "auto", "max_memory": {0: budget, "cpu": 10**13}}
    try:
        with quiet_transformers():
            model = GPT2LMHeadModel.from_pretrained(
                str(info.folder), dtype=dtype, use_safetensors=True, local_files_only=True, **split
            )
    except Exception as exc:  # config values transformers rejects late raise TypeError, KeyError…
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]
        raise ModelError(
            f"Model folder {shown_path(info.folder)}: the weights cannot be loaded ({first})."
        ) from exc
    check_finite(model, info.folder, precision)
    model.eval()
    model.requires_grad_(False)  # inference only: derived tensors must not keep the originals alive
    if device == "cuda":
        # transformers wraps to() so that its stub takes the model as the first argument.
        model.to(device)  # type: ignore[arg-type]
    return model


def load_cpu_runner(info: CheckpointInfo, precision: str) -> Any:
    """A GPT2Runner on the CPU (fp32, bf16 or int8) read straight from the checkpoint's safetensors.

    No transformers model is built: each tensor is read, checked and converted on its own (see
    `weights_file`), and int8/bf16 weights are kept in the cache folder so that the next load maps them
    (see `quantized_cache`). Raises ModelError for weights that are not finite or overflow the output.
    """
    from gpt2_studio.core.models import quantized_cache
    from gpt2_studio.core.models.weights_file import build_runner, check_runner_output, read_runner_weights

    cached = quantized_cache.load_cached(info, precision)
    if cached is not None:
        try:
            # No overflow probe: the copy holds the very weights the probe passed when it was written
            # (its name carries the checkpoint's fingerprint), and load_cached checks its shapes and
            # that every value is finite. The probe was 40 ms of a 124M load's 0.15 s.
            return build_runner(cached, info.folder)
        except (ModelError, RuntimeError) as exc:  # only a damaged copy fails: it was checked when written
            log.warning("Rebuilding the quantized copy of %s (%s)", shown_path(info.folder), exc)
            quantized_cache.discard(info, precision)
    weights = read_runner_weights(info, precision)
    runner = build_runner(weights, info.folder)
    check_runner_output(runner, info.folder)
    quantized_cache.save_cached(info, weights)
    return runner


def load_model(ref: str | Path, device: str = "auto", precision: str = "auto") -> LoadedModel:
    """Load a GPT-2 checkpoint from a folder, catalog name or repo id already on disk.

    device: auto (CUDA when available, else CPU), cpu or cuda. precision: auto (fp16 on CUDA, int8
    weights on a CPU that supports it), fp32 (exact), bf16, int8 or fp16.
    """
    import torch

    from gpt2_studio.core.models.weights_file import check_runner_output
    from gpt2_studio.core.runner import GPT2Runner

    name, folder = resolve_model(ref)
    info = inspect_checkpoint(folder)
    warnings: list[str] = []
    chosen = _pick_device(device, warnings)
    chosen_precision = _pick_precision(precision, chosen)
    tokenizer = _load_tokenizer(info)
    placement = "cpu"
    if chosen == "cuda":
        from gpt2_studio.core.models.memory import free_vram_bytes

        free_vram = free_vram_bytes()
        placement, message = plan_placement(info, device, free_vram)
        if message:
            log.warning(message)
            warnings.append(message)
        if placement == "cpu":
            chosen = "cpu"
            chosen_precision = _pick_precision("auto" if precision in ("auto", "fp16") else precision, chosen)
    runner = None
    if chosen == "cuda":
        try:
            model = _load_weights(
                info, placement, chosen_precision, free_vram if placement == "split" else None
            )
            runner = GPT2Runner.from_model(model, chosen_precision)
            if placement != "split":  # not worth a probe across a GPU/CPU split
                check_runner_output(runner, info.folder)
        except (torch.cuda.OutOfMemoryError, RuntimeError) as exc:
            message = f"Could not load {name} on CUDA ({str(exc).splitlines()[0]}); using the CPU instead."
            log.warning(message)
            warnings.append(message)
            chosen = "cpu"
            chosen_precision = _pick_precision("auto" if precision in ("auto", "fp16") else precision, chosen)
    if runner is None:
        runner = load_cpu_runner(info, chosen_precision)
    eos = tokenizer.eos_token_id
    if eos is None:
        eos = info.config.get("eos_token_id", info.vocab_size - 1)
    log.info("Loaded %s from %s on %s (%s)", name, folder, chosen, chosen_precision)
    return LoadedModel(
        name=name,
        folder=folder,
        info=info,
        runner=runner,
        tokenizer=tokenizer,
        device=chosen,
        precision=chosen_precision,
        eos_token_id=int(eos),
        warnings=warnings,
    )

"""A run's resumable state: trainable weights, AdamW's state and the RNG as safetensors, the rest JSON.

Layout of ``<data>/training/<name>/``: ``checkpoint/`` holds ``weights.safetensors`` (the LoRA adapters,
or every weight for full fine-tuning), ``optimizer.safetensors`` (each parameter's AdamW moments and
step count, and torch's RNG state as bytes) and ``state.json`` (step, settings, file list, the
baseline figures). A new checkpoint is written beside the old one and renamed over it, so a crash while
saving leaves the previous one whole. Nothing is pickled.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpt2_studio.core.jsonio import JsonFileError, read_json_file
from gpt2_studio.core.training.corpus import TrainingError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.json"
WEIGHTS_FILE = "weights.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
FORMAT = 1


@dataclass
class SavedRun:
    """What a checkpoint holds besides the tensors."""

    step: int
    state: dict[str, Any]  # the JSON: settings, sources, corpus fingerprint, baseline, elapsed seconds


def saved_step(folder: Path) -> int | None:
    """The step a run folder's checkpoint was saved at, or None without a usable checkpoint."""
    try:
        data = read_json_file(folder / CHECKPOINT_DIR / STATE_FILE, max_bytes=16 * 1024 * 1024)
    except (JsonFileError, OSError):
        return None
    step = data.get("step") if isinstance(data, dict) else None
    return step if isinstance(step, int) and step >= 0 else None


def read_state(folder: Path) -> SavedRun:
    """The JSON part of a run's checkpoint; TrainingError when there is none or it is damaged."""
    try:
        data = read_json_file(folder / CHECKPOINT_DIR / STATE_FILE, max_bytes=16 * 1024 * 1024)
    except (JsonFileError, OSError) as exc:
        raise TrainingError(f"The run in {folder} cannot be resumed: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("step"), int):
        raise TrainingError(
            f"The run in {folder} cannot be resumed: its state file is not one this app wrote."
        )
    return SavedRun(int(data["step"]), data)


def save_checkpoint(
    folder: Path,
    step: int,
    trainable: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    state: dict[str, Any],
) -> None:
    """Write the checkpoint of ``step`` atomically (a temporary folder renamed over the old one)."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{CHECKPOINT_DIR}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    save_file({k: v.detach().contiguous().cpu() for k, v in trainable.items()}, str(staging / WEIGHTS_FILE))
    tensors: dict[str, torch.Tensor] = {"rng.cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    for index, values in optimizer.state_dict()["state"].items():
        for key, value in values.items():
            tensor = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            tensors[f"state.{index}.{key}"] = tensor.detach().contiguous().cpu()
    save_file(tensors, str(staging / OPTIMIZER_FILE))
    payload = {**state, "format": FORMAT, "step": step}
    (staging / STATE_FILE).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    _fsync_folder(staging)
    target = folder / CHECKPOINT_DIR
    old = folder / f".{CHECKPOINT_DIR}-old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    for path in folder.iterdir():
        try:
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        except OSError:  # pragma: no cover - a filesystem without fsync
            pass


def load_checkpoint(
    folder: Path, trainable: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer
) -> SavedRun:
    """Put a checkpoint's weights, optimizer state and RNG back; TrainingError when it does not fit."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    saved = read_state(folder)
    where = folder / CHECKPOINT_DIR
    try:
        weights = load_file(str(where / WEIGHTS_FILE))
        tensors = load_file(str(where / OPTIMIZER_FILE))
    except (OSError, SafetensorError) as exc:
        raise TrainingError(
            f"The checkpoint in {where} cannot be read ({exc}); remove it with --discard."
        ) from None
    if set(weights) != set(trainable) or any(weights[k].shape != v.shape for k, v in trainable.items()):
        raise TrainingError(f"The checkpoint in {where} does not match this model; remove it with --discard.")
    with torch.no_grad():
        for key, parameter in trainable.items():
            parameter.copy_(weights[key])
    state_dict = optimizer.state_dict()
    restored: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("state."):
            _, index, name = key.split(".", 2)
            restored.setdefault(int(index), {})[name] = value
    state_dict["state"] = restored
    optimizer.load_state_dict(state_dict)
    torch.set_rng_state(tensors["rng.cpu"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return saved


def discard_run(folder: Path) -> bool:
    """Remove a run's state folder; False when there was none."""
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True

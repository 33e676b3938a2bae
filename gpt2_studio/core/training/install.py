"""The trained model into the model store: a plain GPT-2 folder (merged weights, safetensors, tokenizer).

It is assembled in the store's partial folder and renamed into place only when whole and valid, so the
model switcher never lists half a model; its manifest records where it came from (never the text).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

from gpt2_studio.core.models.checkpoint import BPE_FILES, inspect_checkpoint
from gpt2_studio.core.models.store import (
    installed_folder,
    move_into_place,
    partial_folder,
    write_manifest,
)
from gpt2_studio.core.training.corpus import TrainingError

#: Tokenizer files copied from the base model's folder when it has them.
TOKENIZER_FILES = (
    *BPE_FILES,
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
)


def weights_sha256(files: tuple[Path, ...] | list[Path]) -> str:
    """sha256 over a checkpoint's weight files in order: which base the new model was trained from."""
    digest = hashlib.sha256()
    for path in files:
        with path.open("rb") as handle:
            while chunk := handle.read(4 * 1024 * 1024):
                digest.update(chunk)
    return digest.hexdigest()


def install_model(model: Any, base_folder: Path, name: str, training: dict[str, Any]) -> Path:
    """Save a plain GPT2LMHeadModel as the store's model ``name``; returns its folder.

    training is the manifest's record (base, corpus size, settings, figures). Raises TrainingError when
    the name was taken meanwhile; nothing is left in the partial folder on any failure.
    """
    from gpt2_studio.core.models.loading import quiet_transformers

    staging = partial_folder(name)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        model.config.use_cache = True
        with quiet_transformers():
            model.save_pretrained(str(staging), safe_serialization=True)
        for file_name in TOKENIZER_FILES:
            if (base_folder / file_name).is_file():
                shutil.copy2(base_folder / file_name, staging / file_name)
        write_manifest(
            staging,
            trained_from=training.get("base", ""),
            training={**training, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        )
        inspect_checkpoint(staging)  # whole and valid before it is listed
        if installed_folder(name) is not None:
            raise TrainingError(
                f"A model named {name!r} was installed while training ran; the run is kept: remove that "
                "model and run again with --resume."
            )
        return move_into_place(staging, name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

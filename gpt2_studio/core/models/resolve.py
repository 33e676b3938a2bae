"""Which folder a model reference means: a path, an installed name, or a Hugging Face repo id.

Names are looked up without any network access: first in the app's models folder, then in the Hugging
Face cache; a folder counts only when its checkpoint validates (a half-download does not).
"""

from __future__ import annotations

import os
from pathlib import Path

from gpt2_studio import paths
from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.models.catalog import find_catalog_model
from gpt2_studio.core.models.checkpoint import expand_user, inspect_checkpoint


def _is_path_like(ref: str) -> bool:
    # "owner/name" is a repo id; anything else with a separator is a path.
    return (
        ref.startswith((".", "~", "/"))
        or "\\" in ref
        or ref.count("/") > 1
        or (os.sep != "/" and os.sep in ref)
    )


def _local_store_folders(repo_id: str, name: str) -> list[Path]:
    root = paths.models_dir()
    return [root / name, root / repo_id.replace("/", "--")]


def _hf_cache_folder(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        return None
    # Read the environment now, not at huggingface_hub's import, so HF_HOME/HF_HUB_CACHE set later count.
    cache = os.environ.get("HF_HUB_CACHE") or (
        os.environ.get("HF_HOME") and str(Path(os.environ["HF_HOME"]) / "hub")
    )
    try:
        return Path(snapshot_download(repo_id, local_files_only=True, cache_dir=cache or None))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def _first_usable(folders: list[Path], problems: list[str]) -> Path | None:
    """The first folder that validates; the others' problems are noted (a half download is not a model)."""
    for folder in folders:
        if not os.path.lexists(folder):
            continue
        try:
            inspect_checkpoint(folder)
        except ModelError as exc:
            problems.append(str(exc).rstrip("."))
            continue
        return folder
    return None


def resolve_model(ref: str | Path) -> tuple[str, Path]:
    """Turn a folder path or a repo id/catalog name into (display name, folder on disk).

    A name counts as on this computer only when its folder validates (config, weights and tokenizer):
    a half-finished download in the models folder or the Hugging Face cache is reported, not returned.
    """
    if isinstance(ref, bytes | os.PathLike) and not isinstance(ref, Path):
        ref = Path(os.fsdecode(ref))  # os.fsencode'd paths and other path objects are folders too
    if isinstance(ref, Path):
        return ref.name, expand_user(ref)
    if not isinstance(ref, str):
        raise TypeError(f"the model must be a folder path or a model name, not {type(ref).__name__}")
    ref = ref.strip()
    if not ref:
        raise ModelError("No model given: pass a model folder or a name such as gpt2.")
    as_path = expand_user(ref)
    if as_path.is_dir() or _is_path_like(ref):
        return as_path.name or ref, as_path
    entry = find_catalog_model(ref)
    repo_ids = [entry.repo_id, entry.name] if entry else [ref]
    name = entry.name if entry else ref
    candidates: list[Path] = []
    for repo_id in repo_ids:
        candidates += _local_store_folders(repo_id, name)
    problems: list[str] = []
    folder = _first_usable(list(dict.fromkeys(candidates)), problems)
    if folder is None:
        cached = [_hf_cache_folder(repo_id) for repo_id in repo_ids]
        folder = _first_usable([f for f in cached if f is not None], problems)
    if folder is not None:
        return name, folder
    if problems:
        raise ModelError(
            f"Model {ref!r} is only partly on this computer ({problems[0]}); "
            "download it again or pass a folder that holds a GPT-2 checkpoint."
        )
    raise ModelError(
        f"Model {ref!r} is neither a folder nor a model downloaded to this computer (looked in "
        f"{paths.models_dir()} and the Hugging Face cache); pass a folder that holds a GPT-2 checkpoint."
    )

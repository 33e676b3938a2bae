"""Preset files: the built-ins shipped in the package, the user's own (one JSON file each in the per-user
config folder), and import/export. A user preset with a built-in's name replaces it until the built-ins
are reset; every write is atomic.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.generation.sampling_limits import PRESET_LIMITS, clamp_sampling_data
from gpt2_studio.core.jsonio import JsonFileError, loads_bounded, read_json_file
from gpt2_studio.core.presets.names import file_stem, unique_name
from gpt2_studio.core.presets.templates import Preset, PresetError, find_preset

log = logging.getLogger(__name__)

FILE_SUFFIX = ".json"


def user_presets_dir() -> Path:
    """Where the user's presets live, one JSON file each."""
    return paths.config_dir() / "presets"


def _from_file_data(item: Any, where: str, notes: list[str] | None, *, builtin: bool = False) -> Preset:
    """A preset read from a file: sampling numbers the editor cannot show are clamped (and noted)."""
    if isinstance(item, Mapping) and isinstance(item.get("sampling"), Mapping):
        sampling, clamped = clamp_sampling_data(item["sampling"], PRESET_LIMITS)
        if clamped:
            item = {**item, "sampling": sampling}
            if notes is not None:
                label = item.get("name", "?")
                notes.extend(f"Preset {label!r} in {where}: {c.describe()}." for c in clamped)
    return Preset.from_dict(item, builtin=builtin)


def builtin_presets() -> list[Preset]:
    """The presets that ship with the app."""
    raw = resources.files("gpt2_studio.data").joinpath("presets/builtin.json").read_bytes()
    data = loads_bounded(raw, "The built-in presets file")
    return [_from_file_data(item, "the built-in presets", None, builtin=True) for item in data]


def _read(path: Path, notes: list[str] | None = None) -> list[Preset]:
    """The preset(s) in one file: an object, or a list of objects (an export)."""
    try:
        data = read_json_file(path, f"The preset file {path}")
    except JsonFileError as exc:
        raise PresetError(str(exc)) from None
    items = data if isinstance(data, list) else [data]
    try:
        return [_from_file_data(item, str(path), notes) for item in items]
    except (PresetError, TypeError) as exc:
        raise PresetError(f"The preset file {path} is not usable: {exc}") from exc


def read_preset_file(path: Path) -> list[Preset]:
    """The preset(s) in one file; PresetError (one sentence naming the file) when it is unusable."""
    return _read(Path(path))


def _user_files(notes: list[str] | None = None) -> list[tuple[Path, list[Preset] | PresetError]]:
    """Every user preset file in load order (by name), with its presets or why it cannot be used."""
    folder = user_presets_dir()
    if not folder.is_dir():
        return []
    found: list[tuple[Path, list[Preset] | PresetError]] = []
    for path in sorted(folder.glob(f"*{FILE_SUFFIX}")):
        try:
            found.append((path, _read(path, notes)))
        except PresetError as exc:
            found.append((path, exc))
    return found


def load_presets() -> tuple[list[Preset], list[str]]:
    """Built-ins overlaid by the user's presets, and one message per file that had to be skipped.

    Files load in the order of their names; when two hold a preset of one name, the later one is used
    (and edits go to it: see save_user_preset).
    """
    presets = {p.name.lower(): p for p in builtin_presets()}
    problems: list[str] = []
    for path, loaded in _user_files(problems):
        if isinstance(loaded, PresetError):
            problems.append(f"{str(loaded).rstrip('.')}; it was skipped.")
            log.warning("%s", problems[-1])
            continue
        for preset in loaded:
            earlier = presets.get(preset.name.lower())
            if earlier is not None and not earlier.builtin:
                problems.append(f"Two presets are named {preset.name!r}; the one in {path} is used.")
            presets[preset.name.lower()] = preset
    return list(presets.values()), problems


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".preset-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False, indent=2)
            stream.write("\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def preset_files() -> dict[str, Path]:
    """For each user preset name (lower case), the file it is used from: the last in load order."""
    used: dict[str, Path] = {}
    for path, loaded in _user_files():
        if not isinstance(loaded, PresetError):
            used.update({p.name.lower(): path for p in loaded})
    return used


def preset_file(name: str) -> Path | None:
    """The user file whose preset of this name is the one in use, or None."""
    return preset_files().get(name.strip().lower())


def _remove_from_file(path: Path, name: str) -> None:
    """Take one preset out of its file; the file goes when it held only that one."""
    others = [p for p in read_preset_file(path) if p.name.lower() != name.lower()]
    if others:  # a file of several presets (an export dropped into the folder) keeps the rest
        _write_json(path, [p.to_dict() for p in others])
    else:
        path.unlink()


def save_user_preset(preset: Preset, *, replacing: str | None = None) -> Path:
    """Write a user preset (a new one, an edited one, or a changed copy of a built-in).

    An existing preset is written back to the file it is used from; a new one gets a new file whose
    name is portable (see names.file_stem). Raises OSError when the folder cannot be written.
    """
    old = preset_file(replacing or preset.name)
    if old is not None and len(read_preset_file(old)) == 1:
        path = old
    else:
        if old is not None:
            _remove_from_file(old, replacing or preset.name)
        path = user_presets_dir() / f"{file_stem(preset.name)}{FILE_SUFFIX}"
        stem, n = path.stem, 2
        while path.exists():
            path, n = path.with_name(f"{stem}-{n}{FILE_SUFFIX}"), n + 1
    _write_json(path, preset.to_dict())
    return path


def delete_user_preset(name: str) -> bool:
    """Remove a user preset (a built-in it replaced comes back); False when there was none."""
    path = preset_file(name)
    if path is None:
        return False
    _remove_from_file(path, name)
    return True


def reset_builtins() -> int:
    """Drop the user's changes to built-in presets; returns how many were reset."""
    return sum(delete_user_preset(p.name) for p in builtin_presets())


def export_presets(presets: list[Preset], path: Path) -> None:
    """Write presets to one file that import_presets (on any computer) reads back."""
    _write_json(Path(path), [p.to_dict() for p in presets])


class ImportConflictError(PresetError):
    """Presets being imported have the names of presets that exist; ``names`` lists them."""

    def __init__(self, names: list[str]) -> None:
        shown = ", ".join(repr(name) for name in names)
        super().__init__(f"There are already presets named {shown}.")
        self.names = names


IMPORT_CHOICES = ("ask", "replace", "keep_both")


def import_presets(path: Path, *, existing: str = "ask") -> list[Preset]:
    """Read presets from a file and save them as user presets; nothing is saved if any is invalid.

    When some have the names of presets that exist (the user's or built-in), ``existing`` says what to
    do: "ask" raises ImportConflictError (with the names) and saves nothing, "replace" overwrites them,
    "keep_both" saves the imported ones as "Name 2". Returns the presets as saved.
    """
    if existing not in IMPORT_CHOICES:
        raise ValueError(f"existing must be one of {', '.join(IMPORT_CHOICES)}, not {existing!r}.")
    incoming = read_preset_file(Path(path))
    present = load_presets()[0]
    conflicts = [p.name for p in incoming if find_preset(present, p.name)]
    if conflicts and existing == "ask":
        raise ImportConflictError(conflicts)
    saved: list[Preset] = []
    taken = [p.name for p in present] if existing == "keep_both" else []
    for preset in incoming:
        # Two of one name in the file itself: the second is never silently lost either.
        name = unique_name(preset.name, [*taken, *(p.name for p in saved)])
        if name != preset.name:
            preset = dataclasses.replace(preset, name=name)
        save_user_preset(preset)
        saved.append(preset)
    return saved

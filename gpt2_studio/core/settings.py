"""The app's persisted settings: typed, versioned, written atomically, and forgiving when loaded."""

from __future__ import annotations

import dataclasses
import json
import os
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.documents import atomic_write_bytes
from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.sampling import SamplingSettings

SETTINGS_VERSION = 1
MAX_RECENT_FILES = 10
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16", "int8", "fp16")
THEMES = ("light", "dark")
FONT_SIZE_RANGE = (6, 72)
GHOST_DELAY_RANGE_MS = (100, 5000)

# The editor drafts short continuations and offers a few at once.
EDITOR_SAMPLING = SamplingSettings(max_new_tokens=24, num_alternatives=3)


def _short(value: Any) -> str:
    return reprlib.repr(value)


def _choice(options: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in options or not isinstance(value, str):
            raise SettingsError(f"{name} must be one of {', '.join(options)}, not {_short(value)}.")
        return value

    return check


def _whole_number(low: int, high: int) -> Callable[[str, Any], int]:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {_short(value)}.")
        return value

    return check


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{name} must be true or false, not {_short(value)}.")
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SettingsError(f"{name} must be text, not {_short(value)}.")
    return value


def _model(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SettingsError(f"{name} must be a model name or folder, or empty, not {_short(value)}.")
    return value or None


def _sampling(name: str, value: Any) -> SamplingSettings:
    if not isinstance(value, SamplingSettings):
        raise SettingsError(f"{name} must be SamplingSettings, not {_short(value)}.")
    return value


def _recent(name: str, value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) and item for item in value):
        raise SettingsError(f"{name} must be a list of file paths, not {_short(value)}.")
    unique: list[str] = []
    seen: set[str] = set()
    for item in value:
        key = os.path.normcase(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique[:MAX_RECENT_FILES]


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "sampling": _sampling,
    "model": _model,
    "device": _choice(DEVICES),
    "precision": _choice(PRECISIONS),
    "font_family": _text,
    "font_size": _whole_number(*FONT_SIZE_RANGE),
    "theme": _choice(THEMES),
    "ghost_enabled": _boolean,
    "ghost_delay_ms": _whole_number(*GHOST_DELAY_RANGE_MS),
    "recent_files": _recent,
    "window_geometry": _text,
    "window_state": _text,
    "show_sampling_panel": _boolean,
}


@dataclass
class AppSettings:
    """Everything the app remembers between runs.

    Mutable, because the GUI changes one field at a time; values are checked (and raise
    SettingsError) when built, and again by ``validate()``, which ``save_settings`` calls.
    """

    sampling: SamplingSettings = EDITOR_SAMPLING
    model: str | None = None  # a catalog name, repo id or folder; None = ask
    device: str = "auto"
    precision: str = "auto"
    font_family: str = ""  # empty = the system's default font
    font_size: int = 12
    theme: str = "light"
    ghost_enabled: bool = True
    ghost_delay_ms: int = 400
    recent_files: list[str] = field(default_factory=list)  # most recent first
    window_geometry: str = ""  # base64 from QWidget.saveGeometry()
    window_state: str = ""  # base64 from QMainWindow.saveState()
    show_sampling_panel: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field, normalising in place (e.g. the recent list deduplicated and trimmed)."""
        for name, check in _CHECKS.items():
            setattr(self, name, check(name, getattr(self, name)))

    def add_recent(self, path: str | os.PathLike[str]) -> None:
        """Move ``path`` to the top of the recent files, dropping duplicates and the oldest beyond 10."""
        path = os.fspath(path)
        key = os.path.normcase(path)
        others = [item for item in self.recent_files if os.path.normcase(item) != key]
        self.recent_files = [path, *others][:MAX_RECENT_FILES]


def settings_path() -> Path:
    """Where the settings live."""
    return paths.config_dir() / "settings.json"


def _set_aside(path: Path, problem: str) -> str:
    """Keep a damaged file for inspection (it would be overwritten on exit) and say so."""
    corrupt = path.with_name(path.name + ".corrupt")
    try:
        os.replace(path, corrupt)
    except OSError:
        return f"The settings file {path} is damaged ({problem}), so the default settings are used."
    return (
        f"The settings file {path} is damaged ({problem}), so the default settings are used; "
        f"the damaged file was kept as {corrupt.name}."
    )


def _load_sampling(value: Any, path: Path, warnings: list[str]) -> SamplingSettings:
    """Each sampling value on its own, so one bad value does not reset the others."""
    if not isinstance(value, dict):
        warnings.append(
            f"Ignored the setting sampling in {path} and used the defaults: it must be an object, "
            f"not {_short(value)}."
        )
        return EDITOR_SAMPLING
    known = {f.name for f in dataclasses.fields(SamplingSettings)}
    sampling = EDITOR_SAMPLING
    for key, item in value.items():
        if key not in known:
            continue
        try:
            sampling = sampling.replace(**{key: item})
        except SettingsError as error:
            warnings.append(f"Ignored the setting sampling.{key} in {path} and used the default: {error}")
    return sampling


def load_settings(path: Path | None = None) -> tuple[AppSettings, list[str]]:
    """The saved settings and warnings for the user; never raises, so start-up always succeeds."""
    path = settings_path() if path is None else Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return AppSettings(), []
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        return AppSettings(), [
            f"The settings file {path} cannot be read ({reason}), so the defaults are used."
        ]
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return AppSettings(), [_set_aside(path, "it is not UTF-8 text")]
    except (ValueError, RecursionError) as error:
        return AppSettings(), [_set_aside(path, f"not valid JSON: {error}")]
    if not isinstance(data, dict):
        return AppSettings(), [_set_aside(path, "it is not a JSON object")]

    warnings: list[str] = []
    version = data.get("version", SETTINGS_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        warnings.append(
            f"The settings file {path} has an invalid version {_short(version)}; it was read anyway."
        )
    elif version > SETTINGS_VERSION:
        warnings.append(
            f"The settings file {path} was written by a newer GPT-2 Studio (settings version {version}); "
            "settings this version does not know were ignored."
        )

    values: dict[str, Any] = {}
    for name, check in _CHECKS.items():
        if name not in data:
            continue
        if name == "sampling":
            values[name] = _load_sampling(data[name], path, warnings)
            continue
        try:
            values[name] = check(name, data[name])
        except SettingsError as error:
            warnings.append(f"Ignored the setting {name} in {path} and used the default: {error}")
    return AppSettings(**values), warnings


def save_settings(settings: AppSettings, path: Path | None = None) -> None:
    """Write the settings atomically; raises SettingsError for a bad value, StudioError for the disk."""
    path = settings_path() if path is None else Path(path)
    settings.validate()
    data: dict[str, Any] = {"version": SETTINGS_VERSION}
    for name in _CHECKS:
        value = getattr(settings, name)
        data[name] = value.to_dict() if isinstance(value, SamplingSettings) else value
    encoded = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, encoded)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise StudioError(f"The settings could not be saved to {path}: {reason}.") from error

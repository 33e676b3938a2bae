"""The app's persisted settings: typed, versioned, written atomically, and forgiving when loaded."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import reprlib
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.documents.text_files import atomic_write_bytes
from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_limits import EDITOR_LIMITS, clamp_sampling_data
from gpt2_studio.core.jsonio import JsonFileError, loads_bounded

SETTINGS_VERSION = 1
MAX_RECENT_FILES = 10
MAX_PATH_CHARS = 4096
MAX_SETTINGS_BYTES = 1024 * 1024
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16", "int8", "fp16")
# "system" follows the operating system's light/dark setting (Qt's colour scheme); the others override it.
THEMES = ("system", "light", "dark")
FONT_SIZE_RANGE = (6, 72)
# The text column's width in characters of the editor's font; 0 = the window's full width.
COLUMN_WIDTH_RANGE = (40, 200)
# Line height as a percentage of the font's own line spacing.
LINE_SPACING_RANGE = (100, 250)
# Spell-checking languages (pyspellchecker's dictionaries): the languages the presets translate between.
SPELLING_LANGUAGES = ("en", "fr", "de", "es")
GHOST_DELAY_RANGE_MS = (100, 5000)
LIKELIHOOD_COLORINGS = ("rank", "surprisal")
# GLTR's rank buckets: a token in the model's top 10, top 100, top 1,000, or beyond.
DEFAULT_RANK_THRESHOLDS = (10, 100, 1000)
RANK_THRESHOLD_RANGE = (1, 1_000_000)
# torch threads for the model: None = auto (the CPUs other programs leave free, core/runner/threads.py).
# Kept here, not imported from there: importing the runner would import torch at start-up.
THREADS_RANGE = (1, 256)

# The editor drafts short continuations and offers a few at once. A writer pauses mid-word or after a
# space, so the prompt's last token is healed; a suggestion runs to the end of the sentence (24 tokens
# at most), so the ghost does not stop mid-phrase or run on into the next sentence.
EDITOR_SAMPLING = SamplingSettings(
    max_new_tokens=24, num_alternatives=3, token_healing=True, stop_at="sentence"
)


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


def _column_width(name: str, value: Any) -> int:
    low, high = COLUMN_WIDTH_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not (value == 0 or low <= value <= high):
        raise SettingsError(
            f"{name} must be 0 (full width) or a whole number from {low} to {high}, not {_short(value)}."
        )
    return value


def _rank_thresholds(name: str, value: Any) -> tuple[int, ...]:
    """Three whole numbers, each larger than the one before (a list in the file, a tuple here)."""
    low, high = RANK_THRESHOLD_RANGE
    if (
        not isinstance(value, (list, tuple))
        or len(value) != len(DEFAULT_RANK_THRESHOLDS)
        or any(isinstance(item, bool) or not isinstance(item, int) for item in value)
        or any(not low <= item <= high for item in value)
        or any(a >= b for a, b in zip(value, value[1:], strict=False))
    ):
        raise SettingsError(
            f"{name} must be three increasing whole numbers from {low} to {high:,} "
            f"(such as [10, 100, 1000]), not {_short(value)}."
        )
    return tuple(value)


def _threads(name: str, value: Any) -> int | None:
    low, high = THREADS_RANGE
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(
            f"{name} must be null (automatic) or a whole number from {low} to {high}, not {_short(value)}."
        )
    return value


def usable_path(item: Any) -> bool:
    """True for text that can name a file here: not empty, no NUL, not absurdly long, encodable."""
    if not isinstance(item, str) or not item.strip() or "\0" in item or len(item) > MAX_PATH_CHARS:
        return False
    try:
        os.fsencode(item)
    except (UnicodeError, ValueError):
        return False
    return True


def _recent(name: str, value: Any) -> list[str]:
    """Unusable entries are dropped here (load_settings reports them), so a save never fails on them."""
    if not isinstance(value, (list, tuple)):
        raise SettingsError(f"{name} must be a list of file paths, not {_short(value)}.")
    unique: list[str] = []
    seen: set[str] = set()
    for item in value:
        if not usable_path(item):
            continue
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
    "threads": _threads,
    "font_family": _text,
    "font_size": _whole_number(*FONT_SIZE_RANGE),
    "theme": _choice(THEMES),
    "monospace": _boolean,
    "column_width": _column_width,
    "line_spacing": _whole_number(*LINE_SPACING_RANGE),
    "spell_check": _boolean,
    "spelling_language": _choice(SPELLING_LANGUAGES),
    "ghost_enabled": _boolean,
    "ghost_delay_ms": _whole_number(*GHOST_DELAY_RANGE_MS),
    "recent_files": _recent,
    "window_geometry": _text,
    "window_state": _text,
    "show_sampling_panel": _boolean,
    "show_more_settings": _boolean,
    "show_context_dock": _boolean,
    "show_likelihood": _boolean,
    "likelihood_coloring": _choice(LIKELIHOOD_COLORINGS),
    "rank_thresholds": _rank_thresholds,
    "show_statistics": _boolean,
    "show_model_text": _boolean,
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
    threads: int | None = None  # CPU threads for the model; None = automatic (the cores free now)
    font_family: str = ""  # empty = the system's default font
    font_size: int = 12
    theme: str = "system"
    monospace: bool = False  # the editor in the monospace font instead of the prose font
    column_width: int = 72  # the text column in characters (0 = full width)
    line_spacing: int = 150  # percent of the font's line spacing
    spell_check: bool = True
    spelling_language: str = "en"  # for documents that have not chosen their own
    ghost_enabled: bool = True
    ghost_delay_ms: int = 400
    recent_files: list[str] = field(default_factory=list)  # most recent first
    window_geometry: str = ""  # base64 from QWidget.saveGeometry()
    window_state: str = ""  # base64 from QMainWindow.saveState()
    show_sampling_panel: bool = True
    show_more_settings: bool = False  # the sampling panel's "More settings" fold open
    show_context_dock: bool = False  # the Memory and Author's note dock
    show_likelihood: bool = False  # the likelihood lens: tokens tinted by how the model ranked them
    likelihood_coloring: str = "rank"  # "rank" (GLTR's buckets) or "surprisal"
    rank_thresholds: tuple[int, ...] = DEFAULT_RANK_THRESHOLDS  # the top of each rank bucket but the last
    show_statistics: bool = False  # the likelihood statistics dock
    show_model_text: bool = False  # View → Show Model Text: the provenance tint over model-written text
    # Keys this version does not know (a newer version wrote them): kept and written back unchanged.
    unknown: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    unknown_sampling: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Values a newer version wrote that this one cannot use: name → (the file's value, the default used
    # instead). Written back unless the user changed that setting here.
    newer_values: dict[str, tuple[Any, Any]] = field(default_factory=dict, compare=False, repr=False)

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
        return f"{problem} The default settings are used."
    return f"{problem} The default settings are used; the damaged file was kept as {corrupt.name}."


def _load_sampling(value: Any, path: Path, warnings: list[str], unknown: dict[str, Any]) -> SamplingSettings:
    """Each sampling value on its own, so one bad value does not reset the others.

    Numbers outside what the sampling panel shows are clamped into its range (and named), so that the
    panel always shows the values that requests use.
    """
    if not isinstance(value, dict):
        warnings.append(
            f"Ignored the setting sampling in {path} and used the defaults: it must be an object, "
            f"not {_short(value)}."
        )
        return EDITOR_SAMPLING
    known = {f.name for f in dataclasses.fields(SamplingSettings)}
    unknown.update({key: item for key, item in value.items() if key not in known})
    data, clamped = clamp_sampling_data({k: v for k, v in value.items() if k in known}, EDITOR_LIMITS)
    sampling = EDITOR_SAMPLING
    for key, item in data.items():
        try:
            sampling = sampling.replace(**{key: item})
        except SettingsError as error:
            warnings.append(f"Ignored the setting sampling.{key} in {path} and used the default: {error}")
            continue
        except TypeError:  # a check that met a type it did not expect: start-up goes on all the same
            warnings.append(
                f"Ignored the setting sampling.{key} in {path} and used the default: "
                f"{_short(item)} is not a value it can have."
            )
            continue
        change = next((c for c in clamped if c.key == key), None)
        if change is not None:
            warnings.append(f"In the settings file {path}, sampling.{change.describe()}.")
    return sampling


def _load_recent(value: Any, path: Path, warnings: list[str]) -> list[str]:
    """The usable entries; the others are dropped with one warning, so Open Recent never fails."""
    kept = _recent("recent_files", value)  # raises for a value that is not a list
    dropped = [item for item in value if not usable_path(item)]
    if dropped:
        shown = ", ".join(_short(item) for item in dropped[:3])
        warnings.append(
            f"Dropped {len(dropped)} entr{'y' if len(dropped) == 1 else 'ies'} of recent_files in {path} "
            f"that cannot name a file: {shown}."
        )
    return kept


_MISSING = object()


def _read(path: Path) -> tuple[Any, str | None]:
    """The parsed file, or None and a warning; ('missing', None) when there is no file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "it is not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_SETTINGS_BYTES + 1)
    except FileNotFoundError:
        return _MISSING, None
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        return None, f"The settings file {path} cannot be read ({reason}), so the defaults are used."
    try:
        # A byte-order mark (Windows Notepad) is accepted; size and nesting are bounded.
        data = loads_bounded(raw, f"The settings file {path}", max_bytes=MAX_SETTINGS_BYTES)
    except JsonFileError as error:
        return None, _set_aside(path, str(error))
    if not isinstance(data, dict):
        return None, _set_aside(path, f"The settings file {path} is not a JSON object.")
    return data, None


def load_settings(path: Path | None = None) -> tuple[AppSettings, list[str]]:
    """The saved settings and warnings for the user; never raises, so start-up always succeeds."""
    path = settings_path() if path is None else Path(path)
    data, problem = _read(path)
    if data is _MISSING:
        return AppSettings(), []
    if problem is not None:
        return AppSettings(), [problem]

    warnings: list[str] = []
    unknown = {key: value for key, value in data.items() if key not in _CHECKS and key != "version"}
    version = data.get("version", SETTINGS_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        warnings.append(
            f"The settings file {path} has an invalid version {_short(version)}; it was read anyway."
        )
    elif version > SETTINGS_VERSION:
        # Its own keys are written back as they were, so it keeps its version number too.
        unknown["version"] = version
        warnings.append(
            f"The settings file {path} was written by a newer GPT-2 Studio (settings version {version}); "
            "settings this version does not know are kept as they are."
        )

    values: dict[str, Any] = {}
    rejected: dict[str, Any] = {}
    unknown_sampling: dict[str, Any] = {}
    for name, check in _CHECKS.items():
        if name not in data:
            continue
        try:
            if name == "sampling":
                values[name] = _load_sampling(data[name], path, warnings, unknown_sampling)
            elif name == "recent_files":
                values[name] = _load_recent(data[name], path, warnings)
            else:
                values[name] = check(name, data[name])
        except SettingsError as error:
            warnings.append(f"Ignored the setting {name} in {path} and used the default: {error}")
            if "version" in unknown:  # a newer version's value: keep it for that version
                rejected[name] = data[name]
        else:
            if name == "sampling" and "version" in unknown and not isinstance(data[name], dict):
                rejected[name] = data[name]
    settings = AppSettings(**values)
    settings.newer_values = {name: (value, getattr(settings, name)) for name, value in rejected.items()}
    settings.unknown = unknown
    settings.unknown_sampling = unknown_sampling
    return settings, warnings


def _encode(data: dict[str, Any]) -> bytes:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A path with undecodable bytes (held as lone surrogates): \u escapes keep it and stay UTF-8.
        return (json.dumps(data, indent=2) + "\n").encode("ascii")


def save_settings(settings: AppSettings, path: Path | None = None) -> None:
    """Write the settings atomically, with any keys a newer version wrote kept as they were.

    Raises SettingsError for a bad value and StudioError (one sentence with the reason) for the disk.
    """
    path = settings_path() if path is None else Path(path)
    settings.validate()
    unknown = dict(settings.unknown)
    data: dict[str, Any] = {"version": unknown.pop("version", SETTINGS_VERSION)}
    for name in _CHECKS:
        value = getattr(settings, name)
        if isinstance(value, SamplingSettings):
            value = {**value.to_dict(), **settings.unknown_sampling}
        data[name] = value
        if name in settings.newer_values and getattr(settings, name) == settings.newer_values[name][1]:
            data[name] = settings.newer_values[name][0]  # unchanged here: the newer version's value
    data.update(unknown)
    encoded = _encode(data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, encoded)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise StudioError(f"The settings could not be saved to {path}: {reason}.") from error

"""Presets: GPT-2's zero-shot tricks as data — a prompt template, sampling settings, where the result goes.

A template holds text and placeholders: ``{selection}`` (the selected text, or the current paragraph when
nothing is selected), ``{document}``, ``{before_cursor}`` and ``{input}`` (asked from the user when the
preset runs). ``{{`` and ``}}`` are literal braces. Built-in presets ship as a JSON file in the package;
user presets are one readable JSON file each in the per-user config folder, and one with a built-in's
name replaces it until the built-ins are reset.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_limits import PRESET_LIMITS, clamp_sampling_data
from gpt2_studio.core.jsonio import JsonFileError, loads_bounded, read_json_file
from gpt2_studio.core.presets.names import file_stem, unique_name

log = logging.getLogger(__name__)

PLACEHOLDERS = ("selection", "document", "before_cursor", "input")
OUTPUTS = ("ghost", "insert", "below", "replace", "side_panel", "new_document")
KEEP = ("end", "start")
_POSTPROCESS = re.compile(r"none|first_line|sentences:[1-9][0-9]?")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
# Rendering aims a few tokens under the budget: tokenizing the whole prompt can merge across the joins.
_MARGIN_TOKENS = 8
_CHARS_PER_TOKEN = 8
FILE_SUFFIX = ".json"


class PresetError(StudioError):
    """A preset (or a preset file) is invalid; the message names the problem."""


@dataclass(frozen=True)
class Preset:
    """One preset: how to build the prompt, how to sample, what to do with the result."""

    name: str
    template: str
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    output: str = "ghost"
    description: str = ""
    result_format: str = "{result}"
    keep: str = "end"  # which end of a too-long text to keep: "end" to continue it, "start" to summarise it
    postprocess: str = "none"  # "first_line" or "sentences:N" trims the result
    input_label: str = ""
    input_default: str = ""
    shortcut: str = ""
    group: str = ""
    builtin: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise PresetError("a preset needs a name.")
        for key in (
            "template",
            "description",
            "result_format",
            "input_label",
            "input_default",
            "shortcut",
            "group",
        ):
            if not isinstance(getattr(self, key), str):
                raise PresetError(f"preset {self.name!r}: {key} must be text.")
        if not isinstance(self.sampling, SamplingSettings):
            raise PresetError(f"preset {self.name!r}: sampling must be SamplingSettings.")
        if self.output not in OUTPUTS:
            raise PresetError(
                f"preset {self.name!r}: output must be one of {', '.join(OUTPUTS)}, not {self.output!r}."
            )
        if self.keep not in KEEP:
            raise PresetError(f"preset {self.name!r}: keep must be 'end' or 'start', not {self.keep!r}.")
        if not isinstance(self.postprocess, str) or not _POSTPROCESS.fullmatch(self.postprocess):
            raise PresetError(
                f"preset {self.name!r}: postprocess must be none, first_line or sentences:N, "
                f"not {self.postprocess!r}."
            )
        if "{result}" not in self.result_format:
            raise PresetError(f"preset {self.name!r}: result_format must contain {{result}}.")
        parse_template(self.template, self.name)

    @property
    def placeholders(self) -> set[str]:
        """The placeholders the template uses."""
        return {part for kind, part in parse_template(self.template, self.name) if kind == "field"}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a preset file."""
        data = dataclasses.asdict(self)
        data["sampling"] = self.sampling.to_dict()
        data.pop("builtin")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, builtin: bool = False) -> Preset:
        """Build from plain data; unknown keys and bad values are PresetErrors that name them."""
        if not isinstance(data, Mapping):
            raise PresetError("a preset must be a JSON object.")
        names = {f.name for f in dataclasses.fields(cls)} - {"builtin"}
        unknown = sorted(set(data) - names)
        label = data.get("name", "?")
        if unknown:
            raise PresetError(f"preset {label!r}: unknown field(s) {', '.join(unknown)}.")
        values = dict(data)
        try:
            base = SamplingSettings()
            sampling = values.get("sampling", {})
            if not isinstance(sampling, Mapping):
                raise SettingsError("sampling must be an object.")
            values["sampling"] = SamplingSettings.from_dict({**base.to_dict(), **sampling})
        except SettingsError as exc:
            raise PresetError(f"preset {label!r}: {exc}") from exc
        return cls(**values, builtin=builtin)


def parse_template(template: str, name: str = "?") -> list[tuple[str, str]]:
    """Split a template into ("text", …) and ("field", placeholder) parts; say what is wrong if it is."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _TOKEN.finditer(template):
        if match.start() > position:
            parts.append(("text", template[position : match.start()]))
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(("text", token[0]))
        elif token in ("{", "}"):
            raise PresetError(
                f"preset {name!r}: a lone {token!r} in the template; write {token * 2} for a brace."
            )
        elif match.group(1) not in PLACEHOLDERS:
            allowed = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise PresetError(f"preset {name!r}: unknown placeholder {token}; use {allowed}.")
        else:
            parts.append(("field", match.group(1)))
        position = match.end()
    if position < len(template):
        parts.append(("text", template[position:]))
    return parts


@dataclass(frozen=True)
class PresetContext:
    """The user's text at the moment a preset runs."""

    selection: str = ""
    document: str = ""
    before_cursor: str = ""
    input: str = ""

    def value(self, name: str) -> str:
        return getattr(self, name)


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready for the engine, and whether some of the user's text had to be left out."""

    text: str
    trimmed: bool


def _trim(
    text: str, limit: int, keep: str, tokenize: Callable[[str], list[int]], detokenize
) -> tuple[str, bool]:
    """At most `limit` tokens of text, from its start or its end, cut on a token boundary."""
    span = max(limit, 1) * _CHARS_PER_TOKEN
    piece = text if len(text) <= span else (text[:span] if keep == "start" else text[-span:])
    ids = tokenize(piece)
    if len(ids) <= limit and piece is text:
        return text, False
    ids = ids[:limit] if keep == "start" else ids[len(ids) - limit :] if limit else []
    return detokenize(ids), True


def render(
    preset: Preset,
    context: PresetContext,
    tokenize: Callable[[str], list[int]],
    detokenize: Callable[[list[int]], str],
    budget: int,
) -> RenderedPrompt:
    """Fill the template, shortening the user's text so that the prompt fits `budget` tokens.

    The preset's fixed text always stays; the longest values are shortened first, keeping their start
    (summaries need the beginning) or their end (continuations need what comes last), as `keep` says.
    """
    parts = parse_template(preset.template, preset.name)
    fixed = sum(len(tokenize(text)) for kind, text in parts if kind == "text")
    available = max(0, budget - fixed - _MARGIN_TOKENS)
    used = [name for kind, name in parts if kind == "field"]
    values = {name: context.value(name) for name in used}
    fitted: dict[str, str] = {}
    trimmed = False
    # Smallest first: each value gets what it needs, up to an equal share of what is left.
    order = sorted(set(used), key=lambda n: len(values[n]))
    for index, name in enumerate(order):
        share = available // (len(order) - index)
        fitted[name], cut = _trim(values[name], share, preset.keep, tokenize, detokenize)
        trimmed |= cut
        available -= min(share, len(tokenize(fitted[name])))
    text = "".join(fitted[value] if kind == "field" else value for kind, value in parts)
    return RenderedPrompt(text, trimmed)


def finish(preset: Preset, result: str) -> str:
    """The generated text as the preset delivers it: trimmed as it says, then put in its result_format."""
    text = result
    if preset.postprocess == "first_line":
        text = text.strip("\n").split("\n", 1)[0]
    elif preset.postprocess.startswith("sentences:"):
        count = int(preset.postprocess.split(":", 1)[1])
        sentences = _SENTENCE_END.split(text.strip())
        text = " " + " ".join(sentences[:count]).strip()
    return preset.result_format.replace("{result}", text.rstrip())


# -- storage ------------------------------------------------------------------------------------------


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


def find_preset(presets: list[Preset], name: str) -> Preset | None:
    """A preset by name, ignoring case."""
    key = name.strip().lower()
    return next((p for p in presets if p.name.lower() == key), None)


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
    name is portable (see preset_names.file_stem). Raises OSError when the folder cannot be written.
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

"""Presets: GPT-2's zero-shot tricks as data — a prompt template, sampling settings, where the result goes.

A template holds text and placeholders: ``{selection}`` (the selected text, or the current paragraph when
nothing is selected), ``{document}``, ``{before_cursor}`` and ``{input}`` (asked from the user when the
preset runs). ``{{`` and ``}}`` are literal braces. This module holds the preset value, its template and
what becomes of a result; ``storage`` reads and writes the preset files.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gpt2_studio.core.errors import SettingsError, StudioError
from gpt2_studio.core.generation.sampling import SamplingSettings

PLACEHOLDERS = ("selection", "document", "before_cursor", "input")
OUTPUTS = ("ghost", "insert", "below", "replace", "side_panel", "new_document")
KEEP = ("end", "start")
_POSTPROCESS = re.compile(r"none|first_line|sentences:[1-9][0-9]?")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
# Rendering aims a few tokens under the budget: tokenizing the whole prompt can merge across the joins.
_MARGIN_TOKENS = 8
_CHARS_PER_TOKEN = 8


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
            base = SamplingSettings().to_dict()
            sampling = values.get("sampling", {})
            if not isinstance(sampling, Mapping):
                raise SettingsError("sampling must be an object.")
            if "token_healing" not in sampling:  # a file from before token healing
                base["token_healing"] = _ends_with_users_text(values.get("template"))
            values["sampling"] = SamplingSettings.from_dict({**base, **sampling})
        except SettingsError as exc:
            raise PresetError(f"preset {label!r}: {exc}") from exc
        except TypeError as exc:  # e.g. a list where one word was expected
            raise PresetError(f"preset {label!r}: a sampling value has the wrong type.") from exc
        return cls(**values, builtin=builtin)


def _ends_with_users_text(template: Any) -> bool:
    """True when a template ends with a placeholder, so the prompt ends with the user's text.

    That text may end mid-word or after a space, which token healing is for; a template that ends with
    its own delimiter ("TL;DR:", "A:", " =") hands the model a clean boundary instead.
    """
    try:
        parts = parse_template(template) if isinstance(template, str) else []
    except PresetError:  # the preset itself says what is wrong with its template
        return False
    return bool(parts) and parts[-1][0] == "field"


def continues_text(preset: Preset) -> bool:
    """True when the preset's prompt ends with the text before the cursor (Continue, Point of view):
    its result continues the writer's text, so the document's Memory and Author's note go with it."""
    parts = parse_template(preset.template, preset.name)
    return bool(parts) and parts[-1] == ("field", "before_cursor")


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
        """The text of the named field (one of the field names above)."""
        return str(getattr(self, name))


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready for the engine, and whether some of the user's text had to be left out."""

    text: str
    trimmed: bool


def _trim(
    text: str,
    limit: int,
    keep: str,
    tokenize: Callable[[str], list[int]],
    detokenize: Callable[[list[int]], str],
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


def find_preset(presets: list[Preset], name: str) -> Preset | None:
    """A preset by name, ignoring case."""
    key = name.strip().lower()
    return next((p for p in presets if p.name.lower() == key), None)

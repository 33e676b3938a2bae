"""Each sampling setting described once: its label, CLI flag, ranges and help (defaults: SamplingSettings).

SamplingSettings validates against these ranges, the sampling panel and the preset editor build their
controls from them, the command line builds its options from them, and settings and preset files are
clamped into the ranges the controls show. A field added here appears in all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TEMPERATURE = 5.0
MAX_ALTERNATIVES = 16
MAX_SEED = 2**63 - 1
MAX_REPETITION_PENALTY = 10.0


@dataclass(frozen=True)
class Limit:
    """The closed range [low, high] a control can show; whole: only whole numbers."""

    low: float
    high: float
    whole: bool = False

    def text(self, value: float) -> str:
        """A value as the messages show it (no float noise)."""
        return str(int(value)) if self.whole else f"{value:g}"


@dataclass(frozen=True)
class Valid:
    """What SamplingSettings accepts: low < value (low_open) or low <= value, and value <= high if any.

    rule completes "<name> must be ..." in the error message, e.g. "at least 1".
    """

    low: float
    high: float | None
    rule: str
    low_open: bool = False

    def __contains__(self, value: float) -> bool:
        """True when SamplingSettings accepts the value."""
        above = value > self.low if self.low_open else value >= self.low
        return above and (self.high is None or value <= self.high)


@dataclass(frozen=True)
class SamplingField:
    """One numeric SamplingSettings field and how every front end shows it.

    kind: int or float. editor: the sampling panel's slider range (settings files are clamped to it);
    preset: the preset editor's range (preset files are clamped to it); step and decimals: the controls'
    step and the digits they show. off: the value that turns the field off, named off_text ("off",
    "greedy"); unit follows a shown whole number (" tokens"). optional: None is allowed (the seed: None
    is random); the panel shows such a field as a checkbox and a box, and the preset editor leaves it out
    (a preset keeps its own). gui_hint: extra help that only the GUI's tooltip gives (its shortcuts).
    """

    name: str
    label: str
    flag: str
    kind: type[int] | type[float]
    valid: Valid
    editor: Limit
    preset: Limit
    help: str
    step: float = 1
    decimals: int = 0
    off: float | None = None
    off_text: str = "off"
    unit: str = ""
    optional: bool = False
    gui_hint: str = ""

    def shown(self, value: float) -> str:
        """A value as the panel shows it: '0.70', 'off', 'greedy', '40 tokens'."""
        if self.off is not None and value == self.off:
            return self.off_text
        if self.kind is int:
            return f"{int(value)}{self.unit}"
        return f"{value:.{self.decimals}f}{self.unit}"

    def default_text(self, default: float | None) -> str:
        """A default as help texts show it ('0.7', 'off', 'random', '40 tokens')."""
        if default is None:
            return "random"
        if self.off is not None and default == self.off:
            return self.off_text
        return f"{default:g}{self.unit}"

    def described(self, default: float | None, *, gui: bool) -> str:
        """The help with its default; gui adds the hints only the GUI's tooltips give."""
        parts = (self.help, self.gui_hint if gui else "", f"Default: {self.default_text(default)}.")
        return " ".join(part for part in parts if part)


def _whole(low: int, high: int) -> Limit:
    return Limit(low, high, whole=True)


SAMPLING_FIELDS: tuple[SamplingField, ...] = (
    SamplingField(
        "temperature", "Temperature", "--temperature", float,
        Valid(0.0, MAX_TEMPERATURE, f"between 0 and {MAX_TEMPERATURE:g} (0 = greedy)"),
        editor=Limit(0.0, 2.0), preset=Limit(0.0, MAX_TEMPERATURE),
        help="Randomness: low values pick likely words (0 = greedy, always the most likely); "
        "high values take risks.",
        step=0.05, decimals=2, off=0.0, off_text="greedy",
    ),
    SamplingField(
        "top_k", "Top-k", "--top-k", int,
        Valid(0, None, "0 (off) or a positive whole number"),
        editor=_whole(0, 200), preset=_whole(0, 100_000),
        help="Choose only among the k most likely next tokens; 0 turns the filter off.",
        off=0,
    ),
    SamplingField(
        "top_p", "Top-p", "--top-p", float,
        Valid(0.0, 1.0, "above 0 and at most 1 (1 = off)", low_open=True),
        editor=Limit(0.05, 1.0), preset=Limit(0.01, 1.0),
        help="Nucleus sampling: choose among the most likely tokens that together hold this much "
        "probability; 1 turns it off.",
        step=0.05, decimals=2, off=1.0,
    ),
    SamplingField(
        "repetition_penalty", "Repetition penalty", "--repetition-penalty", float,
        Valid(
            0.0, MAX_REPETITION_PENALTY, f"above 0 and at most {MAX_REPETITION_PENALTY:g} (1 = off)",
            low_open=True,
        ),
        editor=Limit(1.0, 2.0), preset=Limit(0.1, MAX_REPETITION_PENALTY),
        help="Makes words already in the text less likely, against loops; 1 is off, above 1 "
        "discourages repeats (1.2 is a mild setting).",
        step=0.05, decimals=2, off=1.0,
    ),
    SamplingField(
        "max_new_tokens", "Max length", "--max-new-tokens", int,
        Valid(1, None, "at least 1"),
        editor=_whole(1, 200), preset=_whole(1, 4096),
        help="How many tokens (about 3/4 of a word each) each continuation may have.",
        unit=" tokens",
    ),
    SamplingField(
        "num_alternatives", "Alternatives", "--num", int,
        Valid(1, MAX_ALTERNATIVES, f"between 1 and {MAX_ALTERNATIVES}"),
        editor=_whole(1, 8), preset=_whole(1, MAX_ALTERNATIVES),
        help="How many different continuations to make at once; they come from one batched pass, so "
        "three cost little more than one.",
        gui_hint="Cycle through them with Alt+] and Alt+[.",
    ),
    SamplingField(
        "seed", "Seed", "--seed", int,
        Valid(0, MAX_SEED, f"between 0 and {MAX_SEED} (or empty for random)"),
        # A QSpinBox holds 31 bits; a preset's seed is kept as it is, so it may use the whole range.
        editor=_whole(0, 2**31 - 1), preset=_whole(0, MAX_SEED),
        help="Fix the random seed to repeat a result: the same text and settings give the same "
        "continuation.",
        optional=True,
    ),
)  # fmt: skip

#: The fields by SamplingSettings name.
FIELDS: dict[str, SamplingField] = {field.name: field for field in SAMPLING_FIELDS}


# -- the two non-numeric settings: token healing (on/off) and where a suggestion ends ----------------

#: Where a continuation ends, as writers think of it; max_new_tokens still caps each one.
STOP_AT_TOKENS = "tokens"
STOP_AT_CHOICES: dict[str, str] = {
    "word": "A word",
    "sentence": "Rest of the sentence",
    "line": "Rest of the line",
    "paragraph": "Rest of the paragraph",
    STOP_AT_TOKENS: "Max length in tokens",
}
STOP_AT_LABEL = "Suggest"
STOP_AT_FLAG = "--stop-at"
STOP_AT_HELP = (
    "Where a continuation ends: after one word, at the end of the sentence (after . ! or ? followed by "
    "a space), at the end of the line, at a blank line (paragraph), or only at the max length. The "
    "engine stops as soon as the end is reached; max length still caps it."
)

TOKEN_HEALING_LABEL = "Token healing"
TOKEN_HEALING_FLAG = "--token-healing"
TOKEN_HEALING_HELP = (
    "Heal the prompt's last token: a half-typed word or a trailing space is handed back to the model, "
    'which must regenerate it first, so that "…is Par" continues "is" (Paris), not " Paris". '
    "Only the text after yours is returned."
)

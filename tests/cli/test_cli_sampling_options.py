"""``generate`` offers exactly the described sampling fields as options, checked like SamplingSettings."""

from __future__ import annotations

import argparse
import io

import pytest

from gpt2_studio.cli.generate import settings_from_args
from gpt2_studio.cli.main import EXIT_BAD_SETTINGS, build_parser, run_cli
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import SAMPLING_FIELDS, SamplingField
from gpt2_studio.core.presets.templates import Preset

IDS = [field.name for field in SAMPLING_FIELDS]
# Every option of generate that is not a sampling field.
OTHER_OPTIONS = {
    "-h", "--help", "-v", "--verbose", "--model", "--prompt", "--preset", "--input", "--stop", "--device",
    "--precision", "--stream", "--json", "--stop-at", "--token-healing", "--no-token-healing", "--memory",
    "--authors-note", "--authors-note-depth", "--threads",
    "--server", "--api-key-env", "--window", "--tokenizer",  # generation on a server
}  # fmt: skip


def _generate_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["generate"]


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {flag: action for action in parser._actions for flag in action.option_strings}


def test_the_sampling_options_are_exactly_the_described_fields():
    options = _options(_generate_parser())
    assert set(options) - OTHER_OPTIONS == {field.flag for field in SAMPLING_FIELDS}
    for field in SAMPLING_FIELDS:
        assert options[field.flag].type is field.kind
        assert options[field.flag].default is None  # a preset's own value applies unless one is given


def test_the_help_gives_each_fields_help_default_and_range():
    text = " ".join(_generate_parser().format_help().split())
    defaults = SamplingSettings()
    for field in SAMPLING_FIELDS:
        assert field.described(getattr(defaults, field.name), gui=False) in text
        assert field.valid.rule in text
        if field.gui_hint:  # the GUI's shortcuts mean nothing here
            assert field.gui_hint not in text


def _edges(field: SamplingField) -> list[float]:
    valid = field.valid
    low = field.kind(valid.low) if not valid.low_open else field.kind(valid.low + 0.25)
    return [low] if valid.high is None else [low, field.kind(valid.high)]


@pytest.mark.parametrize("field", SAMPLING_FIELDS, ids=IDS)
def test_each_option_sets_its_field_over_a_preset(field: SamplingField):
    preset = Preset("Mine", "{selection}", sampling=SamplingSettings(top_k=7, seed=3))
    for edge in _edges(field):
        args = _generate_parser().parse_args([field.flag, str(edge)])
        settings = settings_from_args(args, preset)
        assert getattr(settings, field.name) == edge
        assert settings.replace(**{field.name: getattr(preset.sampling, field.name)}) == preset.sampling
    untouched = settings_from_args(_generate_parser().parse_args([]), preset)
    assert untouched == preset.sampling


@pytest.mark.parametrize("field", SAMPLING_FIELDS, ids=IDS)
def test_a_value_outside_the_range_is_the_settings_own_one_line_error(field: SamplingField, capsys):
    valid = field.valid
    if valid.high is not None:
        bad = field.kind(valid.high * 2 + 1)
    else:
        bad = field.kind(valid.low) if valid.low_open else field.kind(valid.low - 1)
    args = ["generate", "--model", "no-such-model-here", "--prompt", "x", field.flag, str(bad)]
    assert run_cli(args, stdout=io.StringIO(), stdin=io.StringIO()) == EXIT_BAD_SETTINGS
    err = capsys.readouterr().err
    assert f"{field.name} must be {valid.rule}" in err
    assert err.count("\n") == 1

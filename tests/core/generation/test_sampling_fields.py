"""The sampling field table: one description per SamplingSettings field that every front end uses."""

from __future__ import annotations

import dataclasses

import pytest

from gpt2_studio.core import SamplingSettings, SettingsError
from gpt2_studio.core.generation.sampling_fields import FIELDS, SAMPLING_FIELDS, SamplingField
from gpt2_studio.core.generation.sampling_limits import EDITOR_LIMITS, PRESET_LIMITS

IDS = [field.name for field in SAMPLING_FIELDS]


NON_NUMERIC = ("stop_strings", "token_healing", "stop_at")


def test_the_table_describes_every_numeric_setting_in_order():
    names = [f.name for f in dataclasses.fields(SamplingSettings) if f.name not in NON_NUMERIC]
    assert [field.name for field in SAMPLING_FIELDS] == names
    assert list(FIELDS) == names
    assert len({field.flag for field in SAMPLING_FIELDS}) == len(SAMPLING_FIELDS)
    assert len({field.label for field in SAMPLING_FIELDS}) == len(SAMPLING_FIELDS)


def test_the_clamping_limits_are_the_tables_ranges():
    assert {field.name: field.editor for field in SAMPLING_FIELDS} == EDITOR_LIMITS
    assert {field.name: field.preset for field in SAMPLING_FIELDS} == PRESET_LIMITS


@pytest.mark.parametrize("field", SAMPLING_FIELDS, ids=IDS)
def test_defaults_and_both_control_ranges_are_valid_settings(field: SamplingField):
    default = getattr(SamplingSettings(), field.name)
    assert (default is None) == field.optional
    if default is not None:
        assert isinstance(default, field.kind)
        assert field.editor.low <= default <= field.editor.high
        assert field.preset.low <= default <= field.preset.high
    for limit in (field.editor, field.preset):
        assert limit.whole == (field.kind is int)
        for edge in (limit.low, limit.high):
            value = SamplingSettings(**{field.name: field.kind(edge)})
            assert getattr(value, field.name) == edge
            assert type(getattr(value, field.name)) is field.kind


@pytest.mark.parametrize("field", SAMPLING_FIELDS, ids=IDS)
def test_the_slider_grid_reaches_both_ends_of_the_panel_range(field: SamplingField):
    steps = (field.editor.high - field.editor.low) / field.step
    assert steps == pytest.approx(round(steps))
    assert round(field.step, field.decimals) == field.step  # the boxes can show a step


def _outside(field: SamplingField) -> float:
    """A value just outside what SamplingSettings accepts."""
    valid = field.valid
    if valid.high is not None:
        return field.kind(valid.high * 2 + 1)
    return field.kind(valid.low) if valid.low_open else field.kind(valid.low - 1)


@pytest.mark.parametrize("field", SAMPLING_FIELDS, ids=IDS)
def test_a_value_outside_the_valid_range_names_the_field_and_the_rule(field: SamplingField):
    bad = _outside(field)
    shown = f"{bad:g}" if field.kind is float else str(bad)
    with pytest.raises(SettingsError) as raised:
        SamplingSettings(**{field.name: bad})
    assert str(raised.value) == f"{field.name} must be {field.valid.rule}, not {shown}."
    with pytest.raises(SettingsError, match=field.name):
        SamplingSettings(**{field.name: "1"})


def test_the_off_value_is_shown_by_name_and_others_with_their_unit():
    assert FIELDS["temperature"].shown(0.0) == "greedy"
    assert FIELDS["temperature"].shown(0.73) == "0.73"
    assert FIELDS["top_k"].shown(0) == "off"
    assert FIELDS["top_p"].shown(1.0) == "off"
    assert FIELDS["max_new_tokens"].shown(40) == "40 tokens"
    assert FIELDS["seed"].default_text(None) == "random"
    described = FIELDS["num_alternatives"].described(1, gui=True)
    assert FIELDS["num_alternatives"].gui_hint in described
    assert FIELDS["num_alternatives"].gui_hint not in FIELDS["num_alternatives"].described(1, gui=False)
    assert described.endswith("Default: 1.")

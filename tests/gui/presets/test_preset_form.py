"""The preset form offers exactly the described sampling fields, in their described preset ranges."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import SAMPLING_FIELDS, SamplingField
from gpt2_studio.core.presets.templates import Preset
from gpt2_studio.gui.presets.form import PresetForm

SHOWN = [field for field in SAMPLING_FIELDS if not field.optional]


@pytest.fixture
def form(qtbot) -> PresetForm:
    made = PresetForm()
    qtbot.addWidget(made)
    made.fill(Preset("Mine", "{selection}", sampling=SamplingSettings(seed=2**40)))
    made.show()
    return made


def _sampling_rows(form: PresetForm) -> dict[str, QAbstractSpinBox]:
    box = next(group for group in form.findChildren(QGroupBox) if group.title() == "Sampling")
    layout = box.layout()
    assert isinstance(layout, QFormLayout)
    rows = {}
    for row in range(layout.rowCount()):
        label_item = layout.itemAt(row, QFormLayout.ItemRole.LabelRole)
        if label_item is None:  # the Token healing check box has no label of its own
            continue
        label = label_item.widget().text()
        widget = layout.itemAt(row, QFormLayout.ItemRole.FieldRole).widget()
        if isinstance(widget, QAbstractSpinBox):
            rows[label] = widget
    return rows


def test_the_sampling_box_has_one_row_per_shown_field(form):
    rows = _sampling_rows(form)
    assert list(rows) == [f"{field.label}:" for field in SHOWN]
    assert list(form.spins) == [field.name for field in SHOWN]
    for field, spin in zip(SHOWN, rows.values(), strict=True):
        assert spin is form.spins[field.name]
        assert isinstance(spin, QSpinBox if field.kind is int else QDoubleSpinBox)
        assert (spin.minimum(), spin.maximum()) == (field.preset.low, field.preset.high)
        assert spin.singleStep() == field.step
        assert field.help in spin.toolTip()


@pytest.mark.parametrize("field", SHOWN, ids=[field.name for field in SHOWN])
def test_each_box_reaches_both_ends_of_its_range_and_the_preset_gets_them(form, qtbot, field: SamplingField):
    spin = form.spins[field.name]
    spin.setFocus()
    for edge, key in ((field.preset.high, Qt.Key.Key_PageUp), (field.preset.low, Qt.Key.Key_PageDown)):
        spin.setValue(edge - field.step if edge == field.preset.high else edge + field.step)
        while spin.value() != edge:  # the user holds the key down
            qtbot.keyClick(spin, key)
        value = getattr(form.preset().sampling, field.name)
        assert value == pytest.approx(edge)
        assert type(value) is field.kind
    assert form.preset().sampling.seed == 2**40  # the fields the form lacks are kept

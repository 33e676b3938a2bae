"""The sampling panel offers exactly the described sampling fields, in their described panel ranges."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QSlider, QSpinBox

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import FIELDS, SAMPLING_FIELDS, STOP_AT_LABEL, SamplingField
from gpt2_studio.gui.sampling_panel import SamplingPanel

SLIDERS = [field for field in SAMPLING_FIELDS if not field.optional]
OPTIONAL = [field for field in SAMPLING_FIELDS if field.optional]


@pytest.fixture
def panel(qtbot) -> SamplingPanel:
    made = SamplingPanel(SamplingSettings(), SamplingSettings())
    qtbot.addWidget(made)
    made.show()
    return made


def _labels(panel: SamplingPanel) -> list[str]:
    form = panel.widget().findChild(QFormLayout)
    rows = (form.itemAt(row, QFormLayout.ItemRole.LabelRole) for row in range(form.rowCount()))
    return [item.widget().text() for item in rows if item is not None]


def test_the_panel_has_one_row_per_field_with_its_label(panel):
    # Where a suggestion ends comes just before its length (the cap); Token healing is a check box.
    labels = [field.label for field in SAMPLING_FIELDS]
    labels.insert(labels.index(FIELDS["max_new_tokens"].label), STOP_AT_LABEL)
    assert _labels(panel) == labels
    sliders = {slider.objectName() for slider in panel.findChildren(QSlider)}
    assert sliders == {f"slider-{field.name}" for field in SLIDERS}
    boxes = {box.objectName() for box in panel.findChildren(QSpinBox)}
    assert boxes == {field.name for field in OPTIONAL}
    checks = {box.objectName() for box in panel.findChildren(QCheckBox)}
    assert len(checks) == len(OPTIONAL) + 1
    assert "token_healing" in checks


@pytest.mark.parametrize("field", SLIDERS, ids=[field.name for field in SLIDERS])
def test_each_slider_spans_the_fields_panel_range_from_the_keyboard(panel, qtbot, field: SamplingField):
    slider = panel.slider(field.name)
    assert field.help in slider.toolTip()
    label = next(label for label in panel.findChildren(QLabel) if label.text() == field.label)
    assert label.toolTip() == slider.toolTip()
    slider.setFocus()
    ends = ((Qt.Key.Key_Home, field.editor.low), (Qt.Key.Key_End, field.editor.high))
    if slider.value() == slider.minimum():  # the default is at the low end: move away from it first
        ends = ends[::-1]
    for key, edge in ends:
        with qtbot.waitSignal(panel.settings_changed) as changed:
            qtbot.keyClick(slider, key)
        value = getattr(changed.args[0], field.name)
        assert value == pytest.approx(edge)
        assert type(value) is field.kind
        assert getattr(panel.settings(), field.name) == value
    if ends[-1][1] != field.editor.low:
        with qtbot.waitSignal(panel.settings_changed):
            qtbot.keyClick(slider, Qt.Key.Key_Home)
    shown = panel._sliders[field.name][1].text()
    assert shown == field.shown(field.editor.low)


@pytest.mark.parametrize("field", OPTIONAL, ids=[field.name for field in OPTIONAL])
def test_an_optional_field_is_a_checkbox_for_none_and_a_box_in_its_range(panel, qtbot, field):
    box = panel.findChild(QSpinBox, field.name)
    assert (box.minimum(), box.maximum()) == (field.editor.low, field.editor.high)
    assert field.help in box.toolTip()
    none = next(c for c in panel.findChildren(QCheckBox) if c.parentWidget() is box.parentWidget())
    assert none.isChecked()
    assert not box.isEnabled()
    with qtbot.waitSignal(panel.settings_changed):
        qtbot.mouseClick(none, Qt.MouseButton.LeftButton)
    assert box.isEnabled()
    box.setFocus()
    with qtbot.waitSignal(panel.settings_changed):
        qtbot.keyClick(box, Qt.Key.Key_Up)
    assert getattr(panel.settings(), field.name) == field.editor.low + 1
    with qtbot.waitSignal(panel.settings_changed):
        qtbot.mouseClick(none, Qt.MouseButton.LeftButton)
    assert getattr(panel.settings(), field.name) is None

"""The sampling panel offers exactly the described sampling fields, in their described panel ranges."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QSlider, QSpinBox

from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.generation.sampling_fields import FIELDS, SAMPLING_FIELDS, STOP_AT_LABEL, SamplingField
from gpt2_studio.gui.sampling_panel import BASIC_FIELDS, SamplingPanel

SLIDERS = [field for field in SAMPLING_FIELDS if not field.optional]
OPTIONAL = [field for field in SAMPLING_FIELDS if field.optional]


@pytest.fixture
def panel(qtbot) -> SamplingPanel:
    made = SamplingPanel(SamplingSettings(), SamplingSettings())
    qtbot.addWidget(made)
    made.show()
    return made


def _unfold(panel: SamplingPanel, qtbot) -> None:
    qtbot.mouseClick(panel.advanced_toggle, Qt.MouseButton.LeftButton)
    assert panel.advanced.isVisible()


def test_the_panel_has_one_labelled_control_per_field_the_basic_ones_first(panel):
    # Where a suggestion ends comes just before its length (the cap); Token healing is a check box.
    basic = [field.label for field in SAMPLING_FIELDS if field.name in BASIC_FIELDS]
    basic.insert(basic.index(FIELDS["max_new_tokens"].label), STOP_AT_LABEL)
    folded = [field.label for field in SAMPLING_FIELDS if field.name not in BASIC_FIELDS]
    assert [label.text() for label in panel.labels.values()] == basic + folded
    for name, label in panel.labels.items():
        assert label.buddy() is not None, name  # each label names a control (screen readers, Alt+key)
        assert label.toolTip() == label.buddy().toolTip()
    sliders = {slider.objectName() for slider in panel.findChildren(QSlider)}
    assert sliders == {f"slider-{field.name}" for field in SLIDERS}
    boxes = {box.objectName() for box in panel.findChildren(QSpinBox)}
    assert boxes == {field.name for field in OPTIONAL}
    checks = {box.objectName() for box in panel.findChildren(QCheckBox)}
    assert len(checks) == len(OPTIONAL) + 1
    assert "token_healing" in checks


def test_the_less_used_settings_are_folded_and_the_fold_says_how_many_differ(panel, qtbot):
    shown = [label.text() for label in panel.labels.values() if label.isVisible()]
    assert shown == [FIELDS["temperature"].label, STOP_AT_LABEL, *(FIELDS[n].label for n in BASIC_FIELDS[1:])]
    assert not panel.findChild(QCheckBox, "token_healing").isVisible()
    assert panel.advanced_toggle.text() == "More settings"
    _unfold(panel, qtbot)
    assert all(label.isVisible() for label in panel.labels.values())
    with qtbot.waitSignal(panel.settings_changed):
        panel.slider("top_k").setValue(panel.slider("top_k").value() + 1)
    with qtbot.waitSignal(panel.settings_changed):
        panel.token_healing.click()
    qtbot.mouseClick(panel.advanced_toggle, Qt.MouseButton.LeftButton)  # folded again
    assert not panel.advanced.isVisible()
    assert panel.advanced_toggle.text() == "More settings (2 changed)"
    assert "Top-k" in panel.advanced_toggle.toolTip()
    assert "Token healing" in panel.advanced_toggle.toolTip()
    with qtbot.waitSignal(panel.settings_changed):
        panel.reset()
    assert panel.advanced_toggle.text() == "More settings"


def test_the_panel_is_a_narrow_column(panel):
    # The sliders sit under their labels, so the panel needs no more width than its widest control.
    assert panel.sizeHint().width() < 300
    assert panel.widget().minimumSizeHint().width() < 260


@pytest.mark.parametrize("field", SLIDERS, ids=[field.name for field in SLIDERS])
def test_each_slider_spans_the_fields_panel_range_from_the_keyboard(panel, qtbot, field: SamplingField):
    if field.name not in BASIC_FIELDS:
        _unfold(panel, qtbot)
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
    _unfold(panel, qtbot)
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

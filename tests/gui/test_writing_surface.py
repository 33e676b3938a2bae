"""The writing surface on the real main window: column, line spacing, fonts, counts, focus and full screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFontDatabase, QFontInfo, QTextCursor, QWheelEvent
from PySide6.QtWidgets import QApplication

from gpt2_studio.core.settings import AppSettings
from gpt2_studio.gui.surface.column import prose_char_width
from gpt2_studio.gui.surface.fonts import PROSE_FAMILIES

PARAGRAPH = (
    "The old lighthouse keeper climbed the stairs each evening, counting the steps as his father had "
    "done before him, and lit the lamp when the sun touched the sea. "
) * 3


def _settings(**values) -> AppSettings:
    return AppSettings(precision="fp32", ghost_delay_ms=100, **values)


@pytest.fixture
def surface_window(make_window, qtbot):
    """A window without a model (the surface needs none), 1300 px wide, with three paragraphs."""
    window = make_window(_settings(), load=False)
    window.resize(1300, 800)
    window.editor.setPlainText("\n\n".join([PARAGRAPH] * 3))
    window.editor.setFocus()
    qtbot.waitUntil(lambda: window.editor.viewport().width() > 100)
    return window


def _block_height(editor, number: int = 0) -> float:
    block = editor.document().findBlockByNumber(number)
    return editor.blockBoundingRect(block).height()


def _edit_state(editor):
    document = editor.document()
    return (
        document.toPlainText(),
        document.revision(),
        document.availableUndoSteps(),
        document.isModified(),
    )


# -- line spacing ---------------------------------------------------------------------------------
def test_line_spacing_spaces_lines_without_touching_the_text_revision_or_undo(surface_window, qtbot):
    editor = surface_window.editor
    qtbot.keyClicks(editor, "More.")  # an undo step and a modified document, as after real typing
    before = _edit_state(editor)
    editor.set_line_spacing(100)
    single = _block_height(editor)
    lines = editor.document().firstBlock().layout().lineCount()
    assert lines >= 3  # a wrapped paragraph: spacing between its lines shows
    editor.set_line_spacing(200)
    double = _block_height(editor)
    assert double == pytest.approx(2 * single, rel=0.05)
    editor.set_line_spacing(150)
    assert _block_height(editor) == pytest.approx(1.5 * single, rel=0.05)
    assert _edit_state(editor) == before  # no edit, no revision, no undo step, not "modified" by it
    editor.undo()
    assert editor.toPlainText() == "\n\n".join([PARAGRAPH] * 3)  # the one undo step is the typing


def test_spaced_lines_are_hit_where_they_are_drawn(surface_window, qtbot):
    editor = surface_window.editor
    editor.set_line_spacing(200)
    block = editor.document().firstBlock()
    layout = block.layout()
    top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
    for index in range(layout.lineCount()):
        line = layout.lineAt(index)
        middle = QPoint(round(line.x() + 30), round(top + line.y() + line.height() / 2))
        qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=middle)
        position = editor.textCursor().position() - block.position()
        assert line.textStart() <= position <= line.textStart() + line.textLength(), index
        # the caret is drawn on the line that was clicked
        assert abs(editor.cursorRect().center().y() - middle.y()) <= line.height() / 2
    # the space below the paragraph's last line belongs to that line
    bottom = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).bottom()
    qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(40, int(bottom) - 2))
    last = layout.lineAt(layout.lineCount() - 1)
    assert editor.textCursor().block() == block
    assert editor.textCursor().positionInBlock() >= last.textStart()


def test_the_ghost_survives_a_change_of_line_spacing_and_is_accepted_whole(surface_window):
    editor = surface_window.editor
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    editor.start_ghost(1)
    editor.append_ghost(0, " The end came quietly.")
    revision = editor.document().revision()
    editor.set_line_spacing(220)
    assert editor.shown_ghost_text() == " The end came quietly."
    assert editor.document().revision() == revision
    assert editor.accept_all()
    assert editor.toPlainText().endswith("sea.  The end came quietly.")


# -- the column -----------------------------------------------------------------------------------
@pytest.mark.parametrize("characters", [40, 72, 100])
def test_the_column_is_centred_and_as_wide_as_its_characters(surface_window, characters):
    editor = surface_window.editor
    surface_window.surface.column.set_width(characters)
    viewport = editor.viewport()
    wanted = characters * prose_char_width_of(editor) + 2 * editor.document().documentMargin()
    assert viewport.width() == pytest.approx(wanted, abs=3)
    left = viewport.x()
    right = editor.width() - viewport.geometry().right() - 1
    assert abs(left - right) <= 2  # centred in the editor, with or without the scroll bar
    first = editor.document().firstBlock()
    editor.blockBoundingRect(first)  # lays the block out (the new width cleared its layout)
    first_line = first.layout().lineAt(0)
    assert characters * 0.8 <= first_line.textLength() <= characters * 1.1  # text wraps at about that


def prose_char_width_of(editor) -> float:
    from PySide6.QtGui import QFontMetricsF

    return prose_char_width(QFontMetricsF(editor.font()))


def test_full_width_keeps_only_the_margins_and_a_narrow_window_keeps_the_text(surface_window, qtbot):
    editor = surface_window.editor
    surface_window.surface.column.set_width(0)
    assert editor.viewport().width() > editor.width() * 0.85
    surface_window.surface.column.set_width(200)
    surface_window.panel.hide()
    surface_window.resize(500, 600)
    qtbot.waitUntil(lambda: surface_window.width() <= 520)
    assert editor.viewport().width() >= editor.width() * 0.8  # wider than the window: margins give way


def test_the_margins_scroll_and_click_like_the_text(surface_window, qtbot):
    editor = surface_window.editor
    surface_window.surface.column.set_width(40)
    editor.setPlainText("\n".join(f"Line {n} of a long document." for n in range(300)))
    margin = QPointF(editor.viewport().x() / 2, editor.height() / 2)
    assert margin.x() > 20
    scroll = editor.verticalScrollBar()
    assert scroll.value() == 0
    wheel = QWheelEvent(
        margin,
        QPointF(editor.mapToGlobal(margin.toPoint())),
        QPoint(0, 0),
        QPoint(0, -240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(editor, wheel)
    assert scroll.value() > 0  # the wheel over the margin scrolled the text
    line = editor.document().findBlockByNumber(scroll.value() + 2)
    y = editor.blockBoundingGeometry(line).translated(editor.contentOffset()).center().y()
    click = QPoint(5, round(editor.viewport().y() + y))
    qtbot.mouseClick(editor, Qt.MouseButton.LeftButton, pos=click)
    assert editor.textCursor().block().blockNumber() == line.blockNumber()
    assert editor.textCursor().positionInBlock() == 0  # left of the column: the line's start


# -- fonts ----------------------------------------------------------------------------------------
def test_prose_font_by_default_and_monospace_on_request(make_window):
    window = make_window(_settings(), load=False)
    info = QFontInfo(window.editor.font())
    installed = [f for f in PROSE_FAMILIES if f in QFontDatabase.families()]
    assert installed  # DejaVu Serif at least, on the test machines
    assert info.family() == installed[0]
    assert not info.fixedPitch()
    window.settings.font_family = "No Such Font 12345"  # uninstalled since: the prose font, not Qt's guess
    window.surface.apply_font()
    assert QFontInfo(window.editor.font()).family() == installed[0]
    window.settings.monospace = True
    window.surface.apply_font()
    assert QFontInfo(window.editor.font()).fixedPitch()
    assert window.editor.font().pointSize() == window.settings.font_size


# -- counts ---------------------------------------------------------------------------------------
def test_counts_and_reading_time_follow_typing_and_the_selection(make_window, qtbot):
    window = make_window(_settings(), load=False)
    editor, label = window.editor, window.status_bar.counts_label
    assert not label.isVisible()  # an empty document has nothing to count
    editor.setFocus()
    qtbot.keyClicks(editor, "It was a dark and stormy night.")
    qtbot.waitUntil(lambda: label.text().startswith("7 words · 31 characters"), timeout=3000)
    assert label.text().endswith("under a minute")
    assert label.isVisible()
    cursor = editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(8, QTextCursor.MoveMode.KeepAnchor)  # "It was a"
    editor.setTextCursor(cursor)
    assert label.text() == "3 of 7 words · 8 of 31 characters"
    cursor.clearSelection()
    editor.setTextCursor(cursor)
    assert label.text().startswith("7 words")


def test_the_ghost_is_never_counted(make_window, qtbot):
    window = make_window(_settings(), load=False)
    editor, label = window.editor, window.status_bar.counts_label
    editor.setFocus()
    qtbot.keyClicks(editor, "Two words")
    qtbot.waitUntil(lambda: label.text().startswith("2 words"), timeout=3000)
    editor.start_ghost(1)
    editor.append_ghost(0, " and many more words the model suggests")
    window.surface.counter.count_now()
    assert label.text().startswith("2 words · 9 characters")


# -- focus mode and full screen -------------------------------------------------------------------
def test_focus_mode_hides_the_panels_dims_other_paragraphs_and_gives_them_back(surface_window, qtbot):
    window, editor = surface_window, surface_window.editor
    window.panel.show()
    bar = window.presets.bar
    assert window.panel.isVisible()
    assert bar.isVisible()
    cursor = editor.textCursor()
    second = editor.document().findBlockByNumber(2)
    cursor.setPosition(second.position() + 5)
    editor.setTextCursor(cursor)
    window.surface.focus_action.trigger()  # F8
    assert window.surface.focus_mode.active
    assert not window.panel.isVisible()
    assert not bar.isVisible()
    dimmer = window.surface.focus_mode.dimmer
    assert dimmer.isVisible()
    hole = dimmer.current_paragraph_rect()
    current = editor.blockBoundingGeometry(second).translated(editor.contentOffset())
    assert hole.top() == current.top()
    assert hole.height() == current.height()
    # drawn: the current paragraph's text is much darker than the others' (light theme)
    image = editor.viewport().grab().toImage()
    first = editor.blockBoundingGeometry(editor.document().firstBlock()).translated(editor.contentOffset())

    def darkest(rect) -> int:
        return min(
            image.pixelColor(x, y).lightness()
            for y in range(max(0, int(rect.top())), min(image.height(), int(rect.bottom())))
            for x in range(0, image.width(), 2)
        )

    assert darkest(current) < 90
    assert darkest(first) > darkest(current) + 60
    window.surface.focus_action.trigger()
    assert not dimmer.isVisible()
    assert window.panel.isVisible()
    assert bar.isVisible()


def test_focus_mode_leaves_hidden_panels_hidden(surface_window):
    window = surface_window
    window.panel.hide()
    window.surface.focus_mode.set_active(True)
    window.surface.focus_mode.set_active(False)
    assert not window.panel.isVisible()
    assert window.presets.bar.isVisible()


def test_full_screen_toggles_and_comes_back(surface_window, qtbot):
    window = surface_window
    action = window.surface.full_screen_action
    assert action.shortcut().toString() == "F11"
    action.trigger()
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    assert action.isChecked()
    action.trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    assert not action.isChecked()


def test_view_and_edit_menus_carry_the_new_actions(surface_window):
    surface = surface_window.surface
    menus = {a.text(): a.menu() for a in surface_window.main_menu.actions() if a.menu() is not None}
    assert surface.focus_action in menus["&View"].actions()
    assert surface.full_screen_action in menus["&View"].actions()
    assert surface.preferences_action in menus["&Edit"].actions()
    assert surface.focus_action.shortcut().toString() == "F8"
    assert surface.preferences_action.shortcut().toString() == "Ctrl+,"
    # the window holds them too, so their keys work while focus mode or full screen hides things
    assert {surface.focus_action, surface.full_screen_action} <= set(surface_window.actions())


# -- the model cell -------------------------------------------------------------------------------
def test_the_model_cell_names_model_and_device_and_opens_the_manager(window, qtbot):
    bar = window.status_bar
    cell = bar.model_cell
    assert bar.model_label.parent() is cell
    assert bar.device_label.parent() is cell
    assert bar.model_label.text() == "tiny-gpt2"
    assert bar.device_label.text() == "CPU · fp32"
    qtbot.mouseClick(cell, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model_manager is not None and window.model_manager.isVisible())
    window.model_manager.close()
    cell.setFocus()
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model_manager.isVisible())
    window.model_manager.close()


def test_closing_in_focus_mode_saves_the_panels_as_the_writer_left_them(surface_window):
    window = surface_window
    window.panel.show()
    window.surface.focus_mode.set_active(True)
    assert window.save_settings() is None
    assert window.settings.show_sampling_panel  # not hidden by focus mode in the saved settings
    assert window.surface.focus_mode.active  # and focus mode goes on
    assert not window.panel.isVisible()


def test_a_spaced_editor_paints_after_garbage_collection(qtbot):
    """The layout's Python code outlives every temporary reference (a collected one crashed the paint)."""
    import gc

    from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit

    editor = GhostTextEdit()
    qtbot.addWidget(editor)
    editor.resize(500, 300)
    editor.show()
    editor.setPlainText(("The keeper climbed the stairs. " * 10 + "\n") * 3)
    gc.collect()
    editor.set_line_spacing(180)
    gc.collect()
    image = editor.viewport().grab().toImage()  # paints now, through the spaced layout
    assert image.width() >= 400
    assert editor.document().documentLayout().line_spacing == 180

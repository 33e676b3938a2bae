"""The editor does what the keys say: undo steps, input-method composition, mid-line ghosts, U+FFFD."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QInputMethodEvent, QTextCursor
from PySide6.QtWidgets import QApplication

from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.insertion import insert_as_undo_step

CTRL = Qt.KeyboardModifier.ControlModifier
SHOTS = Path(os.environ.get("GPT2_STUDIO_SHOTS", "")) if os.environ.get("GPT2_STUDIO_SHOTS") else None


@pytest.fixture
def editor(qtbot) -> GhostTextEdit:
    editor = GhostTextEdit()
    qtbot.addWidget(editor)
    editor.resize(480, 200)
    editor.show()
    editor.setFocus()
    return editor


def show(editor: GhostTextEdit, *alternatives: str) -> None:
    editor.start_ghost(len(alternatives))
    for index, text in enumerate(alternatives):
        editor.append_ghost(index, text)
    editor.finish_ghost(list(alternatives))


def undo(qtbot, editor: GhostTextEdit) -> str:
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    return editor.toPlainText()


def commit(editor: GhostTextEdit, text: str) -> None:
    """What an input method sends when the user confirms a composition."""
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(editor, event)


def compose(editor: GhostTextEdit, preedit: str) -> None:
    """What an input method sends while the user composes (pre-edit text, not yet in the document)."""
    QApplication.sendEvent(editor, QInputMethodEvent(preedit, []))


# -- every acceptance is one undo step of its own -------------------------------------------------
def _accept_tab(qtbot, editor: GhostTextEdit) -> None:
    show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)


def _accept_word(qtbot, editor: GhostTextEdit) -> None:
    show(editor, " upon a time there")
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    assert editor.ghost_text() == " a time there"


def _insert_api(_qtbot, editor: GhostTextEdit) -> None:
    editor.insert_text(" upon")


def _insert_at_a_cursor(_qtbot, editor: GhostTextEdit) -> None:
    # How a preset writes into the document: its own cursor, not the editor's.
    cursor = QTextCursor(editor.document())
    cursor.movePosition(QTextCursor.MoveOperation.End)
    insert_as_undo_step(cursor, " upon")
    editor.setTextCursor(cursor)


def _edit_block_at_a_cursor(_qtbot, editor: GhostTextEdit) -> None:
    # An insertion by code that knows nothing of insert_as_undo_step (a plain edit block).
    cursor = QTextCursor(editor.document())
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.beginEditBlock()
    cursor.insertText(" upon")
    cursor.endEditBlock()
    editor.setTextCursor(cursor)


def _paste(qtbot, editor: GhostTextEdit) -> None:
    QApplication.clipboard().setText(" upon")
    qtbot.keyClick(editor, Qt.Key.Key_V, CTRL)


@pytest.mark.parametrize(
    "accept",
    [_accept_tab, _accept_word, _insert_api, _insert_at_a_cursor, _edit_block_at_a_cursor, _paste],
)
def test_typing_after_an_acceptance_is_undone_on_its_own(editor, qtbot, accept):
    qtbot.keyClicks(editor, "Once")
    accept(qtbot, editor)
    assert editor.toPlainText() == "Once upon"
    qtbot.keyClicks(editor, " a time")
    assert editor.toPlainText() == "Once upon a time"
    assert undo(qtbot, editor) == "Once upon"
    assert undo(qtbot, editor) == "Once"
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "Once upon"


def test_each_word_taken_with_ctrl_right_is_its_own_step(editor, qtbot):
    qtbot.keyClicks(editor, "Once")
    show(editor, " upon a time")
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    qtbot.keyClick(editor, Qt.Key.Key_Right, CTRL)
    assert editor.toPlainText() == "Once upon a"
    qtbot.keyClicks(editor, "n ogre")
    assert undo(qtbot, editor) == "Once upon a"
    assert undo(qtbot, editor) == "Once upon"
    assert undo(qtbot, editor) == "Once"


def test_committed_input_method_text_after_an_acceptance_is_its_own_step(editor, qtbot):
    qtbot.keyClicks(editor, "Once")
    _accept_tab(qtbot, editor)
    commit(editor, " a time")
    assert editor.toPlainText() == "Once upon a time"
    assert undo(qtbot, editor) == "Once upon"


def test_accepting_over_a_selection_replaces_it_in_one_step(editor, qtbot):
    qtbot.keyClicks(editor, "Once upon")
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.WordLeft, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    editor.insert_text("in")
    qtbot.keyClicks(editor, " a while")
    assert editor.toPlainText() == "Once in a while"
    assert undo(qtbot, editor) == "Once in"
    assert undo(qtbot, editor) == "Once upon"


# -- input-method composition ---------------------------------------------------------------------
def test_composition_hides_the_ghost_and_is_not_a_place_for_one(editor, qtbot):
    qtbot.keyClicks(editor, "Tokyo is ")
    show(editor, " a city")
    compose(editor, "とう")
    assert editor.is_composing()
    assert editor.ghost is None
    assert editor.toPlainText() == "Tokyo is "
    editor.start_ghost(1)  # a request that raced the composition
    editor.append_ghost(0, " late")
    assert editor.ghost is None
    assert editor.textCursor().block().layout().preeditAreaText() == "とう"
    commit(editor, "東京")
    assert not editor.is_composing()
    assert editor.toPlainText() == "Tokyo is 東京"
    show(editor, " again")
    assert editor.ghost_text() == " again"


# -- a ghost in the middle of a line never hides the user's text ----------------------------------
def _dark_pixels(image: QImage, text_color: QColor) -> int:
    """Pixels drawn in (nearly) the full text colour: glyphs of real text, never of the faded ghost."""
    count = 0
    target = text_color.lightness()
    for y in range(image.height()):
        for x in range(image.width()):
            if abs(QColor(image.pixel(x, y)).lightness() - target) < 40:
                count += 1
    return count


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(
    ("ghost", "where"),
    [
        (" (a long ghost that needs room to show)", 4),
        (" two\nlines", 4),
        (" a ghost of\nthree\nlines at the end of the first line", 36),
    ],
)
def test_a_mid_line_ghost_pushes_the_rest_of_the_line_aside(editor, qtbot, ghost, where, theme):
    from gpt2_studio.gui.themes import apply_theme

    apply_theme(QApplication.instance(), theme)
    QApplication.processEvents()  # palette changes reach shown widgets through the event loop
    base = editor.palette().color(editor.palette().ColorRole.Base)
    assert (base.lightness() < 100) == (theme == "dark")
    try:
        _check_the_ghost_hides_nothing(editor, qtbot, ghost, where, theme)
    finally:
        apply_theme(QApplication.instance(), "light")


def _check_the_ghost_hides_nothing(editor, qtbot, ghost: str, where: int, theme: str) -> None:
    editor.setPlainText("Once upon a time there lived a king.\nThe second line.")
    cursor = editor.textCursor()
    cursor.setPosition(where)
    editor.setTextCursor(cursor)
    editor.setCursorWidth(0)  # the blinking cursor would make the two images differ
    text_color = editor.palette().color(editor.palette().ColorRole.Text)
    before = editor.viewport().grab().toImage()
    show(editor, ghost)
    with_ghost = editor.viewport().grab().toImage()
    if SHOTS is not None and "\n" not in ghost:
        SHOTS.mkdir(parents=True, exist_ok=True)
        editor.grab().save(str(SHOTS / f"midline_ghost_{theme}.png"))
    # Every glyph of the user's text is still drawn in full colour, only moved.
    assert abs(_dark_pixels(with_ghost, text_color) - _dark_pixels(before, text_color)) < 20
    assert with_ghost != before
    # The rest of the line now starts after the ghost; the document is unchanged.
    layout = editor.textCursor().block().layout()
    shown = ghost.replace("\n", "\u2028")
    assert layout.preeditAreaText() == shown
    assert editor.toPlainText() == "Once upon a time there lived a king.\nThe second line."
    text_before = editor.toPlainText()[:where]
    assert editor.cursorRect().left() < editor.fontMetrics().horizontalAdvance(text_before) + 10
    # Dismissing gives back exactly the picture without the ghost.
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.viewport().grab().toImage() == before


def test_a_mid_line_ghost_is_accepted_where_it_was_shown(editor, qtbot):
    editor.setPlainText("Once a time")
    cursor = editor.textCursor()
    cursor.setPosition(4)
    editor.setTextCursor(cursor)
    show(editor, " upon")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "Once upon a time"
    assert editor.textCursor().position() == len("Once upon")
    assert editor.textCursor().block().layout().preeditAreaText() == ""


def test_an_edit_elsewhere_takes_the_ghost_out_of_the_layout(editor, qtbot):
    editor.setPlainText("first\nsecond line")
    cursor = editor.textCursor()
    cursor.setPosition(len("first\nsec"))
    editor.setTextCursor(cursor)
    show(editor, " ghost")
    block = editor.textCursor().block()
    other = QTextCursor(editor.document())
    other.insertText("zero\n")  # an edit that is not at the cursor (say, a preset's)
    assert editor.ghost is None
    assert block.layout().preeditAreaText() == ""
    qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton)
    assert editor.toPlainText() == "zero\nfirst\nsecond line"


# -- text the model could not decode ---------------------------------------------------------------
@pytest.mark.parametrize("chunks", [["café", "\ufffd"], ["caf\ufffd", "é"], ["\ufffd"]])
def test_replacement_characters_from_a_model_never_reach_the_document(editor, qtbot, chunks):
    qtbot.keyClicks(editor, "Le ")
    editor.start_ghost(1)
    for chunk in chunks:
        editor.append_ghost(0, chunk)
    assert "\ufffd" not in editor.ghost_text()
    assert "\ufffd" not in editor.textCursor().block().layout().preeditAreaText()  # what is drawn
    editor.finish_ghost(["".join(chunks)])
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert "\ufffd" not in editor.toPlainText()
    editor.insert_text("x\ufffd")
    assert "\ufffd" not in editor.toPlainText()


def test_no_suggestion_is_asked_for_while_an_input_method_composes(window, qtbot):
    editor, controller = window.editor, window.controller
    states: list[str] = []
    controller.state_changed.connect(states.append)
    qtbot.keyClicks(editor, "Tokyo is ")
    with qtbot.waitSignal(controller.timer.timeout, timeout=5_000):
        compose(editor, "とう")
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL)  # Ctrl+Space waits for the composition too
    assert "generating" not in states
    assert editor.ghost is None
    commit(editor, "東京")
    qtbot.waitUntil(lambda: editor.ghost is not None and not controller.in_flight, timeout=20_000)
    assert states[0] == "generating"
    assert editor.ghost.position == len("Tokyo is 東京")


# -- keys and what Help says about them -------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "mods", "step"),
    [
        (Qt.Key.Key_Equal, CTRL, 1),
        (Qt.Key.Key_Plus, CTRL, 1),
        (Qt.Key.Key_Minus, CTRL, -1),
        (Qt.Key.Key_Plus, CTRL | Qt.KeyboardModifier.KeypadModifier, 1),
        (Qt.Key.Key_Minus, CTRL | Qt.KeyboardModifier.KeypadModifier, -1),
    ],
)
def test_font_size_keys(make_window, qtbot, key, mods, step):
    window = make_window(load=False)
    window.activateWindow()
    window.editor.setFocus()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    size = window.settings.font_size
    qtbot.keyClick(window.editor, key, mods)
    assert window.settings.font_size == size + step
    assert window.editor.font().pointSize() == size + step
    assert window.editor.toPlainText() == ""


def test_help_lists_every_shortcut(make_window, qtbot):
    from PySide6.QtGui import QAction, QKeySequence

    window = make_window(load=False)
    window.findChild(QAction, "action-shortcuts").trigger()
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    assert dialog.windowTitle() == "Keyboard Shortcuts"
    rows = dialog.rows()
    keys = {part.strip() for shown, _what in rows for part in shown.split("  /  ")}
    for expected in ("Tab", "Ctrl+Right", "Esc", "Alt+]", "Alt+[", "Ctrl+Space", "Ctrl+=", "Ctrl++"):
        assert expected in keys, expected
    for expected in ("Ctrl+-", "Ctrl+0", "Ctrl+Shift+M", "Ctrl+.", "Ctrl+Z"):
        assert expected in keys, expected
    for n in range(1, 7):
        assert f"Ctrl+Alt+{n}" in keys
    native = QKeySequence.SequenceFormat.NativeText
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            assert sequence.toString(native) in keys, action.text()
    assert all(what for _keys, what in rows)


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: show_find raises it
def test_dialogs_have_real_titles(make_window, qtbot):
    window = make_window(load=False)
    window.show_find()
    window.show_model_manager()
    window.show_shortcuts()
    for dialog in (window.find_dialog, window.model_manager, window.shortcuts_dialog):
        title = dialog.windowTitle()
        assert title, dialog
        assert title != "GPT-2 Studio", title


@pytest.mark.parametrize("key", [Qt.Key.Key_Down, Qt.Key.Key_End, Qt.Key.Key_Up])
def test_moving_with_a_wrapped_mid_line_ghost_goes_where_it_would_without_it(editor, qtbot, key):
    editor.setPlainText("First line of text\nOnce upon a time\nThird line here")
    start = len("First line of text\nOnce")

    def press(with_ghost: bool) -> int:
        cursor = editor.textCursor()
        cursor.setPosition(start)
        editor.setTextCursor(cursor)
        if with_ghost:
            show(editor, " a ghost long enough to wrap over two or three lines of this narrow editor")
            qtbot.keyClick(editor, Qt.Key.Key_Control)  # a modifier alone keeps the ghost
            assert editor.ghost is not None
        qtbot.keyClick(editor, key)
        return editor.textCursor().position()

    assert press(with_ghost=True) == press(with_ghost=False)
    assert editor.ghost is None


@pytest.mark.parametrize("how", ["Q&A", "TL;DR Insert"])
def test_typing_after_a_real_preset_insertion_is_undone_on_its_own(window, qtbot, how):
    from tests.gui.presets.test_presets_gui import TEXT, click, put_cursor, start_with, wait_done

    start_with(window)
    if how == "Q&A":
        put_cursor(window, TEXT.index("capital"))
        click(qtbot, window, "Q&A")  # puts the answer on a new line under the question
        wait_done(qtbot, window)
    else:
        put_cursor(window, len(TEXT), anchor=0)
        click(qtbot, window, "TL;DR")
        wait_done(qtbot, window)
        put_cursor(window, len(TEXT))
        window.editor.document().clearUndoRedoStacks()
        qtbot.keyClicks(window.editor, " And")
        qtbot.mouseClick(window.presets.panel.insert_button, Qt.MouseButton.LeftButton)
    inserted = window.editor.toPlainText()
    before = inserted if how == "Q&A" else TEXT + " And"
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, " Thanks")
    assert undo(qtbot, window.editor) == inserted
    if how == "Q&A":
        assert undo(qtbot, window.editor) == TEXT
    else:
        assert undo(qtbot, window.editor) == before


def test_the_ghost_follows_a_theme_switch(editor, qtbot):
    from gpt2_studio.gui.themes import apply_theme

    editor.setPlainText("Once")
    editor.moveCursor(QTextCursor.MoveOperation.End)
    show(editor, " upon a time")

    def ghost_color() -> QColor:
        ranges = editor.textCursor().block().layout().formats()  # kept: the formats live in it
        return QColor(ranges[-1].format.foreground().color())

    def between_text_and_base() -> bool:
        palette = editor.palette()
        text, base = palette.color(palette.ColorRole.Text), palette.color(palette.ColorRole.Base)
        low, high = sorted((text.lightness(), base.lightness()))
        return low < ghost_color().lightness() < high

    assert between_text_and_base()
    light = ghost_color()
    apply_theme(QApplication.instance(), "dark")
    try:
        QApplication.processEvents()
        assert ghost_color() != light
        assert between_text_and_base()
        assert editor.ghost_text() == " upon a time"
    finally:
        apply_theme(QApplication.instance(), "light")
        QApplication.processEvents()

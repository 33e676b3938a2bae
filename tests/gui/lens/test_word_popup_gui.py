"""The word popup in the real window, on the tiny GPT-2: Alt+click, the context menu and Ctrl+Shift+Space
open the model's alternatives; choosing one is one undo step; Esc changes nothing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QMenu

from gpt2_studio.core.generation.word_alternatives import word_alternatives
from gpt2_studio.gui.editor.document_text import exact_text, set_exact_text

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = CTRL | Qt.KeyboardModifier.ShiftModifier
# The offscreen platform cannot raise a popup or let it grab the keyboard; keys still reach it.
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing the keyboard"
)
TEXT = "Once upon a time there was a small \U0001f408 cat who liked café au lait."


def type_text(window, qtbot, text: str = TEXT) -> None:
    window.controller.set_enabled(False)  # no ghost suggestions: only the popup is under test
    window.editor.setFocus()
    set_exact_text(window.editor, text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def point_in_word(editor, word: str) -> QPoint:
    """A viewport point over the middle of the word's first occurrence."""
    text = exact_text(editor.document())
    index = text.index(word) + len(word) // 2
    cursor = QTextCursor(editor.document())
    cursor.setPosition(index + sum(1 for c in text[:index] if ord(c) > 0xFFFF))  # Qt counts UTF-16
    rect = editor.cursorRect(cursor)
    return QPoint(rect.x() + 1, rect.center().y())


def menu_words(popup) -> list[tuple[str, str]]:
    """(word as written in the document, percentage) of each entry of the open popup."""
    out = []
    for action in popup.menu.actions():
        if action.data() is not None:
            shown, _tab, percent = action.text().partition("\t")
            assert shown.replace("&&", "&") == action.data().strip()
            out.append((action.data(), percent))
    return out


def wait_menu(window, qtbot) -> QMenu:
    qtbot.waitUntil(
        lambda: window.word_popup.menu is not None and window.word_popup.menu.isVisible(), timeout=30_000
    )
    return window.word_popup.menu


@pytest.mark.parametrize("lens", [False, True])
def test_alt_click_lists_the_models_words_and_choosing_one_is_one_undo_step(window, qtbot, engine, lens):
    type_text(window, qtbot)
    window.main_menu.likelihood_action.setChecked(lens)  # the heat map on or off: Alt+click works alike
    editor = window.editor
    cursor_before = editor.textCursor().position()
    qtbot.mouseClick(
        editor.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.AltModifier,
        point_in_word(editor, "small"),
    )
    menu = wait_menu(window, qtbot)
    assert editor.textCursor().position() == cursor_before  # Alt+click does not move the cursor
    # The words are the model's, best first, as the core finds them on the same model.
    expected = word_alternatives(engine, TEXT[: TEXT.index("small")], "small").alternatives
    words = menu_words(window.word_popup)
    assert [w for w, _p in words] == [a.text for a in expected]
    assert words
    assert "small" not in [w for w, _p in words]
    assert all(p.endswith("%") for _w, p in words)
    assert menu.activeAction().data() == expected[0].text  # Enter would take the best one
    # Keyboard only: Down to the second word, Enter.
    qtbot.keyClick(menu, Qt.Key.Key_Down)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.word_popup.menu is None)
    chosen = expected[1].text
    assert exact_text(editor.document()) == TEXT.replace("small", chosen, 1)
    assert not chosen.startswith(" ")  # the space before the word stays the writer's
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    assert exact_text(editor.document()) == TEXT  # one undo step brings back the exact text
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL_SHIFT)
    assert exact_text(editor.document()) == TEXT.replace("small", chosen, 1)


def test_ctrl_shift_space_at_the_cursor_and_esc_changes_nothing(window, qtbot):
    type_text(window, qtbot)
    editor = window.editor
    qtbot.keyClick(editor, Qt.Key.Key_Left)  # after "lait", before the full stop
    revision = editor.document().revision()
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL_SHIFT)
    menu = wait_menu(window, qtbot)
    assert menu.actions()[0].text() == "In place of \u201clait\u201d:"
    qtbot.keyClick(menu, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.word_popup.menu is None)
    assert exact_text(editor.document()) == TEXT
    assert editor.document().revision() == revision
    assert editor.toPlainText() == TEXT


def test_the_context_menu_offers_alternatives_for_the_word_under_the_mouse(window, qtbot, engine):
    type_text(window, qtbot)
    editor = window.editor
    point = point_in_word(editor, "café")
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, editor.viewport().mapToGlobal(point))
    QApplication.sendEvent(editor.viewport(), event)
    context = QApplication.activePopupWidget()
    assert isinstance(context, QMenu)
    entry = context.findChild(type(window.word_popup.action), "context-word-alternatives")
    assert entry is not None
    assert entry.isEnabled()
    context.close()
    entry.trigger()
    wait_menu(window, qtbot)
    expected = word_alternatives(engine, TEXT[: TEXT.index("café")], "café").alternatives
    assert [w for w, _p in menu_words(window.word_popup)] == [a.text for a in expected]
    window.word_popup.menu.close()


def test_a_choice_after_the_text_changed_is_refused_and_changes_nothing(window, qtbot):
    type_text(window, qtbot)
    editor = window.editor
    qtbot.mouseClick(
        editor.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.AltModifier,
        point_in_word(editor, "cat"),
    )
    menu = wait_menu(window, qtbot)
    edit = QTextCursor(editor.document())
    edit.insertText("Hi. ")  # an edit (another window, a preset) while the popup is open
    changed = exact_text(editor.document())
    messages: list[str] = []
    window.word_popup.message.connect(messages.append)
    menu.activeAction().trigger()
    menu.close()
    assert exact_text(editor.document()) == changed
    assert messages == ["The text changed since the alternatives were found; ask again."]


@pytest.mark.parametrize("where", ["space", "end of text"])
def test_no_word_there_says_so(window, qtbot, where):
    type_text(window, qtbot, "Hello   there")
    position = 6 if where == "space" else 0
    if where == "end of text":
        window.editor.clear()
    messages: list[str] = []
    window.word_popup.message.connect(messages.append)
    assert not window.word_popup.ask_at(position)
    assert messages == ["There is no word here to find alternatives for."]
    assert window.word_popup.menu is None


def test_ctrl_shift_space_is_listed_once_and_shared_with_no_other_action(window):
    from gpt2_studio.gui.shortcuts_dialog import collect_shortcuts

    rows = collect_shortcuts(window)
    assert [what for keys, what in rows if keys == "Ctrl+Shift+Space"] == [
        "View → Alternatives for This Word…"
    ]
    keys = [k for row, _what in rows for k in row.split("  /  ") if "Ctrl" in k]
    assert len(keys) == len(set(keys))
    assert ("Alt+click a word", "The model's alternatives for that word") in rows


PARAGRAPHS = "The small cat sat on the mat and slept.\nThe next paragraph stays."


def continue_after(window, qtbot, word: str) -> str:
    """Alt+click word, choose Continue from Here by keyboard; the ghost's text once it has finished."""
    type_text(window, qtbot, PARAGRAPHS)
    editor = window.editor
    qtbot.mouseClick(
        editor.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.AltModifier,
        point_in_word(editor, word),
    )
    menu = wait_menu(window, qtbot)
    assert menu.actions()[-1].objectName() == "word-popup-continue"
    for _ in range(len(menu.actions())):  # Down to the last entry
        if menu.activeAction().objectName() == "word-popup-continue":
            break
        qtbot.keyClick(menu, Qt.Key.Key_Down)
    assert menu.activeAction().objectName() == "word-popup-continue"
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.controller.in_flight and editor.ghost is not None, timeout=30_000)
    assert window.word_popup.continue_here.active
    assert editor.textCursor().position() == PARAGRAPHS.index(word) + len(word)
    # The rest of the paragraph is struck out (painted only), the next paragraph is not.
    (selection,) = editor.extraSelections()
    assert selection.format.fontStrikeOut()
    assert (selection.cursor.anchor(), selection.cursor.position()) == (
        PARAGRAPHS.index(word) + len(word),
        PARAGRAPHS.index("\n"),
    )
    assert exact_text(editor.document()) == PARAGRAPHS
    return editor.ghost_text()


def test_continue_from_here_and_tab_replaces_the_rest_of_the_paragraph_as_one_undo_step(window, qtbot):
    ghost = continue_after(window, qtbot, "cat")
    assert ghost
    editor = window.editor
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    cut = PARAGRAPHS.index("cat") + 3
    assert exact_text(editor.document()) == PARAGRAPHS[:cut] + ghost + PARAGRAPHS[PARAGRAPHS.index("\n") :]
    assert not window.word_popup.continue_here.active
    assert editor.extraSelections() == []
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)
    assert exact_text(editor.document()) == PARAGRAPHS


def test_continue_from_here_and_esc_restores_the_text_exactly(window, qtbot):
    continue_after(window, qtbot, "cat")
    editor = window.editor
    revision = editor.document().revision()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.ghost is None
    assert not window.word_popup.continue_here.active
    assert editor.extraSelections() == []
    assert exact_text(editor.document()) == PARAGRAPHS
    assert editor.document().revision() == revision


def test_an_answer_for_text_that_changed_while_it_was_found_never_opens(window, qtbot):
    type_text(window, qtbot)
    editor = window.editor
    popup = window.word_popup
    assert popup.ask_at(TEXT.index("small") + 1)
    qtbot.keyClicks(editor, " More")  # typed before the answer can arrive (the loop has not run)
    assert not popup.pending  # the edit made it stale (dropped by the worker, or on arrival)
    # The worker runs requests in order: once a later word's menu is open, the first answer came or
    # was dropped, and it never opened a menu of its own.
    assert popup.ask_at(TEXT.index("cat") + 1)
    menu = wait_menu(window, qtbot)
    assert menu.actions()[0].text() == "In place of \u201ccat\u201d:"
    assert [m for m in editor.findChildren(QMenu) if m.objectName() == "word-popup" and m.isVisible()] == [
        menu
    ]
    assert exact_text(editor.document()) == TEXT + " More"
    menu.close()

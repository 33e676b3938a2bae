"""Spelling in the real window: wavy underlines, the right-click menu in the model's order, Add to
Dictionary, Ignore, the lens and the underlines on one block, languages, and no edit from any of it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QContextMenuEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication

from gpt2_studio.core.settings import AppSettings
from gpt2_studio.core.spelling.dictionaries import Speller, personal_path
from gpt2_studio.core.spelling.document_languages import document_language
from gpt2_studio.core.spelling.ranking import rank_suggestions
from gpt2_studio.gui.editor.document_text import exact_text, set_exact_text

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing the keyboard"
)
WAVE = QTextCharFormat.UnderlineStyle.SpellCheckUnderline


def underlined(editor) -> list[str]:
    """The texts of the document's ranges drawn with a wavy underline, in order."""
    out = []
    block = editor.document().firstBlock()
    while block.isValid():
        text = block.text()
        for item in block.layout().formats():
            if item.format.underlineStyle() == WAVE:
                out.append(text[item.start : item.start + item.length])
        block = block.next()
    return out


def ready(window, qtbot, text: str) -> None:
    window.controller.set_enabled(False)  # no ghost suggestions: the underlines are under test
    set_exact_text(window.editor, text)
    qtbot.waitUntil(lambda: window.spelling.underliner.speller is not None, timeout=20_000)
    qtbot.waitUntil(lambda: not window.spelling.underliner.painting, timeout=20_000)


def right_click(window, word: str):
    editor = window.editor
    text = exact_text(editor.document())
    cursor = QTextCursor(editor.document())
    cursor.setPosition(text.index(word) + len(word) // 2)
    rect = editor.cursorRect(cursor)
    point = QPoint(rect.x() + 1, rect.center().y())
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, editor.viewport().mapToGlobal(point))
    QApplication.sendEvent(editor.viewport(), event)
    return window.spelling.menu.menu


def suggestions(menu_owner) -> list[str]:
    return [a.data() for a in menu_owner.suggestion_actions]


def test_teh_is_underlined_the_is_not_and_nothing_is_edited(window, qtbot):
    editor = window.editor
    ready(window, qtbot, "I saw teh cat and the dog.\nA second line with wrods.")
    document = editor.document()
    revision, undo = document.revision(), document.availableUndoSteps()
    modified = document.isModified()
    qtbot.waitUntil(lambda: underlined(editor) == ["teh", "wrods"], timeout=10_000)
    assert document.revision() == revision
    assert document.availableUndoSteps() == undo
    assert document.isModified() == modified
    assert exact_text(document) == "I saw teh cat and the dog.\nA second line with wrods."
    wave = next(f for f in editor.document().firstBlock().layout().formats())
    assert wave.format.underlineColor().red() > 150  # red from the palette's side, not black


def test_typing_underlines_as_you_go(window, qtbot):
    editor = window.editor
    ready(window, qtbot, "")
    editor.setFocus()
    qtbot.keyClicks(editor, "A wrold ")
    qtbot.waitUntil(lambda: underlined(editor) == ["wrold"], timeout=5_000)
    editor.moveCursor(QTextCursor.MoveOperation.End)
    for _ in range(6):
        qtbot.keyClick(editor, "\b")
    qtbot.keyClicks(editor, "world ")
    assert underlined(editor) == []


def test_the_menu_lists_suggestions_in_the_models_order_and_one_undo_step(window, qtbot, engine):
    text = "Once upon a time there was a smal cat."
    ready(window, qtbot, text)
    menu = right_click(window, "smal")
    assert menu is not None
    library = Speller("en").candidates("smal")
    model = rank_suggestions(engine, text[: text.index("smal")], "smal", " cat.", library).suggestions
    assert list(model) != library  # random weights: another order than word frequency
    owner = window.spelling.menu
    qtbot.waitUntil(lambda: suggestions(owner) == list(model), timeout=20_000)
    texts = [a.text() for a in menu.actions()]
    assert texts[: len(model)] == list(model)
    assert any("Add \u201csmal\u201d to Dictionary" in t for t in texts)
    assert any(t.startswith("Alternatives for This Word") for t in texts)
    owner.suggestion_actions[0].trigger()
    menu.close()
    assert exact_text(window.editor.document()) == text.replace("smal", model[0])
    window.editor.undo()  # one step takes the whole replacement back
    assert exact_text(window.editor.document()) == text


def test_without_a_model_the_library_order_shows(make_window, qtbot):
    window = make_window(load=False)
    ready(window, qtbot, "I read a bok yesterday.")
    right_click(window, "bok")
    assert suggestions(window.spelling.menu) == Speller("en").candidates("bok")
    window.spelling.menu.menu.close()


def test_add_to_dictionary_persists_and_removes_the_underline(window, qtbot, isolated_home):
    ready(window, qtbot, "Zorblax met Zorblax and teh dog.")
    qtbot.waitUntil(lambda: underlined(window.editor) == ["Zorblax", "Zorblax", "teh"], timeout=5_000)
    menu = right_click(window, "Zorblax")
    menu.findChild(type(menu.actions()[0]), "spelling-add").trigger()
    menu.close()
    qtbot.waitUntil(lambda: underlined(window.editor) == ["teh"], timeout=5_000)
    assert personal_path("en").read_text(encoding="utf-8") == "Zorblax\n"
    assert personal_path("en").is_relative_to(isolated_home)


def test_ignore_removes_the_underline_for_the_session(window, qtbot):
    ready(window, qtbot, "Qwertyx and teh.")
    menu = right_click(window, "Qwertyx")
    menu.findChild(type(menu.actions()[0]), "spelling-ignore").trigger()
    menu.close()
    qtbot.waitUntil(lambda: underlined(window.editor) == ["teh"], timeout=5_000)
    assert not personal_path("en").exists()


def test_a_correct_word_gets_the_usual_menu(window, qtbot):
    ready(window, qtbot, "The cat sat.")
    assert right_click(window, "cat") is None
    popup = QApplication.activePopupWidget()
    if popup is not None:
        popup.close()


def test_the_lens_tints_and_the_underlines_share_a_block(window, qtbot):
    editor = window.editor
    ready(window, qtbot, "The quick brown fox jumsp over the lazy dog.")
    window.main_menu.likelihood_action.setChecked(True)
    qtbot.waitUntil(lambda: bool(window.lens.highlighter.spans), timeout=30_000)
    qtbot.waitUntil(lambda: not window.lens.highlighter.painting, timeout=10_000)
    formats = editor.document().firstBlock().layout().formats()
    tints = [f for f in formats if f.format.background().style() != 0]
    assert len(tints) >= 5
    assert underlined(editor) == ["jumsp"]
    # The underline survives a new scoring, and the tints survive the underliner's repaint.
    window.spelling.underliner.words_changed()
    qtbot.waitUntil(lambda: not window.spelling.underliner.painting, timeout=10_000)
    formats = editor.document().firstBlock().layout().formats()
    assert len([f for f in formats if f.format.background().style() != 0]) == len(tints)
    assert underlined(editor) == ["jumsp"]
    window.main_menu.likelihood_action.setChecked(False)
    qtbot.waitUntil(lambda: not window.lens.highlighter.spans, timeout=10_000)
    qtbot.waitUntil(lambda: underlined(editor) == ["jumsp"], timeout=10_000)


@pytest.mark.parametrize(
    ("language", "text", "wrong"),
    [
        ("fr", "L'homme a mangé une pomme à la mainson.", ["mainson"]),
        ("de", "Die Straße führt zum großen Hauss.", ["Hauss"]),
        ("es", "El niño y la manzana en la montanna.", ["montanna"]),
    ],
)
def test_french_german_spanish_and_the_language_is_remembered(
    make_window, qtbot, tmp_path, language, text, wrong
):
    window = make_window(load=False)
    path = tmp_path / f"doc-{language}.txt"
    path.write_bytes(text.encode("utf-8"))
    window.controller.set_enabled(False)
    assert window.open_file(path, ask=False)
    qtbot.waitUntil(lambda: window.spelling.underliner.speller is not None, timeout=20_000)
    window.spelling.language_actions[language].trigger()
    qtbot.waitUntil(lambda: window.spelling.underliner.speller is not None, timeout=20_000)
    qtbot.waitUntil(lambda: not window.spelling.underliner.painting, timeout=10_000)
    assert window.spelling.underliner.speller.language == language
    qtbot.waitUntil(lambda: underlined(window.editor) == wrong, timeout=10_000)
    assert document_language(path, "en") == language
    assert path.read_bytes() == text.encode("utf-8")


def test_spell_check_off_removes_the_underlines_and_is_a_setting(make_window, qtbot):
    window = make_window(AppSettings(precision="fp32", ghost_delay_ms=100, spell_check=True), load=False)
    ready(window, qtbot, "teh end")
    qtbot.waitUntil(lambda: underlined(window.editor) == ["teh"], timeout=5_000)
    window.spelling.check_action.setChecked(False)
    qtbot.waitUntil(lambda: underlined(window.editor) == [], timeout=5_000)
    assert window.settings.spell_check is False


def test_a_long_document_is_checked_in_slices(window, qtbot):
    paragraph = ("the quick brown fox jumps over teh lazy dog " * 10).strip()
    paragraphs = "\n".join([paragraph] * 110)  # 9,900 words
    window.controller.set_enabled(False)
    set_exact_text(window.editor, paragraphs)
    underliner = window.spelling.underliner
    qtbot.waitUntil(lambda: underliner.speller is not None, timeout=20_000)
    assert underliner.painting  # the blocks off screen wait for their turn
    qtbot.waitUntil(lambda: not underliner.painting, timeout=60_000)
    assert underlined(window.editor).count("teh") == 1100


def wave_ranges(block) -> list[tuple[int, int]]:
    return [
        (item.start, item.length) for item in block.layout().formats() if item.format.underlineStyle() == WAVE
    ]


def test_a_ghost_in_an_underlined_block_and_back(window, qtbot):
    editor = window.editor
    ready(window, qtbot, "A wrold of teh")
    cursor = editor.textCursor()
    cursor.setPosition(7)  # after "wrold": "teh" follows the ghost
    editor.setTextCursor(cursor)
    block = editor.document().firstBlock()
    qtbot.waitUntil(lambda: wave_ranges(block) == [(2, 5), (11, 3)], timeout=5_000)
    revision = editor.document().revision()
    editor.start_ghost(1)
    editor.append_ghost(0, " full")
    assert editor.shown_ghost_text() == " full"
    assert wave_ranges(block) == [(2, 5), (16, 3)]  # the ghost editor moved it past the ghost
    window.spelling.underliner.words_changed()  # a repaint while the ghost is shown: around the ghost
    qtbot.waitUntil(lambda: not window.spelling.underliner.painting, timeout=5_000)
    assert wave_ranges(block) == [(2, 5), (16, 3)]
    assert editor.shown_ghost_text() == " full"
    editor.clear_ghost()
    qtbot.waitUntil(lambda: wave_ranges(block) == [(2, 5), (11, 3)], timeout=5_000)
    assert block.layout().preeditAreaText() == ""
    assert editor.document().revision() == revision
    assert exact_text(editor.document()) == "A wrold of teh"


def test_saving_writes_the_text_and_no_underline(window, qtbot, tmp_path):
    path = tmp_path / "story.txt"
    original = "Ther is a smal garden.\r\nCafé teh end\r\n".encode()
    path.write_bytes(original)
    window.controller.set_enabled(False)
    assert window.open_file(path, ask=False)
    qtbot.waitUntil(lambda: underlined(window.editor) == ["Ther", "smal", "teh"], timeout=10_000)
    assert not window.editor.document().isModified()
    window.editor.document().setModified(True)
    assert window.save()
    assert path.read_bytes() == original


def test_a_word_two_edits_away_is_searched_off_the_gui_thread(make_window, qtbot):
    """'neccesary' has no word one edit away: the slow search (over a second here) runs on a thread."""
    window = make_window(load=False)
    ready(window, qtbot, "It is not neccesary to shout.")
    menu = right_click(window, "neccesary")
    owner = window.spelling.menu
    assert owner.searching
    assert [a.text() for a in owner.suggestion_actions] == ["Looking for suggestions\u2026"]
    assert not owner.suggestion_actions[0].isEnabled()
    qtbot.waitUntil(lambda: not owner.searching, timeout=30_000)
    assert suggestions(owner) == Speller("en").candidates("neccesary")
    assert suggestions(owner)[0] == "necessary"
    assert menu.actions()[0] is owner.suggestion_actions[0]
    menu.close()


def test_the_underline_follows_the_palette(make_window, qtbot):
    from PySide6.QtGui import QColor, QPalette

    window = make_window(load=False)
    ready(window, qtbot, "teh end")
    block = window.editor.document().firstBlock()
    light = next(f.format.underlineColor() for f in block.layout().formats())
    dark = QPalette(window.editor.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor(30, 30, 30))
    dark.setColor(QPalette.ColorRole.Text, QColor(230, 230, 230))
    window.editor.setPalette(dark)
    qtbot.waitUntil(lambda: not window.spelling.underliner.painting, timeout=5_000)
    now = next(f.format.underlineColor() for f in block.layout().formats())
    assert now.lightnessF() > light.lightnessF()
    assert now.red() > now.green()

"""The lens on a document far longer than the screen: blocks on screen are tinted when the scores come,
the rest a slice at a time between other events, and edits meanwhile leave no tint on moved characters."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtGui import QTextCursor

from gpt2_studio.gui.editor.document_text import exact_text, set_exact_text
from gpt2_studio.gui.lens.spans import TokenSpans
from tests.gui.lens.test_lens_gui import (
    assert_tints_match_fresh_scores,
    background_at,
    lens_on,
    wait_scored,
)

# 80 short lines (Cyrillic and an emoji among them): several windows of the tiny model, many screens.
LONG = "\n".join(f"Line {i}: свет{' 🐈' * (i % 7 == 0)}." for i in range(80))


def test_a_long_document_is_tinted_on_screen_first_then_everywhere(window, qtbot, engine):
    set_exact_text(window.editor, LONG)
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    highlighter = window.lens.highlighter
    arrivals: list[tuple[bool, bool, bool]] = []
    set_spans = highlighter.set_spans

    def on_new_spans(spans: TokenSpans) -> None:
        set_spans(spans)
        if spans:  # what the scores' arrival painted at once, before any other event ran
            last = window.editor.document().lastBlock().position()
            arrivals.append(
                (
                    highlighter.painting,
                    background_at(window.editor, 0) is not None,
                    background_at(window.editor, last) is not None,
                )
            )

    highlighter.set_spans = on_new_spans
    lens_on(window, qtbot)
    assert arrivals
    painting, first_tinted, last_tinted = arrivals[-1]
    assert painting  # the last screen's blocks were left for later…
    assert first_tinted  # …while the first screen was tinted at once
    assert not last_tinted
    assert_tints_match_fresh_scores(window.editor, engine)  # …and every block got its tints in the end


def test_typing_while_off_screen_blocks_wait_for_their_tints_leaves_none_stale(window, qtbot, engine):
    set_exact_text(window.editor, LONG)
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    lens_on(window, qtbot)
    # A new colouring repaints everything: the screen now, the rest in slices; type before they end.
    window.lens.set_coloring("surprisal")
    assert window.lens.highlighter.painting
    qtbot.keyClicks(window.editor, "Hello ")
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertText(" and the end")  # an edit past the blocks still waiting
    qtbot.waitUntil(lambda: not window.lens.highlighter.painting, timeout=30_000)
    wait_scored(window, qtbot)
    assert exact_text(window.editor.document()) == "Hello " + LONG + " and the end"
    assert_tints_match_fresh_scores(window.editor, engine, "surprisal")


def test_spans_map_code_points_to_utf16_units_as_a_walk_over_the_text_would(engine):
    text = "a🐈b\r\nсвет 日本 🦜🦜 x" * 3
    spans = TokenSpans.from_scores(text, engine.score(text).tokens)
    qt_text = text.encode("utf-16-le")
    for start, end, token in zip(spans.starts, spans.ends, spans.tokens, strict=True):
        assert qt_text[2 * start : 2 * end].decode("utf-16-le") == token.text


def test_hovering_far_down_a_long_document_shows_that_tokens_numbers(window, qtbot):
    set_exact_text(window.editor, LONG)
    lens_on(window, qtbot)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.ensureCursorVisible()
    rect = window.editor.cursorRect()
    text = window.lens.tooltip_at(QPoint(rect.x() - 4, rect.center().y()))
    assert "rank" in text

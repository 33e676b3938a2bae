"""Suggestions carry their own numbers, and a long text shows where the model's view begins (tiny model)."""

from __future__ import annotations

import math
import re

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from gpt2_studio.core.generation.sampling import SamplingSettings

CTRL = Qt.KeyboardModifier.ControlModifier
SUMMARY = re.compile(r"^(\d+/\d+ · )?\d+% · \d+\.\d\d? s$")


def _suggest(window, qtbot, text: str, **settings) -> None:
    window.controller.set_settings(SamplingSettings(**settings))
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, text)
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    assert window.editor.ghost is not None


def test_each_alternative_shows_its_confidence_and_time_beside_the_indicator(window, qtbot):
    _suggest(
        window,
        qtbot,
        "Once upon a time",
        seed=5,
        temperature=1.5,
        top_k=0,
        max_new_tokens=8,
        num_alternatives=3,
    )
    ghost = window.editor.ghost
    label = window.status_bar.alternative_label
    assert len(ghost.numbers) == len(ghost.alternatives)
    seen = set()
    for _ in ghost.alternatives:
        numbers = ghost.numbers[ghost.index]
        assert numbers is not None
        text = label.text()
        assert SUMMARY.match(text), text
        expected = sum(math.exp(c.logprob) for c in numbers.choices) / len(numbers.choices)
        assert f" · {100 * expected:.0f}% · " in f" · {text}"
        if len(ghost.alternatives) > 1:
            assert text.startswith(f"{ghost.index + 1}/{len(ghost.alternatives)} · ")
        seen.add(ghost.index)
        qtbot.keyClick(window.editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.AltModifier)
    assert len(seen) == len(ghost.alternatives)
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert window.status_bar.alternative_label.text() == ""


def _ghost_point(editor, offset: int) -> QPoint:
    """The viewport point over the ghost's character at offset (the ghost sits at the cursor)."""
    cursor = editor.textCursor()
    block = cursor.block()
    layout = block.layout()
    top_left = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).topLeft()
    at = cursor.position() - block.position() + offset
    line = layout.lineForTextPosition(at)
    x = (line.cursorToX(at)[0] + line.cursorToX(at + 1)[0]) / 2
    return QPoint(int(top_left.x() + x), int(top_left.y() + line.y() + line.height() / 2))


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: QToolTip raises itself
def test_hovering_a_ghost_token_shows_its_probability_and_runners_up(window, qtbot):
    _suggest(window, qtbot, "The cat", temperature=0, max_new_tokens=6)
    editor = window.editor
    ghost = editor.ghost
    numbers = ghost.numbers[0]
    shown = editor.shown_ghost_text()
    # The character in the middle of the first token with visible text.
    offset, choice = 0, None
    for candidate in numbers.choices:
        length = len(candidate.text)
        start = offset - numbers.shift
        if candidate.text.strip() and start >= 0:
            choice = candidate
            offset = start + length // 2
            break
        offset += length
    assert choice is not None
    assert shown
    tip = editor.ghost_tooltip.tooltip_at(_ghost_point(editor, offset))
    assert "Probability " in tip
    assert f"{100 * math.exp(choice.logprob):.1f}%" in tip
    for runner in choice.top:
        assert f"{100 * math.exp(runner.logprob):.1f}%" in tip or math.exp(runner.logprob) < 0.001
    # A real tooltip event over the ghost shows it; far below the text shows none of ours.
    viewport = editor.viewport()
    point = _ghost_point(editor, offset)
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point)))
    assert QToolTip.text() == tip
    QToolTip.hideText()
    assert editor.ghost_tooltip.tooltip_at(QPoint(5, viewport.height() - 3)) == ""


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: QToolTip raises itself
def test_ghost_tooltip_wins_over_the_lens_only_on_the_ghost(window, qtbot):
    window.main_menu.likelihood_action.setChecked(True)
    _suggest(window, qtbot, "The cat sat", temperature=0, max_new_tokens=6)
    qtbot.waitUntil(lambda: not window.lens.pending, timeout=30_000)
    editor = window.editor
    point = _ghost_point(editor, len(editor.shown_ghost_text()) - 1)
    assert "(the model's own" in editor.ghost_tooltip.tooltip_at(point)
    viewport = editor.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point)))
    assert "(the model's own" in QToolTip.text()  # the ghost's filter runs before the lens's
    QToolTip.hideText()
    # Over the writer's own first word the lens answers, as before.
    rect = editor.cursorRect(QTextCursor(editor.document()))
    assert editor.ghost_tooltip.tooltip_at(QPoint(rect.x() + 3, rect.center().y())) == ""
    assert "rank" in window.lens.tooltip_at(QPoint(rect.x() + 3, rect.center().y()))


LONG = " ".join(f"Line {i} of the story goes on." for i in range(12))


def _long_document(window, qtbot, paragraphs: int) -> None:
    editor = window.editor
    editor.setPlainText("\n".join(f"Paragraph {i}: {LONG}" for i in range(paragraphs)))
    editor.moveCursor(QTextCursor.MoveOperation.End)
    window._update_context_window_fill()


def test_a_text_longer_than_the_window_shows_the_marker_and_the_tokens_out_of_view(window, qtbot):
    _long_document(window, qtbot, 6)
    marker = window.window_marker
    editor = window.editor
    text = editor.toPlainText()
    start = marker.view_start
    assert start is not None
    assert 0 < start < len(text)
    # The model's view is exactly the fitted prompt's text: its tokens decode to text[start:].
    settings = window.controller.settings
    budget = window.worker.context_window - min(settings.max_new_tokens, window.worker.context_window // 2)
    tail_tokens = window.worker.count_tokens(text[start:])
    assert tail_tokens <= budget
    assert window.worker.count_tokens(text[start - 20 :]) > tail_tokens
    assert marker.block_number() == editor.document().findBlock(start).blockNumber()
    out = window.worker.count_tokens(text[:start])
    assert marker.out_of_view == out > 0
    label = window.status_bar.out_of_view_label
    assert label.isVisible()
    assert label.text() == f"{out:,} tokens out of view"
    assert marker.overlay.isVisible()
    at = QTextCursor(editor.document())
    at.setPosition(start)
    assert marker.marker_y() == editor.cursorRect(at).top()
    revision = editor.document().revision()
    marker.overlay.repaint()
    assert editor.document().toPlainText() == text  # the marker is not in the document
    assert editor.document().revision() == revision


def test_a_short_text_shows_no_marker(window, qtbot):
    qtbot.keyClicks(window.editor, "A short text.")
    window._update_context_window_fill()
    assert window.window_marker.view_start is None
    assert window.window_marker.block_number() is None
    assert not window.window_marker.overlay.isVisible()
    assert not window.status_bar.out_of_view_label.isVisible()


def test_the_marker_goes_when_the_cursor_moves_back_into_the_window(window, qtbot):
    _long_document(window, qtbot, 6)
    assert window.window_marker.view_start is not None
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.waitUntil(lambda: window.window_marker.view_start is None, timeout=5_000)
    assert window.status_bar.out_of_view_label.text() == ""

"""The likelihood lens in the real window, on the tiny GPT-2: tints, live scoring, pre-emption, tooltips."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent, QTextFormat
from PySide6.QtWidgets import QApplication, QToolBar, QToolTip

from gpt2_studio.gui.editor.document_text import exact_text, set_exact_text
from gpt2_studio.gui.lens.colors import BUCKET_HUES, rank_bucket, surprisal_hue, surprisal_step, tint
from gpt2_studio.gui.lens.highlighter import token_tooltip
from gpt2_studio.gui.lens.spans import TokenSpans

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
TEXT = "Once upon a time there was a small cat 🐈 who liked the café.\nThe end"


def background_at(editor, position: int) -> QColor | None:
    """The tint the block's layout gives the character at a document position (None: no tint)."""
    block = editor.document().findBlock(position)
    found = None
    for each in block.layout().formats():
        inside = each.start <= position - block.position() < each.start + each.length
        if inside and each.format.hasProperty(QTextFormat.Property.BackgroundBrush):
            found = each.format.background().color()
    return found


def tinted_positions(editor) -> list[int]:
    document = editor.document()
    return [p for p in range(document.characterCount() - 1) if background_at(editor, p) is not None]


def expected_tints(editor, engine, coloring: str = "rank") -> dict[int, QColor]:
    """Every position's tint as a fresh Engine.score of the editor's exact text gives it."""
    text = exact_text(editor.document())
    spans = TokenSpans.from_scores(text, engine.score(text).tokens)
    palette = editor.palette()
    tints: dict[int, QColor] = {}
    for start, end, token in zip(spans.starts, spans.ends, spans.tokens, strict=True):
        if coloring == "rank":
            hue = BUCKET_HUES[rank_bucket(token.rank)]
        else:
            hue = surprisal_hue(surprisal_step(token.surprisal_bits))
        for position in range(start, end):
            block = editor.document().findBlock(position)
            if position - block.position() < block.length() - 1:  # a line break is not drawn
                tints[position] = tint(palette, hue)
    return tints


def assert_tints_match_fresh_scores(editor, engine, coloring: str = "rank") -> None:
    expected = expected_tints(editor, engine, coloring)
    assert expected, "the text has tokens to tint"
    for position in range(editor.document().characterCount() - 1):
        assert background_at(editor, position) == expected.get(position), f"position {position}"


def lens_on(window, qtbot) -> None:
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_L, CTRL_SHIFT)
    assert window.main_menu.likelihood_action.isChecked()
    wait_scored(window, qtbot)


def wait_scored(window, qtbot) -> None:
    """Until the document's scores are in and every block has its tints (off-screen ones come later)."""
    qtbot.waitUntil(lambda: not window.lens.pending and not window.lens.highlighter.painting, timeout=30_000)


def test_the_lens_toggles_by_its_shortcut_and_paints_the_fresh_scores_without_touching_the_text(
    make_window, qtbot, engine, tmp_path
):
    window = make_window()
    assert window.settings.show_likelihood is False  # off by default
    assert not window.lens.legend.isVisible()
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "Once upon a time")
    window.editor.clear_ghost()
    path = tmp_path / "story.txt"
    window.questions.answer("save_path", str(path))
    assert window.save_as()
    before = path.read_bytes()
    document = window.editor.document()
    undo_steps, revision = document.availableUndoSteps(), document.revision()
    assert tinted_positions(window.editor) == []

    lens_on(window, qtbot)
    assert window.settings.show_likelihood is True
    assert window.lens.legend.isVisible()
    assert_tints_match_fresh_scores(window.editor, engine)

    qtbot.keyClick(window.editor, Qt.Key.Key_L, CTRL_SHIFT)  # off again: every tint goes at once
    assert not window.main_menu.likelihood_action.isChecked()
    assert tinted_positions(window.editor) == []
    # Tinting never touched the document: no undo step, no revision, not modified, the same bytes.
    assert (document.availableUndoSteps(), document.revision()) == (undo_steps, revision)
    assert not document.isModified()
    assert exact_text(document) == "Once upon a time"
    assert window.save()
    assert path.read_bytes() == before


def test_typing_with_the_lens_on_leaves_no_stale_tints(window, qtbot, engine):
    set_exact_text(window.editor, TEXT)
    lens_on(window, qtbot)
    assert_tints_match_fresh_scores(window.editor, engine)
    cursor = window.editor.textCursor()
    cursor.setPosition(len("Once upon a time"))
    window.editor.setTextCursor(cursor)
    qtbot.keyClicks(window.editor, ", long ago,")  # in the middle: everything after it is read anew
    window.editor.clear_ghost()
    wait_scored(window, qtbot)
    assert exact_text(window.editor.document()).startswith("Once upon a time, long ago, there")
    assert_tints_match_fresh_scores(window.editor, engine)
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    for _ in range(3):
        qtbot.keyClick(window.editor, Qt.Key.Key_Backspace)
    window.editor.clear_ghost()
    wait_scored(window, qtbot)
    assert_tints_match_fresh_scores(window.editor, engine)


def test_an_edit_moves_the_tints_with_their_characters_before_the_new_scores_arrive(window, qtbot):
    set_exact_text(window.editor, "alpha beta\ngamma delta")
    lens_on(window, qtbot)
    second_line = window.editor.document().findBlockByNumber(1).position()
    tint_of_gamma = background_at(window.editor, second_line)
    assert tint_of_gamma is not None
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.insertText("🐈 ")  # three UTF-16 units before everything
    # Until re-scored, "gamma" keeps its tint on its own (moved) characters; the edited token has none.
    assert background_at(window.editor, second_line + 3) == tint_of_gamma
    assert background_at(window.editor, 0) is None


def test_switching_to_surprisal_colours_repaints_every_token(window, qtbot, engine):
    set_exact_text(window.editor, TEXT)
    lens_on(window, qtbot)
    window.findChild(type(window.main_menu.likelihood_action), "action-likelihood-surprisal").trigger()
    assert window.lens.coloring == "surprisal"
    assert_tints_match_fresh_scores(window.editor, engine, "surprisal")
    assert "bits" in window.lens.legend.swatches.text()


def test_a_suggestion_preempts_scoring_and_scoring_resumes_after_it(window, qtbot, engine):
    worker = window.worker
    reached, go = threading.Event(), threading.Event()
    events: list[tuple[str, int, bool]] = []

    def hold_first_progress(_request_id: int, _done: int, _total: int) -> None:
        # Runs on the worker thread between two windows: holds scoring there until the GUI has asked
        # for a suggestion, so that the suggestion arrives while scoring runs.
        if not reached.is_set():
            reached.set()
            go.wait(30)

    worker.score_progress.connect(hold_first_progress, Qt.ConnectionType.DirectConnection)
    worker.scored.connect(lambda rid, scores: events.append(("scored", rid, scores.cancelled)))
    worker.finished.connect(lambda rid, _completion: events.append(("finished", rid, False)))
    # Several windows of the tiny model's 128 tokens.
    set_exact_text(window.editor, " ".join(["The cat sat on the mat and looked at the dog."] * 40))
    window.editor.setFocus()
    window.main_menu.likelihood_action.trigger()
    qtbot.waitUntil(reached.is_set, timeout=30_000)
    score_id = window.lens.current_id
    window.controller.suggest_now()
    suggestion_id = window.controller.current_id
    go.set()
    qtbot.waitUntil(lambda: ("scored", score_id, False) in events, timeout=60_000)
    assert events[0] == ("scored", score_id, True)  # stopped for the suggestion…
    assert events.index(("finished", suggestion_id, False)) < events.index(("scored", score_id, False))
    wait_scored(window, qtbot)
    assert window.editor.ghost_text()  # …which was shown, and the scoring then went on to the end
    window.editor.clear_ghost()
    assert_tints_match_fresh_scores(window.editor, engine)
    assert not window.lens.legend.progress_label.isVisible()


def test_the_status_bar_shows_how_far_a_long_document_is_scored(window, qtbot, engine):
    reached, go = threading.Event(), threading.Event()

    def hold_first_progress(_request_id: int, _done: int, _total: int) -> None:
        if not reached.is_set():
            reached.set()
            go.wait(30)

    # Connected after the lens' own (queued) slot: its progress is on its way to the GUI meanwhile.
    window.worker.score_progress.connect(hold_first_progress, Qt.ConnectionType.DirectConnection)
    set_exact_text(window.editor, " ".join(["The cat sat on the mat and looked at the dog."] * 20))
    window.main_menu.likelihood_action.trigger()
    label = window.lens.legend.progress_label
    qtbot.waitUntil(lambda: label.text() not in ("", "Scoring 0%"), timeout=30_000)
    percent = int(label.text().removeprefix("Scoring ").removesuffix("%"))
    assert 0 < percent < 100
    assert label.isVisible()
    go.set()
    wait_scored(window, qtbot)
    assert not label.isVisible()
    assert_tints_match_fresh_scores(window.editor, engine)


def test_an_answer_for_text_that_changed_since_is_never_painted(window, qtbot, engine):
    worker = window.worker
    reached, go = threading.Event(), threading.Event()
    answers: list[tuple[int, bool, int]] = []

    def hold_first_progress(_request_id: int, _done: int, _total: int) -> None:
        if not reached.is_set():
            reached.set()
            go.wait(30)

    worker.score_progress.connect(hold_first_progress, Qt.ConnectionType.DirectConnection)
    worker.scored.connect(lambda rid, scores: answers.append((rid, scores.cancelled, len(scores.tokens))))
    set_exact_text(window.editor, " ".join(["The cat sat on the mat and looked at the dog."] * 20))
    window.editor.setFocus()
    window.main_menu.likelihood_action.trigger()
    qtbot.waitUntil(reached.is_set, timeout=30_000)
    old_id = window.lens.current_id
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    window.editor.setTextCursor(cursor)
    qtbot.keyClicks(window.editor, "x")  # every character moves by one while the old text is scored
    window.lens.timer.stop()  # hold the new request back, to look at the old answer alone
    go.set()
    qtbot.waitUntil(lambda: any(rid == old_id for rid, _cancelled, _count in answers), timeout=30_000)
    assert [count for rid, _cancelled, count in answers if rid == old_id][0] > 0  # it had tokens…
    assert tinted_positions(window.editor) == []  # …and none of them was painted
    window.lens.request()
    wait_scored(window, qtbot)
    window.editor.clear_ghost()
    assert_tints_match_fresh_scores(window.editor, engine)


def test_the_lens_is_remembered_and_scores_once_the_model_loads(make_window, qtbot, engine, tiny_model_dir):
    from gpt2_studio.core.settings import AppSettings

    window = make_window(AppSettings(precision="fp32", ghost_delay_ms=100, show_likelihood=True), load=False)
    assert window.main_menu.likelihood_action.isChecked()
    assert window.lens.enabled
    toolbar = window.findChild(QToolBar, "likelihood-toolbar")
    assert window.main_menu.likelihood_action in toolbar.actions()  # the toolbar toggle is the same action
    set_exact_text(window.editor, "alpha beta gamma")
    window.load_model(str(tiny_model_dir))
    qtbot.waitUntil(lambda: window.controller.model_ready, timeout=30_000)
    qtbot.waitUntil(lambda: tinted_positions(window.editor) != [], timeout=30_000)
    wait_scored(window, qtbot)
    assert_tints_match_fresh_scores(window.editor, engine)


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: QToolTip raises itself
def test_hovering_a_token_shows_its_numbers_and_the_models_top_ten(window, qtbot, engine):
    set_exact_text(window.editor, TEXT)
    lens_on(window, qtbot)
    text = exact_text(window.editor.document())
    scores = engine.score(text)
    cat = text.index("cat")  # before the emoji: Qt's positions and Python's agree here
    token = next(t for t in scores.tokens if t.offset <= cat < t.offset + len(t.text))
    cursor = window.editor.textCursor()
    cursor.setPosition(cat)
    rect = window.editor.cursorRect(cursor)
    point = QPoint(rect.x() + 2, rect.center().y())
    tooltip = window.lens.tooltip_at(point)
    assert tooltip == token_tooltip(token)
    assert f"rank {token.rank:,}" in tooltip
    assert f"{token.surprisal_bits:.2f} bits" in tooltip
    assert "top 10 at this point" in tooltip
    assert tooltip.count("<br>") == 2 + 10
    viewport = window.editor.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point)))
    assert QToolTip.text() == tooltip
    QToolTip.hideText()
    far = QPoint(viewport.width() - 5, rect.center().y())  # past the end of the line: no token
    assert window.lens.tooltip_at(far) == ""


def test_the_ghost_keeps_its_grey_over_a_tinted_line(window, qtbot):
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "Once upon a time")
    window.editor.clear_ghost()
    lens_on(window, qtbot)
    window.controller.suggest_now()
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    ghost = window.editor.ghost_text().replace("\n", "\u2028")
    assert ghost
    layout = window.editor.textCursor().block().layout()
    assert layout.preeditAreaText() == ghost
    grey = window.editor._ghost_color()
    ranges = [r for r in layout.formats() if r.start == len("Once upon a time")]
    assert any(r.length == len(ghost) and r.format.foreground().color() == grey for r in ranges)
    assert background_at(window.editor, 0) is not None  # the user's text stays tinted
    at, end = layout.preeditAreaPosition(), layout.preeditAreaPosition() + len(ghost)
    tints = [r for r in layout.formats() if r.format.hasProperty(QTextFormat.Property.BackgroundBrush)]
    assert tints
    assert all(r.start + r.length <= at or r.start >= end for r in tints)  # none over the ghost


def test_a_ghost_in_the_middle_of_a_tinted_line_splits_no_tint_onto_itself(window, qtbot, engine):
    set_exact_text(window.editor, "Once upon a time there was a cat")
    lens_on(window, qtbot)
    cursor = window.editor.textCursor()
    cursor.setPosition(len("Once upon a ti"))  # inside a word: the tint of its token goes round the ghost
    window.editor.setTextCursor(cursor)
    # A fixed seed: the same ghost every run (a random one may hold characters of two UTF-16 units).
    window.controller.settings = window.settings.sampling.replace(seed=3, num_alternatives=1)
    qtbot.keyClick(window.editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.controller.in_flight, timeout=30_000)
    ghost = window.editor.ghost_text().replace("\n", "\u2028")
    assert ghost
    ghost_units = len(ghost.encode("utf-16-le")) // 2  # Qt's positions count UTF-16 units
    window.lens.highlighter.repaint_all()  # as a new theme or new scores would
    layout = cursor.block().layout()
    at = layout.preeditAreaPosition()
    assert (at, layout.preeditAreaText()) == (len("Once upon a ti"), ghost)
    tints = [r for r in layout.formats() if r.format.hasProperty(QTextFormat.Property.BackgroundBrush)]
    assert all(r.start + r.length <= at or r.start >= at + ghost_units for r in tints)
    tinted = {p for r in tints for p in range(r.start, r.start + r.length)}
    text_length = len("Once upon a time there was a cat")
    assert tinted == set(range(at)) | set(range(at + ghost_units, text_length + ghost_units))
    window.editor.clear_ghost()  # the ghost goes: the fresh tints come back on the whole line
    assert_tints_match_fresh_scores(window.editor, engine)


def test_the_tints_follow_the_theme(window, qtbot, engine):
    set_exact_text(window.editor, TEXT)
    lens_on(window, qtbot)
    light = background_at(window.editor, 0)
    window.set_theme("dark")  # the widgets hear of the new palette through posted events
    qtbot.waitUntil(lambda: background_at(window.editor, 0) != light, timeout=5000)
    assert_tints_match_fresh_scores(window.editor, engine)  # in the dark palette's tints
    assert window.lens.legend.swatches.text().count("background-color") == 4


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_tint_keeps_the_text_readable(window, theme):
    from gpt2_studio.gui.lens.colors import SURPRISAL_STEP_BITS, SURPRISAL_STOPS
    from gpt2_studio.gui.themes import contrast_ratio

    window.set_theme(theme)
    palette = window.editor.palette()
    text = palette.color(palette.ColorRole.Text)
    steps = int(SURPRISAL_STOPS[-1][0] / SURPRISAL_STEP_BITS) + 1
    hues = [*BUCKET_HUES, *(surprisal_hue(i * SURPRISAL_STEP_BITS) for i in range(steps))]
    base = palette.color(palette.ColorRole.Base)
    for hue in hues:
        color = tint(palette, hue)
        assert contrast_ratio(text, color) >= 4.5
        assert color != base  # a tint, not the background


def test_the_lens_shortcut_is_listed_once_and_clashes_with_nothing(window):
    from gpt2_studio.gui.shortcuts_dialog import collect_shortcuts

    rows = collect_shortcuts(window)
    assert [what for keys, what in rows if keys == "Ctrl+Shift+L"] == ["View → Likelihood Lens"]
    keys = [k for row, _what in rows for k in row.split("  /  ") if "Ctrl" in k]
    assert len(keys) == len(set(keys))  # no two actions share a key

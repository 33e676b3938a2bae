"""The likelihood statistics dock and the rank thresholds, in the real window on the tiny GPT-2."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from gpt2_studio.core.settings import AppSettings, load_settings, save_settings
from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.lens.colors import tint
from gpt2_studio.gui.lens.statistics_dock import (
    STATISTICS_SHORTCUT,
    fraction_counts,
    probability_fraction,
    rank_counts,
)
from gpt2_studio.gui.lens.thresholds_dialog import ThresholdsDialog
from gpt2_studio.gui.shortcuts_dialog import collect_shortcuts

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def statistics_on(window, qtbot) -> None:
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_H, CTRL_SHIFT)
    assert window.statistics_dock.isVisible()
    assert window.settings.show_statistics is True


def wait_stats(window, qtbot) -> None:
    """Until the dock shows the scores of the document as it is now."""
    qtbot.waitUntil(lambda: not window.lens.pending and window.lens.last_scores is not None, timeout=30_000)


def assert_dock_matches_fresh_scores(window, engine, thresholds=(10, 100, 1000)) -> None:
    text = exact_text(window.editor.document())
    fresh = engine.score(text)
    dock = window.statistics_dock
    assert len(fresh.tokens) > 3
    assert dock.rank_heights() == rank_counts(fresh.tokens, thresholds)
    assert sum(dock.rank_heights()) == len(fresh.tokens)
    assert dock.fraction_heights() == fraction_counts(fresh.tokens)
    assert (
        dock.perplexity_label.text()
        == f"Perplexity: {fresh.perplexity:.2f} over {len(fresh.tokens):,} tokens"
    )


def test_the_dock_shows_fresh_counts_and_perplexity_with_the_lens_off_and_follows_typing(
    window, qtbot, engine
):
    assert not window.statistics_dock.isVisible()  # hidden by default
    qtbot.keyClicks(window.editor, "The cat sat on the mat and looked at the door")
    statistics_on(window, qtbot)
    assert window.lens.enabled is False  # the lens stays off: the dock asks for scores itself
    wait_stats(window, qtbot)
    assert_dock_matches_fresh_scores(window, engine)
    assert window.lens.highlighter.spans.tokens == []  # nothing tinted with the lens off

    qtbot.keyClicks(window.editor, " while it rained outside, quietly.")
    assert window.lens.last_scores is None  # the old numbers no longer describe the text
    wait_stats(window, qtbot)
    assert_dock_matches_fresh_scores(window, engine)

    qtbot.keyClick(window.editor, Qt.Key.Key_H, CTRL_SHIFT)  # hidden again: scoring stops
    assert not window.statistics_dock.isVisible()
    assert window.settings.show_statistics is False
    qtbot.keyClicks(window.editor, " More")
    assert not window.lens.pending


def test_the_dock_follows_the_lens_scores_too(window, qtbot, engine):
    qtbot.keyClicks(window.editor, "Once upon a time there was a cat")
    qtbot.keyClick(window.editor, Qt.Key.Key_L, CTRL_SHIFT)
    statistics_on(window, qtbot)
    wait_stats(window, qtbot)
    assert_dock_matches_fresh_scores(window, engine)
    qtbot.keyClick(window.editor, Qt.Key.Key_Backspace)
    qtbot.keyClicks(window.editor, "dog.")
    wait_stats(window, qtbot)
    assert_dock_matches_fresh_scores(window, engine)


def test_the_statistics_shortcut_is_listed_once_and_clashes_with_nothing(window):
    rows = collect_shortcuts(window)
    assert [what for keys, what in rows if keys == STATISTICS_SHORTCUT] == ["View → Likelihood Statistics"]
    keys = [k for row, _what in rows for k in row.split("  /  ") if "Ctrl" in k]
    assert len(keys) == len(set(keys))  # no two actions share a key


def test_the_plots_follow_the_theme(window, qtbot):
    dock = window.statistics_dock
    statistics_on(window, qtbot)
    for theme in ("dark", "light"):
        window.main_menu.theme_actions[theme].trigger()
        QApplication.processEvents()
        base = dock.palette().color(dock.palette().ColorRole.Base)
        assert dock.rank_plot.backgroundBrush().color() == base
        brush = dock.rank_bars.opts["brushes"][0]
        assert brush.color() == tint(dock.palette(), 130)


def test_editing_the_thresholds_recounts_repaints_and_is_remembered(window, qtbot, engine, tmp_path):
    qtbot.keyClicks(window.editor, "The cat sat on the mat and looked at the door")
    statistics_on(window, qtbot)
    wait_stats(window, qtbot)

    def fill_dialog() -> None:
        dialog = window.thresholds_dialog
        green, yellow, red = dialog.spins
        red.setValue(30)
        yellow.setValue(40)  # not increasing: OK is off and one sentence says why
        assert not dialog.ok_button.isEnabled()
        assert dialog.problem.text() == "Each threshold must be larger than the one before it."
        green.setValue(1)
        yellow.setValue(5)
        assert dialog.ok_button.isEnabled()
        dialog.accept()

    QTimer.singleShot(0, fill_dialog)
    window.main_menu.findChild(type(window.main_menu.likelihood_action), "action-rank-thresholds").trigger()
    assert window.settings.rank_thresholds == (1, 5, 30)
    assert_dock_matches_fresh_scores(window, engine, (1, 5, 30))
    assert window.lens.highlighter.thresholds == (1, 5, 30)
    assert "top 5" in window.lens.legend.swatches.text()
    path = tmp_path / "settings.json"
    save_settings(window.settings, path)
    assert json.loads(path.read_text())["rank_thresholds"] == [1, 5, 30]
    assert load_settings(path)[0].rank_thresholds == (1, 5, 30)


def test_the_thresholds_dialog_restores_the_defaults(qtbot):
    dialog = ThresholdsDialog((2, 3, 4))
    qtbot.addWidget(dialog)
    dialog.restore_defaults()
    assert dialog.thresholds() == (10, 100, 1000)


def test_the_colouring_is_remembered(make_window, qtbot):
    window = make_window(AppSettings(precision="fp32", likelihood_coloring="surprisal"), load=False)
    assert window.lens.coloring == "surprisal"
    assert window.main_menu.findChild(
        type(window.main_menu.likelihood_action), "action-likelihood-surprisal"
    ).isChecked()
    window.main_menu.findChild(type(window.main_menu.likelihood_action), "action-likelihood-rank").trigger()
    assert window.settings.likelihood_coloring == "rank"


@pytest.mark.parametrize(
    ("rank", "logprob", "top", "expected"), [(1, -0.5, -0.5, 1.0), (3, -2.0, -1.0, 0.36787944117144233)]
)
def test_the_probability_fraction(rank, logprob, top, expected):
    from gpt2_studio.core.generation.scoring import TokenScore, TopToken

    token = TokenScore("a", 0, logprob, rank, (TopToken("b", top),))
    assert probability_fraction(token) == pytest.approx(expected)


def test_the_dock_shown_at_start_from_the_settings_scores_the_opened_text(make_window, qtbot, engine):
    window = make_window(AppSettings(precision="fp32", show_statistics=True))
    assert window.statistics_dock.isVisible()
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "A small boat left the harbour at dawn")
    wait_stats(window, qtbot)
    assert_dock_matches_fresh_scores(window, engine)


def test_scores_that_came_while_the_dock_was_hidden_are_drawn_when_it_shows(window, qtbot, engine):
    qtbot.keyClicks(window.editor, "Once upon a time there was a cat")
    qtbot.keyClick(window.editor, Qt.Key.Key_L, CTRL_SHIFT)  # the lens scores; the dock is hidden
    wait_stats(window, qtbot)
    assert not window.statistics_dock.isVisible()
    statistics_on(window, qtbot)
    assert_dock_matches_fresh_scores(window, engine)


def test_pyqtgraph_is_imported_only_when_the_dock_is_first_shown():
    # Importing pyqtgraph with the window delayed the window's first appearance by seconds.
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys
        from PySide6.QtWidgets import QApplication
        from gpt2_studio.gui.lens.statistics_dock import StatisticsDock
        app = QApplication([])
        dock = StatisticsDock()
        print("pyqtgraph" in sys.modules)
        dock.show()
        app.processEvents()
        print("pyqtgraph" in sys.modules, dock.rank_heights())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["False", "True [0, 0, 0, 0]"]

"""The likelihood lens, live: asks the model worker to score the document after edits and paints the answers.

After an edit (and a short pause) the document's exact text goes to the worker's "score" channel with a
fresh request id; the engine re-scores only from the first changed token. A suggestion request pre-empts
scoring, and the worker resumes it after. An answer is painted only when its id is the latest and no edit
happened since its text was taken: a stale answer is dropped, never painted on moved characters.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QMainWindow, QToolTip

from gpt2_studio.gui.editor.document_text import exact_text
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.lens.highlighter import TOOLTIP_TOP, LensHighlighter, token_tooltip
from gpt2_studio.gui.lens.legend import LensLegend
from gpt2_studio.gui.lens.spans import TokenSpans
from gpt2_studio.gui.lens.statistics_dock import install_statistics
from gpt2_studio.gui.models.worker import ModelWorker, ScoreRequest, next_request_id

if TYPE_CHECKING:  # scoring imports torch, which only the model worker loads
    from gpt2_studio.core.generation.scoring import Scores

DEBOUNCE_MS = 300  # typing must pause this long before the document is scored again
LONG_TEXT_CHARS = 4000  # from this length, "Scoring 0%" shows as soon as scoring is asked for


class LensController(QObject):
    """Keeps the heat map of the editor's document up to date while the lens is on."""

    message = Signal(str)  # one sentence for the status bar (a scoring that failed)
    scores_ready = Signal(object)  # Scores of the whole document as it is now (the statistics dock)

    def __init__(self, editor: GhostTextEdit, worker: ModelWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.worker = worker
        self.highlighter = LensHighlighter(editor)
        self.legend = LensLegend()
        self.legend.hide()
        self.enabled = False
        self.statistics_wanted = False  # the statistics dock is shown: score even with the lens off
        self.last_scores: Scores | None = None  # the latest complete Scores of the document as it is
        self.current_id = 0
        self._edits = 0  # edits so far: an answer is painted only if none happened since its request
        self._asked: tuple[int, str, int] | None = None  # (request id, text, edits) of the latest request
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.request)
        editor.document().contentsChange.connect(self._on_edit)
        editor.ghost_changed.connect(self.highlighter.ghost_changed)
        worker.scored.connect(self._on_scored)
        worker.score_progress.connect(self._on_progress)
        worker.score_failed.connect(self._on_failed)
        # The tints follow the theme; queued, because the legend may hear of it before the editor.
        self.legend.palette_changed.connect(self.highlighter.repaint_all, Qt.ConnectionType.QueuedConnection)

    # -- switching ------------------------------------------------------------------------------
    def set_enabled(self, enabled: bool) -> None:
        """Turn the heat map on (scoring the document now) or off (its tints go at once)."""
        self.enabled = enabled
        self.legend.setVisible(enabled)
        if not enabled:
            self.highlighter.set_spans(TokenSpans())
        # Tooltips are watched for only while the lens is on (and never after close()).
        self.editor.viewport().removeEventFilter(self)
        if enabled:
            self.editor.viewport().installEventFilter(self)
            self.request()
            return
        self.legend.set_progress(None)
        if not self.statistics_wanted:
            self.timer.stop()
            self._forget()

    def set_statistics_wanted(self, wanted: bool) -> None:
        """The statistics dock shows or hides: it needs the document's scores even with the lens off."""
        self.statistics_wanted = wanted
        if wanted and self.last_scores is None and not self.pending:
            self.request()
        elif not wanted and not self.enabled:
            self.timer.stop()
            self._forget()

    @property
    def scoring(self) -> bool:
        """Whether the document is kept scored (the lens is on, or the statistics dock is shown)."""
        return self.enabled or self.statistics_wanted

    def set_thresholds(self, thresholds: tuple[int, ...]) -> None:
        """New rank-bucket thresholds for the tints and the legend."""
        self.highlighter.set_thresholds(thresholds)
        self.legend.set_thresholds(thresholds)

    def close(self) -> None:
        """The window closes: stop scoring and watching the editor.

        A Python event filter left on a widget that is destroyed when the interpreter exits crashes it.
        """
        self.timer.stop()
        self._forget()
        self.editor.viewport().removeEventFilter(self)

    def set_coloring(self, coloring: str) -> None:
        """ "rank" (GLTR's buckets) or "surprisal"."""
        self.highlighter.set_coloring(coloring)
        self.legend.set_coloring(coloring)

    @property
    def coloring(self) -> str:
        """The colouring in use."""
        return self.highlighter.coloring

    def model_changed(self) -> None:
        """Another model loaded: its numbers replace the old ones."""
        self.last_scores = None
        if self.scoring:
            self.request()

    # -- asking ---------------------------------------------------------------------------------
    def request(self) -> None:
        """Score the document's text as it is now (the engine re-scores only what changed)."""
        self.timer.stop()
        if not self.scoring or self.worker.context_window is None:
            return
        text = exact_text(self.editor.document())
        self.current_id = next_request_id()
        self._asked = (self.current_id, text, self._edits)
        if len(text) >= LONG_TEXT_CHARS:
            self.legend.set_progress(0.0)
        self.worker.score(ScoreRequest(self.current_id, text, top=TOOLTIP_TOP))

    @property
    def pending(self) -> bool:
        """Whether an answer for the document as it is now is still awaited (or about to be asked for)."""
        return self.timer.isActive() or self._asked is not None

    def _forget(self) -> None:
        """Make the request in flight stale and stop it."""
        if self.current_id:
            self.worker.invalidate(self.current_id + 1, "score")
        self._asked = None

    def _on_edit(self, _position: int, _removed: int, _added: int) -> None:
        self._edits += 1
        self.last_scores = None
        if self.scoring:
            self._forget()  # the engine keeps what it scored: the next request goes on from there
            self.timer.start()

    # -- answers --------------------------------------------------------------------------------
    def _current(self, request_id: int) -> tuple[int, str, int] | None:
        asked = self._asked
        if asked is None or asked[0] != request_id or asked[2] != self._edits or not self.scoring:
            return None
        return asked

    def _on_scored(self, request_id: int, scores: Scores) -> None:
        asked = self._current(request_id)
        if asked is None:
            return
        spans = TokenSpans.from_scores(asked[1], scores.tokens)
        if scores.cancelled:
            # A suggestion stopped it; the worker goes on after. Until then the old tints stay after
            # what was scored (they sit on their own characters: edits moved them).
            old = self.highlighter.spans
            skip = bisect_left(old.starts, spans.end())
            spans.starts += old.starts[skip:]
            spans.ends += old.ends[skip:]
            spans.tokens += old.tokens[skip:]
        else:
            self._asked = None
            self.legend.set_progress(None)
            self.last_scores = scores
            self.scores_ready.emit(scores)
        if self.enabled:
            self.highlighter.set_spans(spans)

    def _on_progress(self, request_id: int, done: int, total: int) -> None:
        if self._current(request_id) is not None and total and done < total:
            self.legend.set_progress(done / total)

    def _on_failed(self, request_id: int, message: str) -> None:
        if self._current(request_id) is None:
            return
        self._asked = None
        self.legend.set_progress(None)
        self.message.emit(message)

    # -- hovering and theme ---------------------------------------------------------------------
    def token_at(self, point: QPoint) -> int | None:
        """The index (in the highlighter's spans) of the token under a viewport point, or None."""
        editor = self.editor
        cursor = editor.cursorForPosition(point)
        rect = editor.cursorRect(cursor)
        if not rect.top() <= point.y() <= rect.bottom():
            return None
        position = cursor.position()
        if point.x() < rect.x():
            position -= 1  # left of the cursor's place: over the character before it
        elif cursor.atBlockEnd():
            return None  # past the end of the line
        return self.highlighter.spans.at(position)

    def tooltip_at(self, point: QPoint) -> str:
        """The tooltip for a viewport point: the hovered token's numbers, or "" ."""
        index = self.token_at(point) if self.enabled else None
        return "" if index is None else token_tooltip(self.highlighter.spans.tokens[index])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Tooltips over tokens."""
        if self.enabled and event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.editor.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().eventFilter(watched, event)


def install_lens(window: QMainWindow | Any) -> LensController:
    """Give the main window its likelihood lens: the menu toggle, a toolbar button, the legend."""
    lens = LensController(window.editor, window.worker, window)
    menu, settings = window.main_menu, window.settings
    window.status_bar.insertPermanentWidget(0, lens.legend)
    toolbar = window.addToolBar("Likelihood")
    toolbar.setObjectName("likelihood-toolbar")
    toolbar.addAction(menu.likelihood_action)

    def toggled(on: bool) -> None:
        settings.show_likelihood = on
        lens.set_enabled(on)

    def coloring_chosen(coloring: str) -> None:
        settings.likelihood_coloring = coloring
        lens.set_coloring(coloring)

    menu.likelihood_action.toggled.connect(toggled)
    menu.likelihood_coloring_chosen.connect(coloring_chosen)
    lens.set_coloring(settings.likelihood_coloring)
    lens.set_thresholds(settings.rank_thresholds)
    window.models.model_changed.connect(lens.model_changed)
    lens.message.connect(lambda text: window.status_bar.showMessage(text, 8000))
    lens.set_enabled(settings.show_likelihood)
    install_statistics(window, lens)
    return lens

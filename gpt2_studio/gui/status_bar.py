"""The main window's status bar: model and device (one cell that opens the model manager), state, speed,
context fill, alternatives, word and character counts with reading time, recovery warning.

A cell with nothing to say is hidden, so the bar shows no bare separators.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from gpt2_studio.core.documents.text_stats import READING_WORDS_PER_MINUTE, TextCounts, reading_time
from gpt2_studio.gui.editor.ghost_numbers import AlternativeNumbers
from gpt2_studio.gui.models.worker import ModelInfo, WindowFill
from gpt2_studio.gui.themes import set_warning_text


class RecoveryWarning(QLabel):
    """A status-bar warning that stays while recovery copies fail and goes once one is written."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__("⚠ Unsaved work is not backed up")
        self.setObjectName("recovery-warning")
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        self._restyling = False
        set_warning_text(self, True, bar.palette())  # the theme's red, readable in both themes
        self.message = ""
        self._bar = bar
        bar.insertPermanentWidget(0, self)
        self.hide()

    def show_failure(self, message: str) -> None:
        """Show the warning with ``message`` as its tooltip until clear() is called."""
        self.message = message
        self.setToolTip(message)
        if self.isHidden():
            self.show()
            self._bar.showMessage(message, 15_000)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Take the new theme's warning red when the palette changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._restyling:
            self._restyling = True  # setting the palette sends another PaletteChange
            try:
                set_warning_text(self, True, self.palette())  # the red of the new theme
            finally:
                self._restyling = False

    def clear(self) -> None:
        """A copy was written again."""
        self.message = ""
        self.hide()


WINDOW_FILL_HELP = "How much of the model's context window the text before the cursor fills"
WINDOW_FILL_NOTES_HELP = (
    "How much of the model's context window the Memory, the Author's note and the text before the cursor fill"
)


class StatusField(QLabel):
    """A permanent status-bar label that is hidden while empty (no bare separator in the bar)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setVisible(bool(text))

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        """Show ``text``; an empty text hides the field."""
        super().setText(text)
        self.setVisible(bool(text))


class ModelCell(QWidget):
    """The model's name and its device as one status-bar cell; a click (or Enter on it) opens the manager."""

    clicked = Signal()

    def __init__(self, model_label: QLabel, device_label: QLabel) -> None:
        super().__init__()
        self.setObjectName("status-model-cell")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(model_label)
        layout.addWidget(device_label)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setToolTip("The model and where it runs: click to choose another model or device (Ctrl+Shift+M)")
        self.setAccessibleName("Model and device: choose another")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        """A left click inside the cell opens the model manager."""
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Enter or Space on the focused cell opens the model manager too."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)


def counts_text(total: TextCounts, selected: TextCounts | None = None) -> str:
    """ "1,204 words · 6,830 characters · 6 min", or with a selection "12 of 1,204 words · 60 of 6,830
    characters"; empty for an empty document."""
    if selected is not None and (selected.words or selected.characters):
        return (
            f"{selected.words:,} of {_plural(total.words, 'word')} · "
            f"{selected.characters:,} of {_plural(total.characters, 'character')}"
        )
    if not total.characters:
        return ""
    return (
        f"{_plural(total.words, 'word')} · {_plural(total.characters, 'character')} · "
        f"{reading_time(total.words)}"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _tokens(count: int) -> str:
    return f"{count:,} token{'' if count == 1 else 's'}"


class StatusBar(QStatusBar):
    """Permanent labels on the right, passing messages on the left; set through the methods below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(
            "QStatusBar::item { border: none; border-left: 1px solid palette(mid); }"
            "QStatusBar QLabel { padding: 0 6px; }"
        )
        self.model_label = QLabel("No model")
        self.device_label = StatusField()
        self.model_cell = ModelCell(self.model_label, self.device_label)
        self.counts_label = StatusField()
        self.counts_label.setObjectName("status-counts")
        self.counts_label.setToolTip(
            "Words and characters (line breaks not counted) of the document, or of the selection; reading "
            f"time at {READING_WORDS_PER_MINUTE} words a minute"
        )
        self.state_label = QLabel("Starting")
        self.speed_label = StatusField()
        self.context_window_label = StatusField()
        self.alternative_label = StatusField()
        self.out_of_view_label = StatusField()
        self.out_of_view_label.setObjectName("status-out-of-view")
        self.out_of_view_label.setToolTip(
            "Tokens of the text before the cursor that the model no longer sees; the line in the margin "
            "marks where its view begins"
        )
        self.model_label.setObjectName("status-model")
        self.state_label.setObjectName("status-state")
        self.alternative_label.setObjectName("status-alternative")
        self.alternative_label.setToolTip(
            "The suggestion shown: which alternative, its confidence (the mean probability the model "
            "gave its tokens) and the seconds it took; rest the pointer on a grey word for its tokens"
        )
        for label in (
            self.counts_label,
            self.alternative_label,
            self.out_of_view_label,
            self.context_window_label,
            self.speed_label,
            self.state_label,
        ):
            self.addPermanentWidget(label)
            label.setVisible(bool(label.text()))  # an empty field shows no bare separator
        self.addPermanentWidget(self.model_cell)
        self.context_window_label.setToolTip(WINDOW_FILL_HELP)
        self.speed_label.setToolTip("Speed of the last suggestion")
        self.recovery_warning = RecoveryWarning(self)

    def set_counts(self, total: TextCounts, selected: TextCounts | None = None) -> None:
        """The document's words, characters and reading time, or the selection's share of them."""
        self.counts_label.setText(counts_text(total, selected))

    def set_state(self, text: str) -> None:
        """What the app is doing: "Loading", "Ready", "Generating", a preset's progress…"""
        self.state_label.setText(text)

    def show_loading(self, ref: str, current: ModelInfo | None) -> None:
        """A model is loading; ``current`` (the model in use, if any) stays named until it has loaded."""
        if current is None:
            self.model_label.setText(f"Loading {ref}…")
        else:
            self.model_label.setToolTip(f"{current.folder}\nLoading {ref}…")
        self.state_label.setText("Loading")

    def show_model(self, info: ModelInfo) -> None:
        """A model is loaded: its name, folder (tooltip), device and precision; ready."""
        self.keep_model(info)
        device = "CUDA" if info.device == "cuda" else "CPU"
        self.device_label.setText(f"{device} · {info.precision}")

    def keep_model(self, info: ModelInfo) -> None:
        """Loading another model failed and ``info`` stays in use."""
        self.model_label.setText(info.name)
        self.model_label.setToolTip(info.folder)
        self.state_label.setText("Ready")

    def show_no_model(self) -> None:
        """No model is loaded."""
        self.model_label.setText("No model")
        self.state_label.setText("No model")
        self.device_label.setText("")

    def set_speed(self, tokens_per_second: float) -> None:
        """The speed of the last suggestion, in tokens per second."""
        self.speed_label.setText(f"{tokens_per_second:.0f} tok/s")

    def set_context_fill(self, fill: WindowFill) -> None:
        """How much of the model's window (``fill.budget`` tokens) the prompt at the cursor fills."""
        label = self.context_window_label
        if fill.problem:
            label.setText("Window: too full")
            label.setToolTip(fill.problem)
            return
        label.setText("Window: full" if fill.trimmed else f"Window: {100 * fill.tokens // fill.budget}%")
        lines = []
        if fill.trimmed:
            lines.append("The start of the text no longer fits the model's window; it sees the end.")
        elif fill.memory_tokens or fill.note_tokens:
            lines.append(WINDOW_FILL_NOTES_HELP + ".")
        else:
            lines.append(WINDOW_FILL_HELP + ".")
        if fill.memory_tokens or fill.note_tokens:
            lines.append(
                f"Memory {_tokens(fill.memory_tokens)}, Author's note {_tokens(fill.note_tokens)}, "
                f"text {_tokens(fill.text_tokens)}, of {_tokens(fill.budget)}."
            )
        label.setToolTip("\n".join(lines))

    def clear_context_fill(self) -> None:
        """No model, so no window to fill."""
        self.context_window_label.setText("")

    def set_alternatives(self, index: int, count: int, numbers: AlternativeNumbers | None = None) -> None:
        """Which alternative suggestion is shown ("2/3"), with its confidence and time once it is done
        ("2/3 · 71% · 0.4 s"); empty while there is no suggestion."""
        parts = [f"{index + 1}/{count}"] if count > 1 else []
        if numbers is not None and count:
            parts.append(numbers.summary())
        self.alternative_label.setText(" · ".join(parts))

    def set_out_of_view(self, tokens: int, more: bool = False) -> None:
        """How many tokens of the text before the cursor lie before the model's window (0: none).

        more: the text before those was not counted (a very long document), so the count is a floor.
        """
        if tokens <= 0:
            self.out_of_view_label.setText("")
            return
        self.out_of_view_label.setText(f"{'over ' if more else ''}{_tokens(tokens)} out of view")

"""The dialog's last page: how much better the new model predicts the writer's text, and samples."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from gpt2_studio.gui.training.events import DoneEvent
from gpt2_studio.gui.training.wording import improvement_sentence, improvement_tooltip, perplexity_text


def _cell(text: str, *, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


class ResultPage(QWidget):
    """The before/after in words, the perplexities, and continuations side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setObjectName("training-improvement")
        self.headline.setWordWrap(True)
        font = QFont(self.headline.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.headline.setFont(font)
        layout.addWidget(self.headline)
        self.details = QLabel()
        self.details.setObjectName("training-perplexities")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)
        self.samples_title = _cell("How each model continues a passage of your held-out text:", bold=False)
        layout.addWidget(self.samples_title)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.StyledPanel)
        self.samples = QWidget()
        self.samples.setObjectName("training-samples")
        self.grid = QGridLayout(self.samples)
        self.grid.setHorizontalSpacing(16)
        self.grid.setVerticalSpacing(10)
        self.scroll.setWidget(self.samples)
        layout.addWidget(self.scroll, 1)

    def show_result(self, result: DoneEvent, base: str) -> None:
        """Fill the page from the run's "done" event."""
        before, after = result.perplexity_before, result.perplexity_after
        self.headline.setText(f"{improvement_sentence(before, after)}.")
        tip = improvement_tooltip(before, after)
        self.headline.setToolTip(tip)
        self.details.setToolTip(tip)
        self.details.setText(
            f"Perplexity on your held-out text: {perplexity_text(before)} with {base or 'the base model'}, "
            f"{perplexity_text(after)} with “{result.name}” (lower is better). "
            f"“{result.name}” is installed in {result.folder} and listed in the model manager."
        )
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        headers = ("Your text", f"Before ({base or 'base model'})", f"After ({result.name})")
        for column, header in enumerate(headers):
            self.grid.addWidget(_cell(header, bold=True), 0, column)
            self.grid.setColumnStretch(column, 1)
        for row, sample in enumerate(result.samples, start=1):
            for column, text in enumerate((sample.prompt, sample.before, sample.after)):
                cell = _cell(text.strip() or "(nothing)")
                cell.setObjectName(f"training-sample-{row}-{column}")
                self.grid.addWidget(cell, row, column)
        self.grid.setRowStretch(len(result.samples) + 1, 1)
        self.samples_title.setVisible(bool(result.samples))
        self.scroll.setVisible(bool(result.samples))

    def sample_texts(self) -> list[tuple[str, str, str]]:
        """The samples as shown: (prompt, before, after) per row."""
        rows = []
        for row in range(1, self.grid.rowCount()):
            cells = [self.grid.itemAtPosition(row, column) for column in range(3)]
            if all(cell is not None and isinstance(cell.widget(), QLabel) for cell in cells):
                texts = [cell.widget().text() for cell in cells if cell is not None]  # type: ignore[union-attr]
                rows.append((texts[0], texts[1], texts[2]))
        return rows

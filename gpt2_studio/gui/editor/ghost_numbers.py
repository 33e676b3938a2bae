"""A suggestion's own numbers: each alternative's confidence and time, and each ghost token's probability.

The engine records every generated token's probability under the model's own distribution (before
temperature and top-k; see core.generation.token_numbers). Here they are kept beside the ghost's
alternatives, summed up for the status bar ("71% · 0.4 s") and shown when the pointer rests on a ghost
token, with the model's runners-up at that point.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import QHelpEvent, QTextLine
from PySide6.QtWidgets import QPlainTextEdit, QToolTip

if TYPE_CHECKING:  # the engine imports torch, which the window loads only on the worker thread
    from gpt2_studio.core.generation.engine import Completion
    from gpt2_studio.core.generation.token_numbers import TokenChoice


@dataclass(frozen=True)
class AlternativeNumbers:
    """One alternative's tokens with their numbers, and the seconds it took.

    shift: characters of the model's text that the ghost does not show at its start (a space that
    would double the writer's).
    """

    choices: tuple[TokenChoice, ...]
    seconds: float
    shift: int = 0

    @property
    def confidence(self) -> float | None:
        """The mean probability of the alternative's tokens, 0…1 (None: no tokens)."""
        if not self.choices:
            return None
        return sum(math.exp(choice.logprob) for choice in self.choices) / len(self.choices)

    def summary(self) -> str:
        """For the status bar: "71% · 0.4 s"."""
        confidence = self.confidence
        parts = [] if confidence is None else [f"{100 * confidence:.0f}%"]
        parts.append(f"{self.seconds:.2f} s" if self.seconds < 0.1 else f"{self.seconds:.1f} s")
        return " · ".join(parts)

    def choice_at(self, offset: int) -> TokenChoice | None:
        """The token that wrote the ghost's character at ``offset`` (0 = the first shown), or None."""
        position = offset + self.shift
        if position < 0:
            return None
        end = 0
        for choice in self.choices:
            end += len(choice.text)
            if position < end:
                return choice
        return None


def alternative_numbers(completion: Completion, shown: Sequence[str]) -> list[AlternativeNumbers | None]:
    """Numbers for each alternative as the ghost shows it (``shown``, one per completion alternative)."""
    out: list[AlternativeNumbers | None] = []
    for index, text in enumerate(shown):
        if index >= len(completion.token_logprobs):
            out.append(None)
            continue
        model = completion.alternatives[index]
        seconds = (
            completion.alternative_seconds[index] if index < len(completion.alternative_seconds) else 0.0
        )
        shift = len(model) - len(text) if model.endswith(text) else 0
        out.append(AlternativeNumbers(completion.token_logprobs[index], seconds, shift))
    return out


def shown_token(text: str) -> str:
    """A token's text for a tooltip: quoted, with line breaks and tabs made visible (as the lens does)."""
    return '"' + text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"'


def _percent(probability: float) -> str:
    return f"{100 * probability:.1f}%" if probability >= 0.001 else f"{100 * probability:.2g}%"


def choice_tooltip(choice: TokenChoice) -> str:
    """Rich text for hovering a ghost token: its probability and the model's runners-up at that point."""
    lines = [
        f"<b>{html.escape(shown_token(choice.text))}</b>",
        f"Probability {_percent(math.exp(choice.logprob))} (the model's own, before temperature and top-k)",
    ]
    if choice.top:
        lines.append("The model's likeliest tokens here:")
        lines.extend(
            f"{i}. {html.escape(shown_token(top.text))} {_percent(math.exp(top.logprob))}"
            for i, top in enumerate(choice.top, 1)
        )
    return "<p style='white-space:pre'>" + "<br>".join(lines) + "</p>"


def ghost_offset_at(editor: QPlainTextEdit, point: QPoint, position: int, length: int) -> int | None:
    """The offset in the ghost (laid out at document ``position``, ``length`` characters) under a
    viewport point, or None when the point is not over the ghost."""
    cursor = editor.textCursor()
    block = cursor.block()
    layout = block.layout()
    if layout is None or length <= 0 or position != cursor.position():
        return None
    top_left = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).topLeft()
    x, y = point.x() - top_left.x(), point.y() - top_left.y()
    start = position - block.position()  # the ghost's place in the layout's text (pre-edit included)
    for index in range(layout.lineCount()):
        line = layout.lineAt(index)
        if not line.y() <= y < line.y() + line.height():
            continue
        if not 0 <= x < line.naturalTextWidth() + line.x():
            return None
        at = line.xToCursor(x, QTextLine.CursorPosition.CursorOnCharacter)
        return at - start if start <= at < start + length else None
    return None


class GhostTooltip(QObject):
    """Shows the hovered ghost token's numbers; other tooltips (the lens's) go on as before."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self.editor = editor

    def install(self) -> None:
        """Watch the viewport's tooltips first (installed again, a filter moves to the front)."""
        viewport = self.editor.viewport()
        viewport.removeEventFilter(self)
        viewport.installEventFilter(self)

    def remove(self) -> None:
        """Stop watching (the window closes: a Python filter left on the viewport crashes at exit)."""
        self.editor.viewport().removeEventFilter(self)

    def tooltip_at(self, point: QPoint) -> str:
        """The tooltip for a viewport point over the ghost's text, or ""."""
        ghost = getattr(self.editor, "ghost", None)
        if ghost is None or ghost.streaming or not ghost.alternatives:
            return ""
        numbers = ghost.numbers[ghost.index] if ghost.index < len(ghost.numbers) else None
        if numbers is None:
            return ""
        offset = ghost_offset_at(self.editor, point, ghost.position, len(self.editor.shown_ghost_text()))
        choice = None if offset is None else numbers.choice_at(offset)
        return "" if choice is None else choice_tooltip(choice)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Tooltips over ghost tokens."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.editor.viewport())
                return True
        return super().eventFilter(watched, event)

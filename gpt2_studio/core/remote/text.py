"""One alternative's text as a server streams it: stop strings, natural ends, and pieces safe to show.

The local engine's Alternative works on token ids; a server sends text, so this is its text-level twin
with the same rules (generation/endings.py): a piece shown is never the start of a stop string nor
whitespace that a natural end may still cut off. Stops are applied here even when the server honours
`stop` too, so a server that ignores it still stops where the writer asked.
"""

from __future__ import annotations

from gpt2_studio.core.generation.alternatives import FINISH_LENGTH, FINISH_STOP, shown_end
from gpt2_studio.core.generation.endings import find_end


class RemoteText:
    """The text of one continuation, grown a piece at a time; `reason` is None while it runs."""

    def __init__(self, stops: tuple[str, ...], stop_at: str, before: str = "") -> None:
        self._stops = stops
        self._stop_at = stop_at
        self._before = before
        self.text = ""
        self.reason: str | None = None
        self.pieces = 0  # pieces the server sent (about one per token)
        self._emitted = 0

    def add(self, piece: str) -> None:
        """Append text the server sent; may end the alternative (a stop string or a natural end)."""
        if self.reason is not None or not piece:
            return
        self.pieces += 1
        self.text += piece
        if self._stops:
            longest = max(len(stop) for stop in self._stops)
            start = max(0, self._emitted - longest)
            hits = [i for i in (self.text.find(stop, start) for stop in self._stops) if i >= 0]
            if hits:
                self.text = self.text[: min(hits)]
                self.reason = FINISH_STOP
        cut = find_end(self.text, self._stop_at, self._before)
        if cut is not None:
            self.text = self.text[:cut]
            self.reason = FINISH_STOP

    def finish(self, reason: str = FINISH_LENGTH) -> None:
        """End it (if it still runs) for reason."""
        self.reason = self.reason or reason

    def take_piece(self) -> str:
        """The text not shown yet that is safe to show now (everything, once it ended)."""
        safe = shown_end(self.text, self._stops, self._stop_at, self.reason is None)
        piece = self.text[self._emitted : safe]
        self._emitted = max(self._emitted, safe)
        return piece

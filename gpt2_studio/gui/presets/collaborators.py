"""What the preset widgets need from the rest of the app, as typing protocols.

The window passes these in (the editor widget and the model worker are passed as they are); what the
presets want done elsewhere (a new document, a save, a pause of the suggestions, a status message) they
ask for with signals that the window connects. Nothing in ``gui/presets`` knows the main window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from gpt2_studio.core.documents.context_notes import ContextNotes


class Questions(Protocol):
    """The questions presets ask (``gui.questions.Questions``; tests script their own).

    ``ask_samples_new_document`` and ``ask_import_conflict`` are used when offered, else the message
    boxes in ``gui.presets.questions`` ask them.
    """

    def ask_text(self, label: str, default: str = "", title: str = "Preset Input") -> str | None:
        """A preset's ``{input}``; None when the user cancels."""
        ...

    def open_path(self, folder: str) -> str:
        """A file to import presets from; '' when cancelled."""
        ...

    def save_path(self, suggested: str) -> str:
        """A file to export presets or save samples to; '' when cancelled."""
        ...


class SuggestionState(Protocol):
    """What presets read of the ghost suggestions (the window's ``SuggestionController``)."""

    model_ready: bool  # a model is loaded: presets may run
    in_flight: bool  # a suggestion is being generated
    notes: ContextNotes  # the document's Memory and Author's note (presets that continue the text use them)


#: The questions object in use now (a provider: the window may swap its questions object).
QuestionsProvider = Callable[[], Questions]
#: The open document's file, or None for an untitled one.
DocumentPathProvider = Callable[[], Path | None]

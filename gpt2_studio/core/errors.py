"""Errors a user can cause and fix; their messages are shown as they are."""

from __future__ import annotations


class StudioError(Exception):
    """Base class: the message is one sentence meant for the user, never a traceback."""


class ModelError(StudioError):
    """A model cannot be found, validated or loaded."""


class SettingsError(StudioError, ValueError):
    """A sampling or app setting is outside what is allowed; the message says what is."""


class GenerationError(StudioError):
    """Generation failed at run time (for example out of memory)."""

    def __init__(self, message: str, *, out_of_memory: bool = False, device: str = "") -> None:
        super().__init__(message)
        self.out_of_memory = out_of_memory
        self.device = device

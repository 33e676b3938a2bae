"""Spelling in the main window: the underliner, the right-click menu, Edit → Spelling, language per document.

Edit → Spelling holds "Check Spelling" (the `spell_check` setting) and the language of the document in
the editor. A document's language is remembered by its path (core/spelling/document_languages.py); an
untitled document, or one never given a language, uses the `spelling_language` setting, which choosing
a language for an untitled document also sets.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from gpt2_studio.core.settings import SPELLING_LANGUAGES
from gpt2_studio.core.spelling.document_languages import document_language, remember_language
from gpt2_studio.gui.spelling.menu import SpellingMenu
from gpt2_studio.gui.spelling.underliner import SpellingUnderliner

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {
    "en": "&English",
    "fr": "&French (Français)",
    "de": "&German (Deutsch)",
    "es": "&Spanish (Español)",
}


class Spelling:
    """The window's spelling: underliner, menu, Edit → Spelling entries, and the document's language."""

    def __init__(self, window: Any) -> None:
        self.window = window
        settings = window.settings
        language = document_language(window.session.path, settings.spelling_language)
        self.underliner = SpellingUnderliner(window.editor, language, settings.spell_check)
        popup = getattr(window, "word_popup", None)

        def extra_entries(menu: QMenu, position: int) -> None:
            if popup is not None:
                entry = menu.addAction("Alternatives for This Word\u2026")
                entry.triggered.connect(lambda _c=False: popup.ask_at(position))

        self.menu = SpellingMenu(window.editor, self.underliner, window.worker, extra_entries)
        bar = window.status_bar
        self.menu.message.connect(lambda text: bar.showMessage(text, 8000))
        self.check_action = QAction("&Check Spelling", window)
        self.check_action.setObjectName("action-check-spelling")
        self.check_action.setCheckable(True)
        self.check_action.setChecked(settings.spell_check)
        self.check_action.setToolTip("Underline misspelt words as you type; right-click one for suggestions")
        self.check_action.toggled.connect(self._toggled)
        self.language_actions: dict[str, QAction] = {}
        group = QActionGroup(window)
        for code in SPELLING_LANGUAGES:
            action = QAction(LANGUAGE_NAMES.get(code, code), window)
            action.setObjectName(f"action-spelling-{code}")
            action.setCheckable(True)
            action.setChecked(code == language)
            action.triggered.connect(lambda _c=False, code=code: self.choose_language(code))
            group.addAction(action)
            self.language_actions[code] = action
        self.spelling_menu = QMenu("&Spelling", window)
        self.spelling_menu.setObjectName("spelling-submenu")
        self.spelling_menu.addAction(self.check_action)
        languages = self.spelling_menu.addMenu("&Language of This Document")
        languages.addActions(list(self.language_actions.values()))
        edit = [m for m in window.main_menu.undo_action.associatedObjects() if isinstance(m, QMenu)]
        if edit:
            edit[0].addSeparator()
            edit[0].addMenu(self.spelling_menu)
        window.session.replaced.connect(self._document_replaced)
        window.session.saved.connect(self._document_saved)

    def close(self) -> None:
        """The window closes: stop watching the editor; let the dictionary thread end."""
        self.menu.close()
        self.underliner.close()

    def _toggled(self, on: bool) -> None:
        self.window.settings.spell_check = on
        self.underliner.set_enabled(on)

    def choose_language(self, language: str) -> None:
        """Check the document in language and remember it for the document (or as the default)."""
        path = self.window.session.path
        if path is None:
            self.window.settings.spelling_language = language
        else:
            try:
                remember_language(Path(path), language)
            except OSError as exc:
                log.warning("Could not remember the spelling language: %s", exc)
                self.window.status_bar.showMessage(
                    f"The language is used now but could not be remembered: {exc.strerror or exc}.", 8000
                )
        self._use(language)

    def _use(self, language: str) -> None:
        self.language_actions[language].setChecked(True)
        if language != self.underliner.language:
            self.underliner.set_language(language)

    def _document_replaced(self, path: object) -> None:
        default = self.window.settings.spelling_language
        self._use(document_language(Path(str(path)) if path else None, default))

    def _document_saved(self, before: object, now: object) -> None:
        # An untitled document saved (or one saved under a new name) keeps the language it was checked in.
        if now and before != now and self.underliner.language != self.window.settings.spelling_language:
            try:
                remember_language(Path(str(now)), self.underliner.language)
            except OSError as exc:
                log.warning("Could not remember the spelling language: %s", exc)


def install_spelling(window: Any) -> Spelling:
    """Give the main window its spell checking (call after the word popup, whose entry it repeats)."""
    return Spelling(window)

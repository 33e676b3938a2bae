"""Questions about settings and presets: closing when settings cannot be saved, importing over a preset
of the same name, and where the Samples preset puts its samples.

They are asked through the questions object passed in (the window's ``questions``) when it has a method of
the same name (tests put a scripted one there), and otherwise with the message boxes below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_close_without_settings(parent: QWidget, reason: str) -> bool:
    """The settings cannot be saved: close anyway (True), or stay open (False)?"""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Settings not saved",
        f"{reason}\n\nIf you close now, the changes to your settings since GPT-2 Studio started are lost "
        "(your documents are not affected).",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    close = box.addButton("Close Anyway", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is close


def ask_import_conflict(parent: QWidget, names: list[str]) -> str:
    """'replace', 'keep_both' or 'cancel' when imported presets have the names of existing ones."""
    shown = ", ".join(f"“{name}”" for name in names[:5]) + (" …" if len(names) > 5 else "")
    plural = len(names) != 1
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Import presets",
        f"You already have preset{'s' if plural else ''} named {shown}.\n\n"
        f"Replace {'them' if plural else 'it'} with the imported one{'s' if plural else ''}, or keep both "
        "(the imported ones get a number after their name)?",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    replace = box.addButton("&Replace", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("&Keep Both", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.exec()
    clicked = box.clickedButton()
    return "replace" if clicked is replace else "keep_both" if clicked is keep else "cancel"


def ask_samples_new_document(parent: QWidget, preset: str, document: str) -> str:
    """Samples open in a new document: 'save' the current one first, 'discard' its changes, or 'cancel'."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        preset,
        f"{preset} opens its samples in a new document, in place of {document}.\n\n"
        f"Save the changes to {document} first?",
        buttons.Save | buttons.Discard | buttons.Cancel,
        buttons.Save,
    )
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")


_QUESTIONS: dict[str, Callable] = {
    "ask_close_without_settings": ask_close_without_settings,
    "ask_import_conflict": ask_import_conflict,
    "ask_samples_new_document": ask_samples_new_document,
}


def ask(questions: object, parent: QWidget, question: str, *args: object) -> Any:
    """Ask ``question`` through ``questions`` when it offers it, else with the message box here."""
    method = getattr(questions, question, None)
    if method is not None:
        return method(*args)
    return _QUESTIONS[question](parent, *args)

"""Questions about a document's encoding and line endings, and the File-menu actions that ask them.

Tests replace ``window.questions``; these questions are asked through it when it answers them, and
through :class:`DocumentDialogs` otherwise (the app's own Questions may adopt these methods later).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from gpt2_studio.core.documents.encodings import (
    COMMON_ENCODINGS,
    canonical,
    describe_encoding,
    guess_encodings,
)
from gpt2_studio.core.documents.text_files import NEWLINE_NAMES

_PREVIEW_BYTES = 4096


def _preview(head: bytes, encoding: str) -> str:
    text = head.decode(encoding, "replace")
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line[:60]


class _Choice(QDialog):
    """A small form of combo boxes."""

    def __init__(self, parent: QWidget, title: str, message: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        label = QLabel(message)
        label.setWordWrap(True)
        self.form.addRow(label)

    def combo(self, label: str, items: list[tuple[str, str]], current: str) -> QComboBox:
        box = QComboBox(self)
        for text, value in items:
            box.addItem(text, value)
        box.setCurrentIndex(max(0, box.findData(current)))
        self.form.addRow(label, box)
        return box

    def run(self) -> bool:
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.form.addRow(buttons)
        return self.exec() == QDialog.DialogCode.Accepted


class DocumentDialogs:
    """Modal questions about encodings and line endings."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def choose_encoding(self, message: str, candidates: list[str], path: str) -> str | None:
        """The encoding to open ``path`` in (best guess first, each with a preview), or None."""
        try:
            with open(path, "rb") as file:
                head = file.read(_PREVIEW_BYTES)
        except OSError:
            head = b""
        items = [(f"{describe_encoding(name)} — {_preview(head, name)}", name) for name in candidates]
        dialog = _Choice(self.parent, "Choose the encoding", message)
        box = dialog.combo("Encoding:", items, candidates[0] if candidates else "")
        return box.currentData() if dialog.run() else None

    def choose_save_format(self, encoding: str, newline: str) -> tuple[str, str] | None:
        """The encoding and line ending to save with, or None when cancelled."""
        names = list(dict.fromkeys([encoding, *COMMON_ENCODINGS]))
        dialog = _Choice(self.parent, "Save with Encoding", "Save the document with this encoding:")
        box = dialog.combo("Encoding:", [(describe_encoding(name), name) for name in names], encoding)
        ends = dialog.combo(
            "Line endings:", [(name, value) for value, name in NEWLINE_NAMES.items()], newline
        )
        return (box.currentData(), ends.currentData()) if dialog.run() else None


def ask(window: Any, question: str, *args: Any) -> Any:
    """Ask ``question`` through the window's questions when they know it, else through DocumentDialogs."""
    method = getattr(window.questions, question, None)
    if method is None:
        method = getattr(DocumentDialogs(window), question)
    return method(*args)


def encodings_to_offer(path: Path) -> list[str]:
    """Guesses for the file's bytes first, then the common encodings."""
    try:
        with path.open("rb") as file:
            head = file.read(256 * 1024)
    except OSError:
        head = b""
    names = ["utf-8", *guess_encodings(head), *COMMON_ENCODINGS] if head else ["utf-8", *COMMON_ENCODINGS]
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(canonical(name), name)
    return list(seen.values())


def reopen_with_encoding(window: Any) -> bool:
    """File → Reopen with Encoding…: read the current file again in an encoding the user picks."""
    if window.path is None:
        window.statusBar().showMessage("Save the document first; there is no file to reopen.", 6000)
        return False
    if not window.maybe_save():
        return False
    candidates = encodings_to_offer(window.path)
    message = f"Reopen {window.path.name} with which encoding? (It is now read as {window.encoding}.)"
    chosen = ask(window, "choose_encoding", message, candidates, str(window.path))
    if not chosen:
        return False
    return window.open_file(window.path, ask=False, encoding=chosen)


def save_with_encoding(window: Any) -> bool:
    """File → Save with Encoding…: choose encoding and line endings, then Save As."""
    chosen = ask(window, "choose_save_format", window.encoding, window.newline)
    if not chosen:
        return False
    encoding, newline = chosen
    return window.save_as(encoding=encoding, newline=newline)

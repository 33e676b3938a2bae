"""The side panel where presets such as TL;DR put their result, with Insert and Copy."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gpt2_studio.gui.editor.document_text import exact_insertable, exact_text, set_exact_text
from gpt2_studio.gui.editor.ghost_editor import GhostTextEdit
from gpt2_studio.gui.editor.insertion import insert_as_undo_step, model_text
from gpt2_studio.gui.provenance.hooks import model_insertion


def insert_at_cursor(editor: GhostTextEdit, text: str) -> None:
    """Insert text after the cursor (or the selection) as one undo step, spaced from a word before it."""
    text = model_text(text)
    if not text:
        return
    cursor = editor.textCursor()
    cursor.setPosition(cursor.selectionEnd())
    before = editor.document().characterAt(cursor.position() - 1) if cursor.position() > 0 else ""
    if before and not before.isspace() and before != "\u2029" and not text[:1].isspace():
        text = " " + text
    insert_as_undo_step(cursor, text)
    editor.setTextCursor(cursor)


class PresetResultPanel(QDockWidget):
    """A dockable, read-only view of the last side-panel result.

    It opens when a result starts to arrive and closes again when a run leaves it empty (stopped before
    the first word, failed) and when the window restores a layout in which it was open: a result is not
    kept across sessions, and an empty dock only takes room from the text.
    """

    inserted = Signal()  # Insert put the result into the document

    def __init__(self, editor: GhostTextEdit, parent: QWidget | None = None) -> None:
        super().__init__("Preset Result", parent)
        self.setObjectName("preset-result-panel")
        self.editor = editor
        self.preset_name = ""
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 6, 8, 8)
        self.title = QLabel("")
        self.title.setObjectName("preset-result-title")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold;")
        self.view = QPlainTextEdit(body)
        self.view.setObjectName("preset-result-text")
        self.view.setReadOnly(True)
        self.view.setPlaceholderText("Run TL;DR or Reading comprehension; the result appears here.")
        self.insert_button = QPushButton("&Insert")
        self.insert_button.setToolTip("Insert the result at the cursor in the document")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the result to the clipboard")
        self.insert_button.clicked.connect(self.insert)
        self.copy_button.clicked.connect(self.copy)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.insert_button)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._set_buttons()

    def text(self) -> str:
        """The result shown, exactly (toPlainText() would turn U+00A0 into a space)."""
        return exact_text(self.view.document())

    def start(self, preset_name: str, heading: str = "") -> None:
        """Clear the panel for a result that is about to stream in."""
        self.preset_name = preset_name
        self.title.setText(heading or preset_name)
        set_exact_text(self.view, "")
        self._set_buttons()
        self._reveal()

    def append(self, text: str) -> None:
        """Streamed text of the result in progress."""
        cursor = self.view.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(exact_insertable(self.view.document(), text))
        self._set_buttons()

    def show_result(self, preset_name: str, text: str, heading: str = "") -> None:
        """The finished result."""
        self.preset_name = preset_name
        self.title.setText(heading or preset_name)
        set_exact_text(self.view, text)
        self._set_buttons()
        self._reveal()

    def close_if_empty(self) -> bool:
        """Hide the panel when it holds no result; True when it did (or was already hidden)."""
        if self.text().strip():
            return False
        self.hide()
        return True

    def _reveal(self) -> None:
        if not self.isVisible():
            self.show()
            main = self.parentWidget()
            if isinstance(main, QMainWindow) and not self.isFloating():
                # Beside the sampling panel, take the larger share: results are longer than sliders.
                main.resizeDocks([self], [max(240, main.height() * 3 // 5)], Qt.Orientation.Vertical)
        self.raise_()

    def insert(self) -> None:
        """Put the result at the editor's cursor as one undo step."""
        text = self.text().strip()
        if text:
            # The preset's output; its settings are not kept with the result, so none are recorded.
            with model_insertion(self.editor, "preset", settings={}, preset=self.preset_name):
                insert_at_cursor(self.editor, text)
            self.inserted.emit()
            self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def copy(self) -> None:
        """Copy the result to the clipboard."""
        QApplication.clipboard().setText(self.text().strip())

    def _set_buttons(self) -> None:
        has_text = bool(self.text().strip())
        self.insert_button.setEnabled(has_text)
        self.copy_button.setEnabled(has_text)

"""Find and replace in the editor."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from gpt2_studio.gui.editor.document_text import exact_selected_text
from gpt2_studio.gui.provenance.hooks import exact_edits


class FindReplaceDialog(QDialog):
    """A non-modal find/replace bar for a QPlainTextEdit."""

    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find and Replace")
        self.editor = editor
        self.find_text = QLineEdit()
        self.replace_text = QLineEdit()
        self.case_sensitive = QCheckBox("Match case")
        self.whole_words = QCheckBox("Whole words")
        self.status = QLabel()
        grid = QGridLayout(self)
        grid.addWidget(QLabel("Find:"), 0, 0)
        grid.addWidget(self.find_text, 0, 1)
        grid.addWidget(QLabel("Replace with:"), 1, 0)
        grid.addWidget(self.replace_text, 1, 1)
        grid.addWidget(self.case_sensitive, 2, 0)
        grid.addWidget(self.whole_words, 2, 1)
        buttons = [
            ("Find next", lambda: self.find(backward=False)),
            ("Find previous", lambda: self.find(backward=True)),
            ("Replace", self.replace),
            ("Replace all", self.replace_all),
        ]
        for row, (label, slot) in enumerate(buttons):
            button = QPushButton(label)
            button.clicked.connect(slot)
            grid.addWidget(button, row, 2)
        grid.addWidget(self.status, 4, 0, 1, 3)
        self.find_text.returnPressed.connect(lambda: self.find(backward=False))

    def _flags(self, backward: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        if self.case_sensitive.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if self.whole_words.isChecked():
            flags |= QTextDocument.FindFlag.FindWholeWords
        return flags

    def _next_match(self, after: QTextCursor, backward: bool = False) -> QTextCursor:
        """The next exact match after (or before) ``after``'s selection; a null cursor when none.

        Qt's search reads every U+00A0 in the text as a space, so "10 €" would also match "10\u00a0€" and a
        search for "10\u00a0€" would match nothing: search for the needle with spaces, keep exact matches.
        """
        needle = self.find_text.text()
        document = self.editor.document()
        flags = self._flags(backward)
        found = document.find(needle.replace("\u00a0", " "), after, flags)
        while not found.isNull() and not self._same(exact_selected_text(found), needle):
            found = document.find(needle.replace("\u00a0", " "), found, flags)
        return found

    def _same(self, text: str, needle: str) -> bool:
        if self.case_sensitive.isChecked():
            return text == needle
        return text.lower() == needle.lower()

    def find(self, backward: bool = False) -> bool:
        """Select the next match, wrapping around the document once."""
        needle = self.find_text.text()
        if not needle:
            return False
        found = self._next_match(self.editor.textCursor(), backward)
        if found.isNull():
            start = QTextCursor(self.editor.document())
            start.movePosition(start.MoveOperation.End if backward else start.MoveOperation.Start)
            found = self._next_match(start, backward)
        if found.isNull():
            self.status.setText(f"“{needle}” was not found.")
            return False
        self.editor.setTextCursor(found)
        self.status.clear()
        return True

    def _selection_matches(self) -> bool:
        return self._same(exact_selected_text(self.editor.textCursor()), self.find_text.text())

    def replace(self) -> None:
        """Replace the selected match, then find the next one."""
        if self.find_text.text() and self._selection_matches():
            self.editor.textCursor().insertText(self.replace_text.text())
        self.find()

    def replace_all(self) -> int:
        """Replace every match as one undo step; returns the count."""
        needle = self.find_text.text()
        if not needle:
            return 0
        document = self.editor.document()
        count = 0
        edit = self.editor.textCursor()
        replacement = self.replace_text.text()
        # One edit block reports one change spanning every match; provenance is told each one.
        with exact_edits(self.editor) as tell:
            edit.beginEditBlock()
            cursor = self._next_match(QTextCursor(document))
            while not cursor.isNull():
                start, removed = cursor.selectionStart(), cursor.selectionEnd() - cursor.selectionStart()
                cursor.insertText(replacement)
                tell(start, removed, cursor.position() - start)
                count += 1
                cursor = self._next_match(cursor)
            edit.endEditBlock()
        self.status.setText(f"Replaced {count} occurrence{'s' if count != 1 else ''}.")
        return count

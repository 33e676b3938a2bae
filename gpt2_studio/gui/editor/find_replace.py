"""Find and replace in the editor."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument
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

    def find(self, backward: bool = False) -> bool:
        """Select the next match, wrapping around the document once."""
        needle = self.find_text.text()
        if not needle:
            return False
        if self.editor.find(needle, self._flags(backward)):
            self.status.clear()
            return True
        cursor = self.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End if backward else cursor.MoveOperation.Start)
        self.editor.setTextCursor(cursor)
        found = self.editor.find(needle, self._flags(backward))
        self.status.setText("" if found else f"“{needle}” was not found.")
        return found

    def _selection_matches(self) -> bool:
        selected = self.editor.textCursor().selectedText()
        needle = self.find_text.text()
        if self.case_sensitive.isChecked():
            return selected == needle
        return selected.lower() == needle.lower()

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
        edit.beginEditBlock()
        cursor = document.find(needle, 0, self._flags())
        while not cursor.isNull():
            cursor.insertText(self.replace_text.text())
            count += 1
            cursor = document.find(needle, cursor.position(), self._flags())
        edit.endEditBlock()
        self.status.setText(f"Replaced {count} occurrence{'s' if count != 1 else ''}.")
        return count

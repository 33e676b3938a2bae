"""Every question the app asks the user, in one place (tests replace these methods)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)

TEXT_FILTER = "Text files (*.txt *.md *.markdown *.text);;All files (*)"


def centre_on(dialog: QWidget, window: QWidget) -> None:
    """Move a dialog so that it is centred on a window (Qt's own placement ignores a moved window)."""
    frame = dialog.frameGeometry()
    frame.moveCenter(window.frameGeometry().center())
    dialog.move(frame.topLeft())


class ServerForm(QDialog):
    """ "Add a server…": the API's address, an optional name, model and API key, and the window.

    The key field is a password field; the manager hands the key to the keyring, never to settings.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a Server")
        form = QFormLayout(self)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("http://gpu-box:8000/v1")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("the server's host and port")
        self.model_edit = QLineEdit()
        self.model_edit.setPlaceholderText("its only model")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("none; kept in the system keyring")
        self.window_spin = QSpinBox()
        self.window_spin.setRange(0, 1_048_576)
        self.window_spin.setSpecialValueText("as the server says, else 1024")
        form.addRow("Address:", self.url_edit)
        form.addRow("Name:", self.name_edit)
        form.addRow("Model:", self.model_edit)
        form.addRow("API key:", self.key_edit)
        form.addRow("Window (tokens):", self.window_spin)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def details(self) -> dict[str, object]:
        """What was typed: url, name, model, api_key ("" where left empty) and window (None: not given)."""
        return {
            "url": self.url_edit.text().strip(),
            "name": self.name_edit.text().strip(),
            "model": self.model_edit.text().strip(),
            "api_key": self.key_edit.text().strip(),
            "window": self.window_spin.value() or None,
        }


class Questions:
    """Modal questions and messages, parented to the main window."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def ask_save_changes(self, name: str) -> str:
        """'save', 'discard' or 'cancel' for a document with unsaved changes."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.parent,
            "Unsaved changes",
            f"Save the changes to {name}?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")

    def ask_overwrite_changed(self, path: str) -> bool:
        """The file changed on disk since it was opened: overwrite it anyway?"""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.warning(
            self.parent,
            "File changed on disk",
            f"{path} was changed by another program since you opened it.\n\n"
            "Overwrite it with your version? (Choose No, then Save As, to keep both.)",
            buttons.Yes | buttons.No,
            buttons.No,
        )
        return answer == buttons.Yes

    def ask_drop_notes(self, problem: str) -> bool:
        """The document's Memory and Author's note cannot be stored (``problem``): go on without them?"""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Memory and Author's note not stored",
            f"{problem}\n\nGo on without them? Cancel keeps them in the dock, so you can copy them or "
            "free the folder first.",
            QMessageBox.StandardButton.NoButton,
            self.parent,
        )
        drop = box.addButton("Go On Without Them", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is drop

    def ask_restore(self, descriptions: list[str]) -> bool:
        """Unsaved work from a session that ended unexpectedly: restore it?"""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.parent,
            "Restore unsaved work?",
            "GPT-2 Studio did not close properly last time. Restore this unsaved work?\n\n"
            + "\n".join(descriptions),
            buttons.Yes | buttons.No,
            buttons.Yes,
        )
        return answer == buttons.Yes

    def ask_delete_model(self, name: str) -> bool:
        """Delete an installed model's files?"""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.parent,
            "Delete model",
            f"Delete the model {name} and its files from this computer?",
            buttons.Yes | buttons.No,
            buttons.No,
        )
        return answer == buttons.Yes

    def ask_text(self, label: str, default: str = "", title: str = "Preset Input") -> str | None:
        """A line of text the user types (a preset's {input}), or None when cancelled."""
        text, ok = QInputDialog.getText(self.parent, title, label, text=default)
        return text if ok else None

    def error(self, title: str, message: str) -> None:
        """Tell the user something went wrong; the app carries on."""
        QMessageBox.warning(self.parent, title, message)

    def info(self, title: str, message: str) -> None:
        """Tell the user something (About, a result); the app carries on."""
        QMessageBox.information(self.parent, title, message)

    def open_path(self, folder: str) -> str:
        """A file to open, or '' when cancelled."""
        return QFileDialog.getOpenFileName(self.parent, "Open", folder, TEXT_FILTER)[0]

    def save_path(self, suggested: str) -> str:
        """Where to save, or '' when cancelled."""
        return QFileDialog.getSaveFileName(self.parent, "Save As", suggested, TEXT_FILTER)[0]

    def model_folder(self, folder: str) -> str:
        """A GPT-2 checkpoint folder, or '' when cancelled."""
        return QFileDialog.getExistingDirectory(self.parent, "Open Model Folder", folder)

    def server_details(self) -> dict[str, object] | None:
        """A server to add (ServerForm.details()), or None when cancelled."""
        form = ServerForm(self.parent)
        try:
            return form.details() if form.exec() == QDialog.DialogCode.Accepted else None
        finally:
            form.deleteLater()

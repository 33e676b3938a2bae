"""The banner above the editor while no model is loaded: why, and buttons to get one.

A status-bar message is gone after a few seconds or the next message; this stays until a model loads.
Its colours are the palette's tool-tip roles, so it reads well in both themes.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gpt2_studio.core.models.catalog import find_catalog_model
from gpt2_studio.core.models.memory import format_bytes


def no_model_text(reason: str | None = None) -> str:
    """What the banner says: why no model is loaded (None: nothing installed) and how to get one."""
    if reason is not None:
        return f"No model is loaded. {reason} Get a Model… shows the models you can download or use."
    gpt2 = find_catalog_model("gpt2")
    size = f" ({gpt2.parameters / 1e6:.0f}M parameters, {format_bytes(gpt2.download_bytes)})" if gpt2 else ""
    return (
        "No model is installed yet. GPT-2 Studio writes with a GPT-2 model on this computer: get GPT-2"
        f"{size} with Get a Model…, or open a model folder you already have."
    )


def nothing_installed() -> bool:
    """Whether no usable model is in the models folder (a first start, or every model deleted)."""
    from gpt2_studio.core.errors import StudioError
    from gpt2_studio.core.models.checkpoint import inspect_checkpoint
    from gpt2_studio.core.models.store import list_installed

    for model in list_installed():
        try:
            inspect_checkpoint(model.folder)  # a half-finished download is not a model
        except (StudioError, OSError):
            continue
        return False
    return True


class ModelBanner(QFrame):
    """A persistent notice with "Get a Model…" and "Open Model Folder…" buttons."""

    manager_requested = Signal()
    folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model-banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.label = QLabel()
        self.label.setObjectName("model-banner-text")
        self.label.setWordWrap(True)
        self.label.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.manager_button = QPushButton("&Get a Model…")
        self.manager_button.clicked.connect(self.manager_requested)
        self.folder_button = QPushButton("Open Model &Folder…")
        self.folder_button.clicked.connect(self.folder_requested)
        buttons = QVBoxLayout()
        buttons.addWidget(self.manager_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.label, 1)
        layout.addLayout(buttons)
        self.hide()

    def show_reason(self, text: str) -> None:
        """Show the banner with one plain sentence or two about what is missing."""
        self.label.setText(text)
        self.show()


def wrap_with_banner(banner: ModelBanner, editor: QWidget) -> QWidget:
    """A widget holding the banner above the editor, for the main window's centre."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    layout.addWidget(editor, 1)
    return holder

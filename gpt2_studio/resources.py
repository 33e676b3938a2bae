"""Where the app's resource files (icons) are, in a source checkout and in a frozen PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Qt is imported only when the icon is asked for (the CLI never asks)
    from PySide6.QtGui import QIcon

ICON_NAME = "gpt2-studio"
ICON_SIZES = (256, 128, 64, 48, 32)


def resources_root() -> Path:
    """The resources/ folder: inside the bundle when frozen, else beside the package in the checkout."""
    if getattr(sys, "frozen", False):
        # PyInstaller one-folder builds unpack data next to the executable (_internal/ since 6.0); in a
        # macOS .app it is Contents/Frameworks, which links to Contents/Resources.
        base = Path(getattr(sys, "_MEIPASS", Path(sys.executable).resolve().parent))
    else:
        base = Path(__file__).resolve().parent.parent
    return base / "resources"


def resource_path(name: str) -> Path:
    """The path of a resource file, e.g. ``resource_path("icons/gpt2-studio-256.png")``."""
    return resources_root().joinpath(*name.split("/"))


def icon_files() -> list[Path]:
    """The app icon's PNG renders that exist, largest first (none when installed without resources)."""
    files = [resource_path(f"icons/{ICON_NAME}-{size}.png") for size in ICON_SIZES]
    return [path for path in files if path.is_file()]


def app_icon() -> QIcon:
    """The app icon as a QIcon holding every PNG size (empty when the files are missing)."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for path in icon_files():
        icon.addFile(str(path))
    return icon

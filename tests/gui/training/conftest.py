"""Fixtures for the Learn a Style dialog: an installed tiny model, a writer's files, screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget


@pytest.fixture
def installed_tiny(tiny_model_dir: Path) -> str:
    """The tiny checkpoint installed in the (temporary) models folder as "tiny"."""
    from gpt2_studio.core.models.store import import_checkpoint

    return import_checkpoint(tiny_model_dir, "tiny").name


@pytest.fixture
def writing(tmp_path: Path) -> Path:
    """A folder of a writer's texts."""
    folder = tmp_path / "writing"
    folder.mkdir()
    for index in range(6):
        (folder / f"chapter-{index}.txt").write_text(
            f"Chapter {index}. The lighthouse keeper counted the waves again. " * 40, encoding="utf-8"
        )
    (folder / "notes.md").write_text("# Notes\n\nThe keeper never counts the gulls.\n" * 30, encoding="utf-8")
    return folder


def shoot(widget: QWidget, name: str) -> None:
    """Render the widget as the user sees it; saved as NAME.png where TRAINING_SCREENSHOTS points."""
    image = widget.grab()
    assert not image.isNull()
    folder = os.environ.get("TRAINING_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert image.save(str(Path(folder) / f"{name}.png"))

"""Corpora for the training tests: a strongly patterned one that a tiny GPT-2 can learn in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

CYCLE = ["fox", "dog", "cat", "house", "water", "ship", "storm", "tale"]


def write_pattern_corpus(folder: Path, documents: int = 8, words: int = 200) -> Path:
    """documents files of the word cycle, each starting at another word of it."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(documents):
        text = " ".join(CYCLE[(i + k) % len(CYCLE)] for k in range(words))
        (folder / f"part{i}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def pattern_corpus(tmp_path: Path) -> Path:
    """A folder of eight .txt files repeating one cycle of eight words."""
    return write_pattern_corpus(tmp_path / "writing")

"""The model manager's Size column adds what a model's quantized copies take on disk (issue 13)."""

from __future__ import annotations

from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.memory import format_bytes
from gpt2_studio.core.models.quantized_cache import model_cache_folder
from gpt2_studio.core.models.store import folder_size, import_checkpoint
from gpt2_studio.gui.models.manager import COLUMNS, ModelManagerDialog
from tests.gui.conftest import ScriptedQuestions


def _size_cell(qtbot, name: str) -> str:
    manager = ModelManagerDialog(None, questions=ScriptedQuestions())
    qtbot.addWidget(manager)
    rows = [manager.table.item(i, 0).text() for i in range(manager.table.rowCount())]
    text = manager.table.item(rows.index(name), COLUMNS.index("Size")).text()
    manager.close()
    return text


def test_the_size_column_shows_the_quantized_copies(qtbot, tiny_model_dir):
    model = import_checkpoint(tiny_model_dir, "mine")
    assert _size_cell(qtbot, "mine") == format_bytes(model.size_bytes)
    load_model("mine", device="cpu", precision="int8")
    copies = folder_size(model_cache_folder(model.folder))
    assert copies > 0
    assert _size_cell(qtbot, "mine") == f"{format_bytes(model.size_bytes)} + {format_bytes(copies)} copies"

"""`gpt2-studio models list` shows what each model's quantized copies take on disk (issue 13)."""

from __future__ import annotations

from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.quantized_cache import model_cache_folder
from gpt2_studio.core.models.store import folder_size, list_installed, remove_model
from tests.cli.test_cli import run_in_process


def test_the_list_shows_the_quantized_copies_disk_use_until_the_model_is_removed(tiny_model_dir):
    assert run_in_process(["models", "import", str(tiny_model_dir), "--name", "mine"])[0] == 0
    (model,) = list_installed()
    assert model.cache_bytes == 0
    assert "quantized copies" not in run_in_process(["models", "list"])[1]
    load_model("mine", device="cpu", precision="int8")
    load_model("mine", device="cpu", precision="bf16")
    (model,) = list_installed()
    copies = folder_size(model_cache_folder(model.folder))
    assert model.cache_bytes == copies > 0
    line = next(line for line in run_in_process(["models", "list"])[1].splitlines() if "mine" in line)
    from gpt2_studio.core.models.memory import format_bytes

    assert f", +{format_bytes(copies)} quantized copies  from " in line
    remove_model("mine")
    assert not model_cache_folder(model.folder).exists()

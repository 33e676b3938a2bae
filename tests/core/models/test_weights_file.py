"""CPU loading reads safetensors straight into the runner: the transformers path's logits, less memory."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.models import weights_file
from gpt2_studio.core.models.catalog import CatalogModel
from gpt2_studio.core.models.checkpoint import inspect_checkpoint
from gpt2_studio.core.models.loading import load_model, quiet_transformers
from gpt2_studio.core.runner import GPT2Runner, int8_supported

ROOT = Path(__file__).parents[3]
PRECISIONS = [
    "fp32",
    "bf16",
    pytest.param("int8", marks=pytest.mark.skipif(not int8_supported(), reason="no int8")),
]
TEXT = "The quick brown fox jumps over the lazy dog. Q: What is the capital of France? A: Paris."


def _logits(runner: GPT2Runner, ids: torch.Tensor) -> torch.Tensor:
    return runner.forward(ids, runner.new_cache(1, ids.shape[1]), start=0, all_rows=True)[0]


def _transformers_runner(folder: Path, precision: str) -> GPT2Runner:
    """The runner as loading built it before: from transformers' fp32 model of the folder."""
    from transformers import GPT2LMHeadModel

    with quiet_transformers():
        model = GPT2LMHeadModel.from_pretrained(str(folder), dtype=torch.float32).eval()
    return GPT2Runner.from_model(model, precision)


@pytest.fixture(scope="module")
def ids(tiny_model):
    return torch.tensor([tiny_model.tokenizer.encode(TEXT)])


@pytest.mark.parametrize("precision", PRECISIONS)
def test_cpu_loading_gives_exactly_the_logits_of_the_transformers_path(tiny_model_dir, ids, precision):
    loaded = load_model(tiny_model_dir, device="cpu", precision=precision)
    expected = _logits(_transformers_runner(tiny_model_dir, precision), ids)
    assert torch.equal(_logits(loaded.runner, ids), expected)


def _rewrite(folder: Path, edit) -> None:
    path = folder / "model.safetensors"
    tensors = edit(load_file(path))
    path.unlink()
    if tensors is not None:
        save_file(tensors, path, metadata={"format": "pt"})


def _shard(tensors: dict) -> None:
    names = sorted(tensors)
    half = len(names) // 2
    return names[:half], names[half:]


@pytest.mark.parametrize(
    "variant", ["fp16 file", "bf16 file", "f64 file", "names without transformer.", "two shards"]
)
def test_every_checkpoint_layout_loads_as_transformers_reads_it(tiny_copy, ids, variant):
    dtypes = {"fp16 file": torch.float16, "bf16 file": torch.bfloat16, "f64 file": torch.float64}
    if variant in dtypes:
        _rewrite(tiny_copy, lambda t: {k: v.to(dtypes[variant]) for k, v in t.items()})
    elif variant == "names without transformer.":
        _rewrite(tiny_copy, lambda t: {k.removeprefix("transformer."): v for k, v in t.items()})
    else:
        tensors = load_file(tiny_copy / "model.safetensors")
        (tiny_copy / "model.safetensors").unlink()
        weight_map = {}
        for index, names in enumerate(_shard(tensors), 1):
            file_name = f"model-0000{index}-of-00002.safetensors"
            save_file({n: tensors[n] for n in names}, tiny_copy / file_name, metadata={"format": "pt"})
            weight_map.update(dict.fromkeys(names, file_name))
        index_file = tiny_copy / "model.safetensors.index.json"
        index_file.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    for precision in ("fp32", "int8" if int8_supported() else "bf16"):
        loaded = load_model(tiny_copy, device="cpu", precision=precision)
        expected = _logits(_transformers_runner(tiny_copy, precision), ids)
        assert torch.equal(_logits(loaded.runner, ids), expected), precision


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_the_embedding_read_in_blocks_equals_the_embedding_read_at_once(
    tiny_model_dir, ids, precision, monkeypatch
):
    if precision == "int8" and not int8_supported():
        pytest.skip("no int8 kernels")
    info = inspect_checkpoint(tiny_model_dir)
    whole = weights_file.read_runner_weights(info, precision)
    monkeypatch.setattr(weights_file, "EMBEDDING_CHUNK_ROWS", 37)  # blocks that do not divide the vocabulary
    blocks = weights_file.read_runner_weights(info, precision)
    for key, tensor in whole.wte.tensors().items():
        assert torch.equal(blocks.wte.tensors()[key], tensor), key
    assert torch.equal(_logits(GPT2Runner(blocks), ids), _logits(GPT2Runner(whole), ids))


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize(
    ("name", "row"), [("transformer.wte.weight", 391), ("transformer.h.1.mlp.c_proj.bias", 0)]
)
def test_a_non_finite_weight_is_refused_in_every_precision_naming_it(
    tiny_copy, precision, name, row, monkeypatch
):
    monkeypatch.setattr(weights_file, "EMBEDDING_CHUNK_ROWS", 64)  # the bad row is in the last block

    def poison(tensors: dict) -> dict:
        tensors[name].view(tensors[name].shape[0], -1)[row, 0] = math.nan
        return tensors

    _rewrite(tiny_copy, poison)
    with pytest.raises(ModelError, match=rf"weight {name} contains NaN or infinite values"):
        load_model(tiny_copy, device="cpu", precision=precision)


def _read_all(tensors: weights_file.CheckpointTensors) -> None:
    for name in ("wte.weight", "wpe.weight", "h.1.mlp.c_proj.weight"):
        tensors.read(name)


@pytest.mark.parametrize("when", ["before reading", "while reading"])
def test_a_file_cut_short_after_it_was_checked_is_one_sentence(tiny_copy, when):
    info = inspect_checkpoint(tiny_copy)
    path = tiny_copy / "model.safetensors"

    def cut() -> None:
        with path.open("r+b") as handle:
            handle.truncate(path.stat().st_size // 2)

    if when == "before reading":
        cut()
        with pytest.raises(
            ModelError, match=r"model.safetensors cannot be read \(.*\); it may have"
        ) as caught:
            weights_file.CheckpointTensors(info)
        assert "\n" not in str(caught.value)
        return
    with weights_file.CheckpointTensors(info) as tensors:
        cut()
        with pytest.raises(
            ModelError, match=r"model.safetensors cannot be read \(.*\); it may have"
        ) as caught:
            _read_all(tensors)
    assert "\n" not in str(caught.value)


def test_an_activation_the_runner_lacks_is_one_sentence(tiny_copy):
    config = json.loads((tiny_copy / "config.json").read_text())
    config["activation_function"] = "quick_gelu"  # transformers knows it; the runner does not
    (tiny_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        ModelError, match="config.json asks for something GPT-2 Studio cannot run .*quick_gelu"
    ):
        load_model(tiny_copy, device="cpu", precision="int8" if int8_supported() else "fp32")


_NO_MODEL_CODE = """
import sys
from gpt2_studio.core.models.loading import load_model
for precision in sys.argv[2:]:
    load_model(sys.argv[1], device="cpu", precision=precision)
code = ("transformers.models.gpt2.modeling", "transformers.modeling")
print(sorted(m for m in sys.modules if m.startswith(code)))
"""


def test_loading_on_the_cpu_imports_no_transformers_model_code(tiny_model_dir):
    precisions = ["fp32", "bf16", *(["int8"] if int8_supported() else [])]
    done = subprocess.run(
        [sys.executable, "-c", _NO_MODEL_CODE, str(tiny_model_dir), *precisions],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


_PEAK = """
import sys
from pathlib import Path
import torch
from gpt2_studio.core.models.loading import load_model
status = Path("/proc/self/status")
def field(name):
    line = next(line for line in status.read_text().splitlines() if line.startswith(name))
    return int(line.split()[1]) * 1024
warm = load_model(sys.argv[3], device="cpu", precision=sys.argv[2])  # imports, torch's first-use set-up
Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the current VmRSS
before = field("VmRSS")
model = load_model(sys.argv[1], device="cpu", precision=sys.argv[2])
print(field("VmHWM") - before, field("VmHWM"))
"""


@pytest.fixture(scope="module")
def wide_checkpoint(tiny_model_dir, tmp_path_factory) -> Path:
    """A checkpoint whose wide vocabulary makes the embedding (51 MB in fp32) most of its 58 MB."""
    import shutil

    folder = Path(shutil.copytree(tiny_model_dir, tmp_path_factory.mktemp("wide") / "model"))
    config = json.loads((folder / "config.json").read_text())
    config.update(vocab_size=50257, n_embd=256, n_head=4)
    (folder / "config.json").write_text(json.dumps(config))
    generator = torch.Generator().manual_seed(0)
    tensors = {
        name: torch.randn(shape, generator=generator) * 0.02 for name, shape in inspect_shapes(config).items()
    }
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    ("precision", "share"), [("bf16", 0.75), pytest.param("int8", 0.6, marks=PRECISIONS[2].marks)]
)
def test_a_reduced_precision_load_never_holds_the_fp32_weights(
    wide_checkpoint, tiny_model_dir, precision, share
):
    config = json.loads((wide_checkpoint / "config.json").read_text())
    fp32_bytes = (wide_checkpoint / "model.safetensors").stat().st_size
    shape = CatalogModel("wide", "", fp32_bytes // 4, 0, config["n_layer"], config["n_embd"], "")
    for load in ("first load", "second load, mapping the quantized copy"):
        done = subprocess.run(
            [sys.executable, "-c", _PEAK, str(wide_checkpoint), precision, str(tiny_model_dir)],
            capture_output=True, text=True, timeout=300, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        peak, whole = (int(value) for value in done.stdout.split())
        # int8 weights are a quarter of fp32, bf16 a half; building the fp32 model first costs all of it.
        assert peak < share * fp32_bytes, (
            f"{load}: peak {peak / 1e6:.0f} MB for {fp32_bytes / 1e6:.0f} MB of fp32"
        )
        # The model manager's estimate for this shape covers what the whole process took.
        assert whole <= shape.load_memory_bytes(precision), load


def inspect_shapes(config: dict) -> dict[str, tuple[int, ...]]:
    """The checkpoint's tensor names (with transformers' prefix) and shapes for a config."""
    from gpt2_studio.core.models.checkpoint import expected_shapes

    return {f"transformer.{name}": shape for name, shape in expected_shapes(config).items()}

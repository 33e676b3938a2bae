"""Each way a model folder can be wrong gets one sentence naming the folder and the problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.models.checkpoint import inspect_checkpoint


def _edit_config(folder: Path, **changes) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def test_a_valid_folder_is_described(tiny_model_dir):
    info = inspect_checkpoint(tiny_model_dir)
    assert info.n_positions == 128
    assert info.n_layer == 2
    assert info.weight_files == (tiny_model_dir / "model.safetensors",)
    assert info.parameters > 0


def test_missing_folder(tmp_path):
    with pytest.raises(ModelError, match=r"nope: does not exist\."):
        inspect_checkpoint(tmp_path / "nope")


def test_a_file_is_not_a_folder(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("x")
    with pytest.raises(ModelError, match="is a file, not a folder"):
        inspect_checkpoint(path)


def test_folder_without_config(tmp_path):
    with pytest.raises(ModelError, match="has no config.json"):
        inspect_checkpoint(tmp_path)


def test_config_that_is_not_json(tiny_copy):
    (tiny_copy / "config.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"config.json is not valid JSON"):
        inspect_checkpoint(tiny_copy)


def test_a_model_that_is_not_gpt2(tiny_copy):
    _edit_config(tiny_copy, model_type="llama")
    with pytest.raises(ModelError, match="is a llama model, not GPT-2") as caught:
        inspect_checkpoint(tiny_copy)
    assert str(tiny_copy) in str(caught.value)


def test_pickle_only_weights_are_refused_with_why_and_how(tiny_copy):
    (tiny_copy / "model.safetensors").rename(tiny_copy / "pytorch_model.bin")
    with pytest.raises(ModelError) as caught:
        inspect_checkpoint(tiny_copy)
    message = str(caught.value)
    assert "pytorch_model.bin" in message
    assert "pickle" in message
    assert "can run code" in message
    assert "safe_serialization=True" in message


def test_no_weights_at_all(tiny_copy):
    (tiny_copy / "model.safetensors").unlink()
    with pytest.raises(ModelError, match=r"has no weights \(model.safetensors is missing\)"):
        inspect_checkpoint(tiny_copy)


def test_no_tokenizer(tiny_copy):
    for name in ("tokenizer.json", "vocab.json", "merges.txt"):
        (tiny_copy / name).unlink()
    with pytest.raises(ModelError, match="has no tokenizer"):
        inspect_checkpoint(tiny_copy)


def test_vocab_and_merges_alone_are_a_tokenizer(tiny_copy):
    (tiny_copy / "tokenizer.json").unlink()
    assert inspect_checkpoint(tiny_copy).vocab_size > 0


def test_truncated_weights_are_caught(tiny_copy):
    weights = tiny_copy / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"model.safetensors is truncated.*incomplete download"):
        inspect_checkpoint(tiny_copy)


def test_empty_weights_file(tiny_copy):
    (tiny_copy / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelError, match="empty or truncated"):
        inspect_checkpoint(tiny_copy)


def test_garbage_weights_header(tiny_copy):
    (tiny_copy / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00" + b"\xff" * 64)
    with pytest.raises(ModelError, match="corrupt"):
        inspect_checkpoint(tiny_copy)


def test_weights_that_do_not_match_the_config(tiny_copy):
    _edit_config(tiny_copy, n_embd=64, n_head=2)
    with pytest.raises(ModelError, match=r"weight wte.weight has shape .* but config.json implies"):
        inspect_checkpoint(tiny_copy)


def test_weights_missing_a_layer(tiny_copy):
    _edit_config(tiny_copy, n_layer=3)
    with pytest.raises(ModelError, match=r"config.json says n_layer is 3 but the weights hold 2 layers"):
        inspect_checkpoint(tiny_copy)


def test_sharded_safetensors_are_accepted(tiny_copy, tmp_path):
    from safetensors.numpy import load_file, save_file

    tensors = load_file(tiny_copy / "model.safetensors")
    names = sorted(tensors)
    half = len(names) // 2
    shards = {
        "model-00001-of-00002.safetensors": names[:half],
        "model-00002-of-00002.safetensors": names[half:],
    }
    for shard, keys in shards.items():
        save_file({k: tensors[k] for k in keys}, tiny_copy / shard, metadata={"format": "pt"})
    (tiny_copy / "model.safetensors").unlink()
    index = {"weight_map": {k: shard for shard, keys in shards.items() for k in keys}}
    (tiny_copy / "model.safetensors.index.json").write_text(json.dumps(index))
    assert len(inspect_checkpoint(tiny_copy).weight_files) == 2
    shutil.os.remove(tiny_copy / "model-00002-of-00002.safetensors")
    with pytest.raises(ModelError, match="weight shard model-00002-of-00002.safetensors is missing"):
        inspect_checkpoint(tiny_copy)

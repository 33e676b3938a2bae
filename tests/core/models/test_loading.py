"""Finding and loading checkpoints: by folder, by name from the models folder or HF cache, safely."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gpt2_studio import paths
from gpt2_studio.core.errors import ModelError, SettingsError
from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.resolve import resolve_model


def test_load_from_a_folder(tiny_model_dir):
    model = load_model(tiny_model_dir, device="cpu", precision="fp32")
    assert model.device == "cpu"
    assert model.precision == "fp32"
    assert model.n_positions == 128
    assert model.eos_token_id == model.tokenizer.convert_tokens_to_ids("<|endoftext|>")
    assert model.warnings == []


def test_auto_precision_on_cpu_is_int8_when_supported(tiny_model_dir):
    from gpt2_studio.core.runner import int8_supported

    model = load_model(str(tiny_model_dir))
    assert model.device == "cpu"
    assert model.precision == ("int8" if int8_supported() else "fp32")


def test_a_catalog_name_finds_the_models_folder(tiny_model_dir):
    target = paths.models_dir() / "gpt2"
    shutil.copytree(tiny_model_dir, target)
    assert resolve_model("gpt2") == ("gpt2", target)
    assert resolve_model("openai-community/gpt2") == ("gpt2", target)


def test_a_repo_id_finds_the_hugging_face_cache(tiny_model_dir, tmp_path):
    # The layout huggingface_hub writes: models--owner--name/{refs/main, snapshots/<commit>/...}.
    repo = tmp_path / "hf-home" / "hub" / "models--someone--gpt2-finetune"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(tiny_model_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    name, folder = resolve_model("someone/gpt2-finetune")
    assert name == "someone/gpt2-finetune"
    assert folder == repo / "snapshots" / commit
    assert load_model("someone/gpt2-finetune", precision="fp32").name == "someone/gpt2-finetune"


def test_a_model_that_is_nowhere_says_where_it_looked():
    with pytest.raises(ModelError, match=r"'gpt2-xl' is neither a folder nor a model downloaded") as caught:
        resolve_model("gpt2-xl")
    assert str(paths.models_dir()) in str(caught.value)


def test_a_missing_path_is_reported_as_a_missing_folder(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(str(tmp_path / "models" / "mine"))


def test_cuda_when_there_is_none_is_a_clear_error(tiny_model_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(SettingsError, match="sees no CUDA GPU"):
        load_model(tiny_model_dir, device="cuda")


@pytest.mark.parametrize(
    ("device", "precision", "message"),
    [
        ("cpu", "fp16", "fp16 is for CUDA"),
        ("cpu", "fp64", "precision must be one of"),
        ("tpu", "auto", "device must be"),
    ],
)
def test_impossible_device_settings(tiny_model_dir, device, precision, message):
    with pytest.raises(SettingsError, match=message):
        load_model(tiny_model_dir, device=device, precision=precision)


def test_a_corrupt_tokenizer_is_reported(tiny_copy):
    (tiny_copy / "tokenizer.json").write_text("{broken")
    (tiny_copy / "vocab.json").unlink()
    with pytest.raises(ModelError, match="tokenizer.json is not valid JSON"):
        load_model(tiny_copy)


def test_a_tokenizer_larger_than_the_model_is_refused(tiny_copy):
    config = json.loads((tiny_copy / "config.json").read_text())
    vocab = config["vocab_size"]
    from safetensors.numpy import load_file, save_file

    tensors = load_file(tiny_copy / "model.safetensors")
    tensors["transformer.wte.weight"] = tensors["transformer.wte.weight"][: vocab - 10]
    tensors.pop("lm_head.weight", None)
    save_file(tensors, tiny_copy / "model.safetensors", metadata={"format": "pt"})
    config["vocab_size"] = vocab - 10
    (tiny_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match=f"the tokenizer has {vocab} tokens but the model only {vocab - 10}"):
        load_model(tiny_copy)


def test_remote_code_in_a_folder_is_never_run(tiny_copy, tmp_path):
    marker = tmp_path / "code-ran"
    (tiny_copy / "evil_model.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")
    config = json.loads((tiny_copy / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "evil_model.Evil", "AutoConfig": "evil_model.EvilConfig"}
    (tiny_copy / "config.json").write_text(json.dumps(config))
    model = load_model(tiny_copy, precision="fp32")
    assert model.runner is not None
    assert not marker.exists()


def test_pickle_weights_beside_safetensors_are_ignored(tiny_copy, tmp_path):
    # A pickle that would run code if unpickled: loading must take the safetensors file instead.
    import pickle

    marker = tmp_path / "unpickled"

    class Boom:
        def __reduce__(self):
            return (Path.write_text, (marker, "pwned"))

    (tiny_copy / "pytorch_model.bin").write_bytes(pickle.dumps(Boom()))
    load_model(tiny_copy, precision="fp32")
    assert not marker.exists()

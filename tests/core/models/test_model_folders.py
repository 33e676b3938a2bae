"""Hostile or damaged model folders: refused at validation, in milliseconds, with one sentence.

Each case is a real folder on disk (the tiny checkpoint, then damaged) and goes through the public entry
points: `inspect_checkpoint` (what the Models dialog and imports use) and `load_model` (what the CLI and
the editor use), so nothing reaches transformers that could make it raise or allocate without bound.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import sys
import time
from pathlib import Path

import pytest

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.models.checkpoint import ACTIVATIONS, SIZE_LIMITS, inspect_checkpoint
from gpt2_studio.core.models.loading import load_model

BAD_SIZES = [10**9, -1, 0, 1.5, "12", True, None, [12]]


def _edit_config(folder: Path, **changes) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def _rewrite_header(path: Path, edit) -> None:
    """Change a safetensors file's JSON header in place, keeping its data section."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    edit(header)
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + length :])


def _refused(folder: Path, pattern: str) -> str:
    """Validation and loading both refuse folder with a message matching pattern, in well under 2 s."""
    started = time.monotonic()
    with pytest.raises(ModelError, match=pattern) as caught:
        inspect_checkpoint(folder)
    assert time.monotonic() - started < 2.0
    with pytest.raises(ModelError, match=pattern):
        load_model(folder, device="cpu", precision="fp32")
    message = str(caught.value)
    assert "\n" not in message.strip()
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize("key", sorted(SIZE_LIMITS))
@pytest.mark.parametrize("value", BAD_SIZES, ids=repr)
def test_every_size_field_with_an_absurd_or_wrong_value_is_refused_at_once(tiny_copy, key, value):
    if value is None and key in ("n_ctx", "n_inner"):
        pytest.skip("null means 'derive it' for n_ctx and n_inner")
    _edit_config(tiny_copy, **{key: value})
    message = _refused(tiny_copy, rf"config.json has an invalid {key} ")
    assert "whole number from 1 to" in message


@pytest.mark.parametrize(
    ("key", "value", "pattern"),
    [
        ("n_layer", 1000, "says n_layer is 1,000 but the weights hold 2 layers"),
        ("n_positions", 1_000_000, r"weight wpe.weight has shape \(128, 32\) but config.json implies"),
        ("vocab_size", 3_999_999, r"weight wte.weight has shape .* but config.json implies"),
        ("n_embd", 65_536, r"weight wte.weight has shape .* but config.json implies"),
        ("n_inner", 262_144, r"weight h.0.mlp.c_fc.weight has shape .* but config.json implies"),
    ],
)
def test_large_sizes_are_checked_against_the_weights_before_anything_per_layer(
    tiny_copy, key, value, pattern
):
    _edit_config(tiny_copy, **{key: value})
    _refused(tiny_copy, pattern)


def test_a_billion_layers_is_refused_in_milliseconds(tiny_copy):
    _edit_config(tiny_copy, n_layer=1_000_000_000)
    started = time.monotonic()
    with pytest.raises(ModelError, match="invalid n_layer"):
        inspect_checkpoint(tiny_copy)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("config.json", b"[" * 100_000 + b"]" * 100_000, "config.json is nested more than"),
        ("config.json", b"{" + b" " * 2_000_000 + b"}", "config.json is .* bytes, more than"),
        ("config.json", b"[1, 2, 3]", "config.json is not a JSON object"),
        ("config.json", b'{"n_layer": "\xff"}', "config.json is not UTF-8"),
        ("config.json", b"\xff\xfe{}", "config.json is not valid JSON"),  # a UTF-16 mark, then no JSON
        ("config.json", b"\xff\xfe{\x00", "config.json is not valid JSON"),
        ("tokenizer.json", b"[" * 100_000 + b"]" * 100_000, "tokenizer.json is nested more than"),
        ("tokenizer_config.json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "is nested more than"),
        ("generation_config.json", b"[" * 100_000 + b"]" * 100_000, "generation_config.json is nested"),
        ("special_tokens_map.json", b'"just a string"', "special_tokens_map.json is not a JSON object"),
        ("vocab.json", b"[" * 100_000 + b"]" * 100_000, "vocab.json is nested more than"),
    ],
)
def test_hostile_json_files_get_one_sentence(tiny_copy, name, content, pattern):
    (tiny_copy / name).write_bytes(content)
    if name == "vocab.json":
        (tiny_copy / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=pattern) as caught:
        load_model(tiny_copy, device="cpu", precision="fp32")
    assert str(caught.value).startswith(f"Model folder {tiny_copy}: ")


def test_a_deeply_nested_safetensors_header(tiny_copy):
    raw = b"[" * 100_000 + b"]" * 100_000
    (tiny_copy / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw)
    _refused(tiny_copy, r"model.safetensors is corrupt \(its header is nested more than")


def test_a_deeply_nested_or_odd_shard_index(tiny_copy):
    (tiny_copy / "model.safetensors").rename(tiny_copy / "model-00001-of-00001.safetensors")
    index = tiny_copy / "model.safetensors.index.json"
    index.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    _refused(tiny_copy, "model.safetensors.index.json is nested more than")
    index.write_text(json.dumps({"weight_map": ["model-00001-of-00001.safetensors"]}))
    _refused(tiny_copy, "has no weight_map of tensor names to file names")
    index.write_text(json.dumps({"weight_map": {"wte.weight": 5}}))
    _refused(tiny_copy, "has no weight_map")
    index.write_text(json.dumps({"weight_map": {}}))
    _refused(tiny_copy, "lists no weight files")


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"activation_function": "swishy"}, r"unknown activation_function \('swishy'\)"),
        ({"activation_function": 3}, "unknown activation_function"),
        ({"layer_norm_epsilon": "1e-5"}, r"invalid layer_norm_epsilon \('1e-5'\)"),
        ({"layer_norm_epsilon": -1}, "invalid layer_norm_epsilon"),
        ({"layer_norm_epsilon": float("nan")}, "invalid layer_norm_epsilon"),
        ({"resid_pdrop": "0.1"}, "invalid resid_pdrop"),
        ({"attn_pdrop": 2}, "invalid attn_pdrop"),
        ({"scale_attn_weights": "yes"}, "invalid scale_attn_weights"),
        ({"eos_token_id": 10**9}, "invalid eos_token_id"),
        ({"bos_token_id": "x"}, "invalid bos_token_id"),
        ({"initializer_range": "wide"}, "invalid initializer_range"),
        ({"model_type": ["gpt2"]}, "config.json names no model_type, so it is not a GPT-2 model"),
    ],
)
def test_config_values_transformers_would_reject_late_are_refused_early(tiny_copy, changes, pattern):
    _edit_config(tiny_copy, **changes)
    _refused(tiny_copy, pattern)


def test_every_accepted_activation_is_one_transformers_has():
    from transformers.activations import ACT2FN

    assert set(ACTIVATIONS) <= set(ACT2FN)


def _first_two(header: dict) -> tuple[str, str]:
    names = sorted((n for n in header if n != "__metadata__"), key=lambda n: header[n]["data_offsets"])
    return names[0], names[1]


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda e, _: e.update(data_offsets=[-4, e["data_offsets"][1]]), "invalid data_offsets"),
        (lambda e, _: e.update(data_offsets=list(reversed(e["data_offsets"]))), "invalid data_offsets"),
        (lambda e, _: e.update(data_offsets=[str(o) for o in e["data_offsets"]]), "invalid data_offsets"),
        (lambda e, _: e.update(data_offsets=[float(o) for o in e["data_offsets"]]), "invalid data_offsets"),
        (lambda e, _: e.update(data_offsets=[0]), "invalid data_offsets"),
        (lambda e, _: e.update(data_offsets=None), "invalid data_offsets"),
        (lambda e, _: e.update(shape=["2", "3"]), "invalid shape"),
        (lambda e, _: e.update(shape=[-1]), "invalid shape"),
        (lambda e, _: e.update(dtype="F128"), "unknown element type"),
        (lambda e, _: e.clear() or e.update(x=1), "invalid shape|unknown element type"),
        (lambda e, other: e.update(data_offsets=other["data_offsets"]), "overlap"),
    ],
)
def test_bad_tensor_table_entries_are_refused(tiny_copy, edit, pattern):
    def damage(header: dict) -> None:
        first, second = _first_two(header)
        # Same size in the tiny model (ln weights and biases), so only the overlap is wrong.
        same = [
            n
            for n in header
            if n not in (first, "__metadata__") and header[n]["shape"] == header[first]["shape"]
        ]
        edit(header[first], header[same[0]] if same else header[second])

    _rewrite_header(tiny_copy / "model.safetensors", damage)
    _refused(tiny_copy, rf"model.safetensors is corrupt: tensors? .*({pattern})")


def test_integer_weights_are_refused(tiny_copy):
    name = "transformer.h.0.attn.c_attn.weight"
    _rewrite_header(tiny_copy / "model.safetensors", lambda h: h[name].update(dtype="I32"))
    _refused(tiny_copy, r"weight h.0.attn.c_attn.weight holds I32 values, not floating-point numbers")


@pytest.mark.parametrize("metadata", [[1], {"format": 5}, "pt"])
def test_header_metadata_must_be_text(tiny_copy, metadata):
    _rewrite_header(tiny_copy / "model.safetensors", lambda h: h.update(__metadata__=metadata))
    _refused(tiny_copy, r"model.safetensors is corrupt \(its __metadata__ must map names to text\)")


def test_a_header_entry_that_is_not_a_table(tiny_copy):
    _rewrite_header(tiny_copy / "model.safetensors", lambda h: h.update({"transformer.wte.weight": 7}))
    _refused(tiny_copy, "entry for tensor transformer.wte.weight is not a table")


@pytest.mark.parametrize("name", ["config.json", "model.safetensors", "tokenizer.json", "vocab.json"])
def test_a_symlink_loop_is_called_a_loop_not_missing(tiny_copy, name):
    if name == "vocab.json":
        (tiny_copy / "tokenizer.json").unlink()
    (tiny_copy / name).unlink()
    (tiny_copy / name).symlink_to(tiny_copy / name)
    _refused(tiny_copy, rf"{name} is a symbolic link that loops back on itself")


@pytest.mark.parametrize("name", ["config.json", "model.safetensors", "tokenizer.json", "merges.txt"])
def test_a_named_pipe_is_called_a_pipe_and_never_opened(tiny_copy, name):
    if name == "merges.txt":
        (tiny_copy / "tokenizer.json").unlink()
    (tiny_copy / name).unlink()
    os.mkfifo(tiny_copy / name)  # opening it to read would block for ever
    _refused(tiny_copy, rf"{name} is a named pipe, not a regular file")


def test_a_broken_symlink_is_called_broken(tiny_copy):
    (tiny_copy / "config.json").unlink()
    (tiny_copy / "config.json").symlink_to(tiny_copy / "gone.json")
    _refused(tiny_copy, "config.json is a broken symbolic link")


def test_a_folder_name_that_is_not_utf8_gets_a_printable_sentence(tiny_model_dir, tmp_path):
    folder = tmp_path / os.fsdecode(b"model-\xff\xfe")
    shutil.copytree(tiny_model_dir, folder)
    message = _refused(folder, "its path is not valid UTF-8 text")
    message.encode("utf-8")  # printable: no lone surrogates
    assert "model-\ufffd\ufffd" in message


def test_an_unknown_special_token_is_named_not_reported_as_a_size_mismatch(tiny_copy):
    config = json.loads((tiny_copy / "tokenizer_config.json").read_text())
    config["eos_token"] = "<|the-end|>"
    (tiny_copy / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match=r"name the token '<\|the-end\|>', which is not in the vocabulary"):
        load_model(tiny_copy, device="cpu", precision="fp32")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_weights_are_refused_at_load_naming_the_tensor(tiny_copy, bad):
    from safetensors.torch import load_file, save_file

    path = tiny_copy / "model.safetensors"
    tensors = load_file(path)
    tensors["transformer.h.1.attn.c_attn.weight"][3, 5] = bad
    save_file(tensors, path, metadata={"format": "pt"})
    with pytest.raises(
        ModelError, match=r"weight transformer.h.1.attn.c_attn.weight contains NaN or infinite"
    ):
        load_model(tiny_copy, device="cpu", precision="fp32")


_AS_NOBODY = """
import sys
from gpt2_studio.core.errors import StudioError
from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.store import list_installed
for folder in sys.argv[1:]:
    try:
        load_model(folder, device="cpu", precision="fp32")
        print("LOADED")
    except StudioError as exc:
        print("REFUSED", exc)
print("LISTED", [(m.name, bool(m.problem)) for m in list_installed(include_damaged=True)])
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to switch user")
def test_unreadable_folders_and_files_are_explained_to_a_normal_user(tiny_model_dir):
    import subprocess
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="gpt2-studio-perm-"))
    try:
        base.chmod(0o755)
        home = base / "home"
        models = home / "data" / "models"
        cases = {
            "folder": ".",
            "config": "config.json",
            "weights": "model.safetensors",
            "tokens": "vocab.json",
        }
        for case in (*cases, "readable"):
            shutil.copytree(tiny_model_dir, base / case)
        # Beside tokenizer.json, vocab.json is never read (as transformers): make it the tokenizer in use.
        (base / "tokens" / "tokenizer.json").unlink()
        for path in base.rglob("*"):  # safetensors writes its files for the owner only
            path.chmod(0o755 if path.is_dir() else 0o644)
        for case, name in cases.items():
            (base / case / name).chmod(0o000)
        env = {**os.environ, "GPT2_STUDIO_HOME": str(home), "HOME": str(home), "HF_HOME": str(home / "hf")}
        models.mkdir(parents=True)
        os.symlink(base / "folder", models / "locked")
        for path in [home, *home.rglob("*")]:
            os.lchown(path, 65534, 65534)
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", _AS_NOBODY,
             *(str(base / case) for case in (*cases, "readable"))],
            capture_output=True, text=True, env=env, timeout=300, cwd=Path(__file__).parents[3],
        )  # fmt: skip
    finally:
        for path in [base, *base.rglob("*")]:  # so that root's rmtree can clean up
            if not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Traceback" not in result.stderr
    assert lines[0] == f"REFUSED Model folder {base / 'folder'}: cannot be read (permission denied)."
    assert lines[1].endswith("config.json cannot be read (permission denied).")
    assert lines[2].endswith("model.safetensors cannot be read (permission denied).")
    assert lines[3].endswith("vocab.json cannot be read (permission denied).")
    assert lines[4] == "LOADED"
    assert lines[5] == "LISTED [('locked', True)]"


def test_greedy_on_nan_weights_fails_on_the_command_line_instead_of_printing_nothing(tiny_copy):
    import subprocess

    from safetensors.torch import load_file, save_file

    path = tiny_copy / "model.safetensors"
    tensors = load_file(path)
    tensors["transformer.ln_f.weight"][0] = math.nan
    save_file(tensors, path, metadata={"format": "pt"})
    command = [sys.executable, "-m", "gpt2_studio", "generate", "--model", str(tiny_copy), "--device", "cpu"]
    done = subprocess.run(
        [*command, "--prompt", "Once upon a time", "--temperature", "0", "--max-new-tokens", "5"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[3],
    )  # fmt: skip
    assert done.returncode != 0
    assert done.stdout == ""
    assert "weight transformer.ln_f.weight contains NaN or infinite values" in done.stderr
    assert "Traceback" not in done.stderr


def test_weights_too_large_for_fp16_are_named_with_the_way_out(reference_model, tiny_model_dir):
    import copy

    import torch

    from gpt2_studio.core.models.loading import check_finite

    model = copy.deepcopy(reference_model)
    with torch.no_grad():
        model.transformer.h[0].mlp.c_fc.weight[0, 0] = 1e6  # fine in fp32, infinite in fp16
    check_finite(model, tiny_model_dir, "fp32")
    with pytest.raises(
        ModelError, match=r"h.0.mlp.c_fc.weight contains NaN or infinite values in fp16 .*fp32"
    ):
        check_finite(model.half(), tiny_model_dir, "fp16")

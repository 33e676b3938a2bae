"""The quantized copy in the cache folder: mapped on the next load, rebuilt when stale or damaged."""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from gpt2_studio import paths
from gpt2_studio.core.models import quantized_cache
from gpt2_studio.core.models.loading import load_model
from gpt2_studio.core.models.store import import_checkpoint, remove_model
from gpt2_studio.core.runner import int8_supported, layers

CACHED = ["bf16", pytest.param("int8", marks=pytest.mark.skipif(not int8_supported(), reason="no int8"))]
IDS = torch.tensor([[5, 17, 99, 3, 250, 8, 41, 7, 300, 12]])


def _logits(model) -> torch.Tensor:
    runner = model.runner
    return runner.forward(IDS, runner.new_cache(1, IDS.shape[1]), start=0, all_rows=True)[0]


def _copies(folder: Path) -> list[Path]:
    cache = quantized_cache.model_cache_folder(folder)
    return sorted(cache.iterdir()) if cache.is_dir() else []


def _mapped(path: Path) -> bool:
    """Whether this process has `path` memory-mapped (Linux)."""
    return str(path) in Path("/proc/self/maps").read_text()


@pytest.mark.parametrize("precision", CACHED)
def test_the_second_load_maps_the_copy_the_first_wrote(tiny_copy, precision):
    first = load_model(tiny_copy, device="cpu", precision=precision)
    (copy,) = _copies(tiny_copy)
    assert copy.name.startswith(f"{precision}-")
    assert copy.suffix == ".safetensors"
    second = load_model(tiny_copy, device="cpu", precision=precision)
    assert torch.equal(_logits(second), _logits(first))
    if Path("/proc/self/maps").exists():
        assert _mapped(copy)
    assert _copies(tiny_copy) == [copy]


def test_fp32_keeps_no_copy(tiny_copy):
    load_model(tiny_copy, device="cpu", precision="fp32")
    assert _copies(tiny_copy) == []


@pytest.mark.parametrize("precision", CACHED)
def test_the_copy_is_a_plain_safetensors_file_with_aligned_tensors(tiny_copy, precision):
    load_model(tiny_copy, device="cpu", precision=precision)
    (copy,) = _copies(tiny_copy)
    with safe_open(str(copy), framework="pt") as opened:
        assert "wte.weight" in list(opened.keys())
    with copy.open("rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    header.pop("__metadata__")
    assert all((8 + length + entry["data_offsets"][0]) % 64 == 0 for entry in header.values())


@pytest.mark.parametrize("precision", CACHED)
def test_a_changed_checkpoint_is_quantized_again_and_the_stale_copy_deleted(tiny_copy, precision):
    old = load_model(tiny_copy, device="cpu", precision=precision)
    (stale,) = _copies(tiny_copy)
    path = tiny_copy / "model.safetensors"
    tensors = load_file(path)
    tensors["transformer.h.0.mlp.c_fc.weight"] *= 2  # same size, same header: only the bytes differ
    save_file(tensors, path, metadata={"format": "pt"})
    new = load_model(tiny_copy, device="cpu", precision=precision)
    assert not torch.equal(_logits(new), _logits(old))
    shutil.rmtree(quantized_cache.model_cache_folder(tiny_copy))
    assert torch.equal(_logits(load_model(tiny_copy, device="cpu", precision=precision)), _logits(new))
    assert stale not in _copies(tiny_copy)


def test_a_new_runner_layout_rebuilds_the_copy(tiny_copy, monkeypatch):
    load_model(tiny_copy, device="cpu", precision="bf16")
    (old,) = _copies(tiny_copy)
    monkeypatch.setattr(layers, "LAYOUT_VERSION", layers.LAYOUT_VERSION + 1)
    load_model(tiny_copy, device="cpu", precision="bf16")
    (new,) = _copies(tiny_copy)
    assert new != old
    assert f"-l{layers.LAYOUT_VERSION}-" in new.name


def test_copies_in_two_precisions_live_side_by_side(tiny_copy):
    if not int8_supported():
        pytest.skip("no int8 kernels")
    load_model(tiny_copy, device="cpu", precision="bf16")
    load_model(tiny_copy, device="cpu", precision="int8")
    assert [p.name.split("-")[0] for p in _copies(tiny_copy)] == ["bf16", "int8"]


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size - 100)


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00" * 64)


def _edit(path: Path, change, aligned: bool = True) -> None:
    tensors = load_file(path)
    change(tensors)
    path.unlink()
    if aligned:  # as the app writes it, so that only the damage differs
        quantized_cache._write_safetensors(path, tensors, {"format": "pt"})
    else:
        save_file(tensors, path)


DAMAGE = {
    "cut short": _truncate,
    "garbage": _garbage,
    "empty": lambda path: path.write_bytes(b""),
    "a NaN in a layer norm": lambda p: _edit(p, lambda t: t["h.1.ln2.weight"].__setitem__(0, float("nan"))),
    "a tensor missing": lambda p: _edit(p, lambda t: t.pop("h.0.ln1.bias")),
    "a tensor too many": lambda p: _edit(p, lambda t: t.update({"h.9.ln1.bias": t["h.0.ln1.bias"].clone()})),
    "a layer norm of the wrong width": lambda p: _edit(
        p, lambda t: t.update({"h.0.ln1.bias": torch.ones(3)})
    ),
    "a matrix of the wrong shape": lambda p: _edit(
        p, lambda t: t.update({"h.0.fc.weight": t["h.0.fc.weight"][:, :-1].contiguous()})
    ),
    "a folder": lambda path: (path.unlink(), path.mkdir()),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("precision", CACHED)
def test_a_damaged_copy_is_rebuilt_and_the_model_loads_the_same(tiny_copy, precision, damage, caplog):
    expected = _logits(load_model(tiny_copy, device="cpu", precision=precision))
    (copy,) = _copies(tiny_copy)
    DAMAGE[damage](copy)
    with caplog.at_level(logging.WARNING):
        model = load_model(tiny_copy, device="cpu", precision=precision)
    assert torch.equal(_logits(model), expected)
    assert model.warnings == []  # a disposable copy is nothing to tell the user about
    if damage != "a folder":
        (rebuilt,) = _copies(tiny_copy)
        assert quantized_cache.load_cached(quantized_cache_info(tiny_copy), precision) is not None
        assert rebuilt == copy


@pytest.mark.parametrize("precision", CACHED)
def test_a_copy_written_by_another_tool_with_unaligned_tensors_still_loads(tiny_copy, precision):
    expected = _logits(load_model(tiny_copy, device="cpu", precision=precision))
    (copy,) = _copies(tiny_copy)
    tensors = load_file(copy)
    tensors["__pad.odd"] = torch.zeros(1, dtype=torch.float64)  # shifts every other tensor by 8 bytes
    copy.unlink()
    save_file(tensors, copy)  # safetensors' own writer aligns to the element size only
    assert torch.equal(_logits(load_model(tiny_copy, device="cpu", precision=precision)), expected)


def quantized_cache_info(folder: Path):
    """The checked checkpoint of a folder."""
    from gpt2_studio.core.models.checkpoint import inspect_checkpoint

    return inspect_checkpoint(folder)


def test_a_cache_folder_that_cannot_be_written_only_costs_time(tiny_copy, caplog):
    paths.cache_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.cache_dir().write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING):
        model = load_model(tiny_copy, device="cpu", precision="bf16")
    again = load_model(tiny_copy, device="cpu", precision="bf16")
    assert torch.equal(_logits(again), _logits(model))
    assert "Could not keep a quantized copy" in caplog.text


def test_removing_a_model_removes_its_copies_and_only_its(tiny_model_dir, tmp_path):
    import_checkpoint(tiny_model_dir, "first")
    import_checkpoint(tiny_model_dir, "second")
    for name in ("first", "second"):
        load_model(name, device="cpu", precision="bf16")
    first, second = (paths.models_dir() / name for name in ("first", "second"))
    assert _copies(first)
    assert _copies(second)
    remove_model("first")
    assert not quantized_cache.model_cache_folder(first).exists()
    assert len(_copies(second)) == 1


def test_a_copy_left_half_written_by_a_killed_process_is_deleted_later(tiny_copy):
    import os
    import time

    folder = quantized_cache.model_cache_folder(tiny_copy)
    folder.mkdir(parents=True)
    old, recent = folder / ".bf16-old.safetensors.999.tmp", folder / ".bf16-new.safetensors.998.tmp"
    for partial in (old, recent):
        partial.write_bytes(b"half a copy")
    hours_ago = time.time() - 2 * quantized_cache.STALE_PARTIAL_SECONDS
    os.utime(old, (hours_ago, hours_ago))
    load_model(tiny_copy, device="cpu", precision="bf16")
    assert not old.exists()
    assert recent.exists()  # perhaps another process writing right now


@pytest.mark.parametrize("precision", CACHED)
def test_a_checkpoint_rewritten_in_place_with_its_old_mtime_is_quantized_again(tiny_copy, precision):
    """Same inode, size, header and mtime (written in place, then touch -r / rsync -t): only ctime moves."""
    old = load_model(tiny_copy, device="cpu", precision=precision)
    path = tiny_copy / "model.safetensors"
    before = path.stat()
    tensors = load_file(path)
    tensors["transformer.h.0.mlp.c_fc.weight"] *= 2
    other = tiny_copy / "other.safetensors"
    save_file(tensors, other, metadata={"format": "pt"})
    with path.open("r+b") as handle:  # in place: the inode stays
        handle.write(other.read_bytes())
    other.unlink()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    same = ("st_ino", "st_size", "st_mtime_ns")
    assert [getattr(after, key) for key in same] == [getattr(before, key) for key in same]
    new = load_model(tiny_copy, device="cpu", precision=precision)
    assert not torch.equal(_logits(new), _logits(old))
    shutil.rmtree(quantized_cache.model_cache_folder(tiny_copy))
    assert torch.equal(_logits(load_model(tiny_copy, device="cpu", precision=precision)), _logits(new))


def test_the_copy_of_a_model_folder_renamed_outside_the_app_is_removed_by_the_next_copy(tiny_copy, tmp_path):
    load_model(tiny_copy, device="cpu", precision="bf16")
    old = quantized_cache.model_cache_folder(tiny_copy)
    assert old.is_dir()
    moved = tiny_copy.rename(tmp_path / "renamed")
    load_model(moved, device="cpu", precision="bf16")
    assert not old.exists()
    assert len(_copies(moved)) == 1
    other = shutil.copytree(moved, tmp_path / "other")  # a model folder that still exists keeps its copy
    load_model(other, device="cpu", precision="bf16")
    assert len(_copies(moved)) == 1
    assert len(_copies(other)) == 1
    quantized_cache.remove_cached(other)
    assert not quantized_cache._source_file(quantized_cache.model_cache_folder(other)).exists()

"""Neighbours of issue 10's download examples: other statuses, other resume faults, other ids.

Real HTTP on 127.0.0.1 (tests/hub_stand_in.py); each failure is one sentence, and what can be kept is.
"""

from __future__ import annotations

import time

import pytest

from gpt2_studio.core.models.downloads import DownloadError, download_model, plan_download
from gpt2_studio.core.models.store import PARTIAL_DIR, installed_folder, models_root
from tests.core.models.conftest import REPO

WEIGHTS = "model.safetensors"


def _one_sentence(message: str) -> None:
    assert "\n" not in message
    assert "Traceback" not in message
    assert "force_download" not in message
    assert message.endswith(".")


def _partial(name: str = WEIGHTS):
    return models_root() / PARTIAL_DIR / "gpt2" / (name + ".incomplete")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "openai-community/gpt2 needs permission"),
        (416, "The hub answered 416 Requested Range Not Satisfiable for model.safetensors"),
        (502, "The hub answered 502 Bad Gateway for model.safetensors"),
        (503, "The hub answered 503 Service Unavailable for model.safetensors"),
    ],
)
def test_every_error_status_on_a_fresh_file_is_one_sentence(hub, status, expected):
    plan = plan_download("gpt2")
    hub.fail(f"/{WEIGHTS}", status, method="GET", times=10)
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_model(plan)
    assert time.monotonic() - started < 30
    assert str(caught.value).startswith(expected)
    _one_sentence(str(caught.value))
    assert installed_folder("gpt2") is None


def test_a_partial_file_larger_than_the_remote_file_starts_over(hub):
    plan = plan_download("gpt2")
    _partial().parent.mkdir(parents=True)
    (_partial().parent / ".revision").write_text(plan.revision, encoding="utf-8")
    _partial().write_bytes(b"x" * (hub.files(REPO)[WEIGHTS].size + 10))
    folder = download_model(plan)
    assert (folder / WEIGHTS).read_bytes() == hub.files(REPO)[WEIGHTS].data
    assert hub.range_requests(WEIGHTS) == [""]


def test_a_partial_file_of_other_bytes_is_fetched_again_in_the_same_download(hub):
    """The saved part came from another file (the remote changed): the checksum fails, then a fresh try."""
    plan = plan_download("gpt2")
    _partial().parent.mkdir(parents=True)
    (_partial().parent / ".revision").write_text(plan.revision, encoding="utf-8")
    _partial().write_bytes(b"\xee" * 5000)
    folder = download_model(plan)
    assert (folder / WEIGHTS).read_bytes() == hub.files(REPO)[WEIGHTS].data
    assert hub.range_requests(WEIGHTS) == ["bytes=5000-", ""]


def test_a_saved_part_with_a_server_that_ignores_range_gives_the_right_file(hub):
    plan = plan_download("gpt2")
    data = hub.files(REPO)[WEIGHTS].data
    _partial().parent.mkdir(parents=True)
    (_partial().parent / ".revision").write_text(plan.revision, encoding="utf-8")
    _partial().write_bytes(data[:3000])
    hub.ignore_range(WEIGHTS)
    folder = download_model(plan)
    assert (folder / WEIGHTS).read_bytes() == data


def test_a_redirect_loop_is_one_sentence_and_quick(hub):
    plan = plan_download("gpt2")
    hub.answer_raw(
        f"/{WEIGHTS}", b"", status=302, headers={"Location": f"{hub.url}/{REPO}/resolve/main/{WEIGHTS}"}
    )
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_model(plan)
    assert time.monotonic() - started < 30
    assert "redirect" in str(caught.value)
    _one_sentence(str(caught.value))


def test_retry_after_is_passed_on_to_the_user(hub):
    plan = plan_download("gpt2")
    hub.answer_raw(f"/{WEIGHTS}", b"{}", status=503, headers={"Retry-After": "120"})
    with pytest.raises(DownloadError) as caught:
        download_model(plan)
    assert str(caught.value).startswith("The hub answered 503 Service Unavailable for model.safetensors")
    _one_sentence(str(caught.value))


def test_an_empty_token_is_no_token(hub):
    folder = download_model(plan_download("gpt2", token=""), token="")
    assert folder == installed_folder("gpt2")


@pytest.mark.parametrize("token", ["hf_abc def", "hf_é", "hf_\x00"])
def test_a_token_no_header_can_carry_is_one_sentence(hub, token):
    with pytest.raises(DownloadError, match="The access token holds spaces") as caught:
        plan_download("gpt2", token=token)
    _one_sentence(str(caught.value))


def _set_weight(folder, name, index, value, dtype=None):
    from safetensors.torch import load_file, save_file

    tensors = load_file(folder / WEIGHTS)
    if dtype is not None:
        tensors = {key: tensor.to(dtype) for key, tensor in tensors.items()}
    tensors[name].view(-1)[index] = value
    save_file(tensors, folder / WEIGHTS, metadata={"format": "pt"})


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_finite_weights_too_large_to_compute_with_are_refused_at_load(tiny_copy, precision):
    from gpt2_studio.core.errors import ModelError
    from gpt2_studio.core.models.loading import load_model
    from gpt2_studio.core.runner import int8_supported

    if precision == "int8" and not int8_supported():
        pytest.skip("no int8 kernels in this torch")
    _set_weight(tiny_copy, "transformer.h.0.mlp.c_fc.weight", 0, 3e38)
    with pytest.raises(ModelError, match="the model's output is NaN or infinite") as caught:
        load_model(tiny_copy, device="cpu", precision=precision)
    _one_sentence(str(caught.value))


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_bf16_weights_are_refused_at_load(tiny_copy, value):
    import torch

    from gpt2_studio.core.errors import ModelError
    from gpt2_studio.core.models.loading import load_model

    _set_weight(tiny_copy, "transformer.h.1.attn.c_proj.weight", 3, value, torch.bfloat16)
    with pytest.raises(ModelError, match=r"h\.1\.attn\.c_proj\.weight contains NaN or infinite values"):
        load_model(tiny_copy, device="cpu", precision="fp32")


def test_a_model_too_large_to_compute_with_is_one_line_on_the_command_line(tiny_copy):
    from tests.cli_children import assert_one_line_error, generate_args, run_child

    _set_weight(tiny_copy, "transformer.h.0.mlp.c_fc.weight", 0, 3e38)
    done = run_child(generate_args(tiny_copy, "--prompt", "a", "--temperature", "0"))
    assert_one_line_error(done, 1, "the model's output is NaN or infinite")
    assert done.stdout == b""


@pytest.mark.parametrize("leftover", ["binary-marker", "folder-marker", "file-instead-of-folder", "link"])
def test_whatever_a_crash_left_in_the_partial_folder_does_not_stop_the_next_download(hub, tmp_path, leftover):
    plan = plan_download("gpt2")
    staging = models_root() / PARTIAL_DIR / "gpt2"
    staging.parent.mkdir(parents=True)
    if leftover == "file-instead-of-folder":
        staging.write_bytes(b"\xff\xfe junk")
    elif leftover == "link":
        (tmp_path / "elsewhere").mkdir()
        staging.symlink_to(tmp_path / "elsewhere")
    else:
        staging.mkdir()
        marker = staging / ".revision"
        marker.mkdir() if leftover == "folder-marker" else marker.write_bytes(b"\xff\xfe\x00")
    folder = download_model(plan)
    assert (folder / WEIGHTS).read_bytes() == hub.files(REPO)[WEIGHTS].data
    assert not (tmp_path / "elsewhere").exists() or list((tmp_path / "elsewhere").iterdir()) == []


def test_load_model_takes_a_folder_as_bytes_or_any_path_object(tiny_model_dir):
    import os

    from gpt2_studio.core.models.resolve import resolve_model

    class Where:
        def __fspath__(self) -> str:
            return str(tiny_model_dir)

    assert resolve_model(os.fsencode(tiny_model_dir))[1] == tiny_model_dir
    assert resolve_model(Where())[1] == tiny_model_dir


@pytest.mark.parametrize("ref", [None, 123, ["gpt2"]])
def test_load_model_with_something_that_is_no_model_says_so(ref):
    from gpt2_studio.core.models.loading import load_model

    with pytest.raises(TypeError, match="the model must be a folder path or a model name"):
        load_model(ref)


_ESCAPED_QUOTES = b'{"a": "' + b'\\"' * 500_000  # an unterminated string of escaped quotes: 1 MB


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("config.json", _ESCAPED_QUOTES[: 1024 * 1024 - 8]),
        ("tokenizer.json", _ESCAPED_QUOTES * 15),
        ("tokenizer.json", b'"' * (16 * 1024 * 1024)),
        ("tokenizer.json", b"[]" * (8 * 1024 * 1024)),
        ("tokenizer_config.json", b'["' + b'\\"' * 1_000_000),
    ],
)
def test_json_that_is_slow_to_scan_is_refused_quickly(tiny_copy, name, body):
    """Each quote of `"\\"\\"…` used to rescan the rest of the file: minutes for 100 KB."""
    from gpt2_studio.core.errors import ModelError
    from gpt2_studio.core.models.loading import load_model

    (tiny_copy / name).write_bytes(body)
    started = time.monotonic()
    with pytest.raises(ModelError, match=f"{name} is not valid JSON") as caught:
        load_model(tiny_copy, device="cpu", precision="fp32")
    assert time.monotonic() - started < 20
    _one_sentence(str(caught.value))


def test_a_depth_bomb_behind_strings_full_of_brackets_is_still_found():
    from gpt2_studio.core.jsonio import JsonFileError, loads_bounded

    assert loads_bounded(b'["[[[[", {"a": "]]]}\\"["}]', "x", max_depth=2) == ["[[[[", {"a": ']]]}"['}]
    with pytest.raises(JsonFileError, match="nested more than 2 levels"):
        loads_bounded(b'["\\\\", [["]"]]]', "x", max_depth=2)
    with pytest.raises(JsonFileError, match="nested more than 64 levels"):
        loads_bounded(b'"\\"\\"", ' + b"[" * 65, "x")
    assert loads_bounded(b"[" * 64 + b"]" * 64, "x") is not None


def test_a_preset_file_that_is_slow_to_scan_does_not_hold_up_start_up():
    from gpt2_studio.core.presets.storage import load_presets, user_presets_dir

    folder = user_presets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bomb.json").write_bytes(b'{"name": "' + b'\\"' * 1_000_000)
    started = time.monotonic()
    presets, problems = load_presets()
    assert time.monotonic() - started < 20
    assert presets  # the built-in ones
    assert any("bomb.json" in problem for problem in problems)


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_an_unused_merges_txt_that_is_a_bad_link_does_not_stop_loading(tiny_copy, kind):
    """tokenizer.json is what the tokenizer reads; without it the folder check names the link's problem."""
    from gpt2_studio.core.errors import ModelError
    from gpt2_studio.core.models.loading import load_model

    merges = tiny_copy / "merges.txt"
    merges.unlink()
    merges.symlink_to(tiny_copy / "nowhere" if kind == "dangling" else merges)
    assert load_model(tiny_copy, device="cpu", precision="fp32").tokenizer is not None
    (tiny_copy / "tokenizer.json").unlink()
    problem = "is a broken symbolic link" if kind == "dangling" else "loops back on itself"
    with pytest.raises(ModelError, match=f"merges.txt .*{problem}"):
        load_model(tiny_copy, device="cpu", precision="fp32")

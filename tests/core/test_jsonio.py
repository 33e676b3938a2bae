"""Every JSON the app reads is parsed with bounded size and depth and answered in one sentence."""

from __future__ import annotations

import os
import time

import pytest

from gpt2_studio.core.jsonio import JsonFileError, loads_bounded, read_json_file


def test_plain_json_with_and_without_bom() -> None:
    assert loads_bounded(b'{"a": [1, 2, {"b": "x"}]}', "t") == {"a": [1, 2, {"b": "x"}]}
    assert loads_bounded(b'\xef\xbb\xbf{"a": 1}', "t") == {"a": 1}


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    assert loads_bounded('{"a": "' + "[" * 500 + '\\"{"}', "t") == {"a": "[" * 500 + '"{'}


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deep_nesting_is_one_sentence_fast(depth: int) -> None:
    start = time.perf_counter()
    with pytest.raises(JsonFileError, match="The preset x is nested more than 64 levels deep"):
        loads_bounded("[" * depth + "]" * depth, "The preset x")
    assert time.perf_counter() - start < 2.0


def test_size_limit_invalid_json_and_bad_utf8() -> None:
    with pytest.raises(JsonFileError, match="more than the 10 allowed"):
        loads_bounded(b"[" + b"1," * 10 + b"1]", "t", max_bytes=10)
    with pytest.raises(JsonFileError, match=r"not valid JSON: .* line 1"):
        loads_bounded(b"{nope", "t")
    with pytest.raises(JsonFileError, match="not UTF-8"):
        loads_bounded(b'{"a": "\xff"}', "t")


def test_files_that_are_not_regular_or_missing(tmp_path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(JsonFileError, match="not a regular file"):
        read_json_file(fifo)
    with pytest.raises(JsonFileError, match="cannot be read"):
        read_json_file(tmp_path / "missing.json")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 100 + b"1")
    with pytest.raises(JsonFileError, match="more than the 50 allowed"):
        read_json_file(big, max_bytes=50)

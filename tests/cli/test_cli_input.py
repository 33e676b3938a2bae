"""The command line's text input: standard input and arguments decoded like the editor opens a file.

Also what it says about models that are not installed and prompts that were shortened.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpt2_studio.cli.main import run_cli
from tests.cli_children import assert_one_line_error, child_env, generate_args, needs_posix, run_child

# -- text in: standard input, arguments ---------------------------------------------------------------


def stdin_of(data: bytes) -> io.TextIOWrapper:
    """A text stream over bytes, as sys.stdin is."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def json_run(args: list[str], data: bytes) -> dict:
    out = io.StringIO()
    assert run_cli([*args, "--json"], stdout=out, stdin=stdin_of(data)) == 0
    return json.loads(out.getvalue())


def test_a_byte_order_mark_on_standard_input_is_not_part_of_the_prompt(tiny_model_dir):
    done = run_child([*generate_args(tiny_model_dir), "--json"], stdin=b"\xef\xbb\xbfHi")
    assert done.returncode == 0, done.stderr
    plain = run_child([*generate_args(tiny_model_dir), "--json"], stdin=b"Hi")
    assert json.loads(done.stdout)["prompt_tokens"] == json.loads(plain.stdout)["prompt_tokens"] == 2
    assert json.loads(done.stdout)["alternatives"] == json.loads(plain.stdout)["alternatives"]


@pytest.mark.parametrize(
    "codec", ["utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-32", "crlf", "cr"]
)
def test_standard_input_is_decoded_like_the_editor_opens_a_file(tiny_model_dir, codec, tmp_path):
    from gpt2_studio.core.documents.text_files import read_text_file

    text = "Le café → «ouvert».\nSecond line"
    if codec == "utf-16-le-bom":
        data = b"\xff\xfe" + text.encode("utf-16-le")
    elif codec == "utf-16-be-bom":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    elif codec in ("crlf", "cr"):
        data = text.replace("\n", "\r\n" if codec == "crlf" else "\r").encode("utf-8")
    else:
        data = text.encode(codec)
    file = tmp_path / "prompt.txt"
    file.write_bytes(data)
    assert read_text_file(file).text == text  # what the editor would show
    args = generate_args(tiny_model_dir, "--max-new-tokens", "6")
    got, expected = json_run(args, data), json_run(args, text.encode("utf-8"))
    assert (got["prompt_tokens"], got["alternatives"]) == (
        expected["prompt_tokens"],
        expected["alternatives"],
    )


def test_decode_text_accepts_and_refuses_what_the_editor_does(tmp_path):
    from gpt2_studio.core.documents.text_files import DocumentError, read_text_file
    from gpt2_studio.core.documents.text_input import TextInputError, decode_text

    samples = [
        b"plain",
        b"\xef\xbb\xbfbom",
        b"\xff\xfea\x00b\x00",
        b"\xfe\xff\x00a\x00b",
        b"\xff\xfe\x00\x00a\x00\x00\x00",
        b"a\r\nb\rc\n",
        b"caf\xe9",
        b"nul\x00byte",
        b"\xff\xfea",  # a UTF-16 mark, then half a character
        b"\xef\xbb\xbf\xef\xbb\xbftwo marks",
        b"",
    ]
    for index, data in enumerate(samples):
        file = tmp_path / f"{index}.txt"
        file.write_bytes(data)
        try:
            expected = read_text_file(file).text
        except DocumentError:
            with pytest.raises(TextInputError):
                decode_text(data, "standard input")
        else:
            assert decode_text(data, "standard input") == expected, data


@needs_posix
@pytest.mark.parametrize("option", ["--prompt", "--input", "--stop", "--preset"])
def test_invalid_utf8_in_an_argument_is_one_line(tiny_model_dir, option):
    args = [*generate_args(tiny_model_dir), "--prompt", "x", "--preset", "Point of view"]
    args += [option.encode(), b"caf\xe9 \xff"]
    done = run_child(args)
    assert_one_line_error(
        done, 2, f"{option} is not valid UTF-8 text (the first invalid byte is at offset 3)."
    )


@needs_posix
def test_invalid_utf8_on_standard_input_is_one_line_in_the_same_words(tiny_model_dir):
    done = run_child(generate_args(tiny_model_dir), stdin=b"caf\xe9 \xff")
    err = assert_one_line_error(
        done, 2, "standard input is not valid UTF-8 text (the first invalid byte is at offset 3)"
    )
    assert "iconv -f cp1252 -t utf-8" in err
    binary = run_child(generate_args(tiny_model_dir), stdin=b"\x7fELF\x00\x00\x01")
    assert_one_line_error(binary, 2, "it looks like a binary file, not text")


def test_a_byte_order_mark_in_an_argument_is_not_text(tiny_model_dir):
    # `--prompt "$(cat file-with-bom.txt)"` keeps the mark; it is no more part of the prompt than on stdin.
    args = generate_args(tiny_model_dir, "--max-new-tokens", "4")
    out_bom, out_plain = io.StringIO(), io.StringIO()
    assert run_cli([*args, "--json", "--prompt", "\ufeffHi"], stdout=out_bom) == 0
    assert run_cli([*args, "--json", "--prompt", "Hi"], stdout=out_plain) == 0
    assert (
        json.loads(out_bom.getvalue())["prompt_tokens"] == json.loads(out_plain.getvalue())["prompt_tokens"]
    )


def test_standard_input_has_a_size_limit(tiny_model_dir, capsys):
    from gpt2_studio.core.documents.text_input import TextInputError, read_text_stream

    with pytest.raises(TextInputError, match="standard input is too large: the limit is 1 MB"):
        read_text_stream(io.BytesIO(b"a" * (1024 * 1024 + 1)), "standard input", max_bytes=1024 * 1024)
    assert read_text_stream(
        io.BytesIO(b"a" * 1024 * 1024), "standard input", max_bytes=1024 * 1024
    ) == "a" * (1024 * 1024)


@needs_posix
def test_endless_standard_input_is_refused_not_read_forever(tiny_model_dir):
    with open("/dev/zero", "rb") as zeros:
        done = subprocess.run(
            [sys.executable, "-m", "gpt2_studio", *generate_args(tiny_model_dir)],
            stdin=zeros,
            capture_output=True,
            timeout=180,
            env=child_env(),
        )
    assert_one_line_error(done, 2, "standard input is too large: the limit is 64 MB.")


@needs_posix
def test_standard_input_that_cannot_be_read_is_one_line(tiny_model_dir, tmp_path):
    target = tmp_path / "write-only"
    stream = os.open(target, os.O_WRONLY | os.O_CREAT)  # reading it fails with EBADF
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gpt2_studio", *generate_args(tiny_model_dir)],
            stdin=stream,
            capture_output=True,
            timeout=180,
            env=child_env(),
        )
    finally:
        os.close(stream)
    assert_one_line_error(done, 2, "cannot read standard input: bad file descriptor.")


@pytest.mark.skipif(not Path("/proc/self/syscall").exists(), reason="needs Linux /proc")
def test_ctrl_c_while_waiting_for_standard_input_is_quiet(tiny_model_dir):
    child = subprocess.Popen(
        [sys.executable, "-m", "gpt2_studio", *generate_args(tiny_model_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
        # As from a terminal: a suite started in the background (`cmd &` in a script) ignores SIGINT, the
        # child would inherit that, and Python installs no KeyboardInterrupt for an ignored SIGINT.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        # Wait until the child blocks in read(0, …) on its standard input: the prompt is being read.
        while time.monotonic() < deadline:
            try:
                call = Path(f"/proc/{child.pid}/syscall").read_text().split()
            except (OSError, PermissionError):
                call = []
            if call[:2] == ["0", "0x0"]:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130
    assert b"Traceback" not in err


# -- what the messages and the JSON say ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "suggestion"),
    [
        ("gpt2", "gpt2-studio models download gpt2`"),
        ("openai-community/gpt2-medium", "gpt2-studio models download gpt2-medium`"),
        ("someone/my-gpt2", "gpt2-studio models download someone/my-gpt2`"),
    ],
)
def test_a_model_that_is_not_installed_suggests_the_download(model, suggestion, capsys):
    assert run_cli(["generate", "--model", model, "--prompt", "x"], stdout=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"Model {model!r} is not on this computer" in err
    assert suggestion in err


@pytest.mark.parametrize("model", ["./gpt2", "no such model", "a/b/c"])
def test_a_missing_folder_does_not_suggest_a_download(model, capsys):
    assert run_cli(["generate", "--model", model, "--prompt", "x"], stdout=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "models download" not in err


def test_prompt_trimmed_tells_when_a_preset_shortened_the_text(tiny_model_dir):
    args = generate_args(tiny_model_dir, "--preset", "TL;DR", "--max-new-tokens", "4")
    long = json_run(args, ("A sentence about many things. " * 200).encode())
    short = json_run(args, b"A short text.")
    assert long["prompt_trimmed"] is True
    assert short["prompt_trimmed"] is False


def test_prompt_trimmed_without_a_preset(tiny_model_dir):
    args = generate_args(tiny_model_dir, "--max-new-tokens", "4")
    assert json_run(args, ("word " * 400).encode())["prompt_trimmed"] is True
    assert json_run(args, b"word")["prompt_trimmed"] is False


@pytest.mark.parametrize(
    "extra", [["--repetition-penalty", "1e-40"], ["--temperature", "1e-38"], ["--top-p", "1e-45"]]
)
def test_degenerate_sampling_numbers_never_give_a_traceback(tiny_model_dir, extra):
    done = run_child(generate_args(tiny_model_dir, "--prompt", "The fox", "--max-new-tokens", "6", *extra))
    err = done.stderr.decode()
    assert "Traceback" not in err
    if done.returncode != 0:
        assert err.count("\n") == 1, err
        assert err.startswith("gpt2-studio: error: ")

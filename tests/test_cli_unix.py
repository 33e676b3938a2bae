"""The command line behaves like a Unix tool: any console encoding, closed pipes, text input, one-line errors.

Each test runs ``python -m gpt2_studio`` in a child process, the way a shell runs it, with real pipes.
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

from gpt2_studio.cli import EXIT_CLOSED_OUTPUT, run_cli

POSIX = os.name == "posix"
needs_posix = pytest.mark.skipif(not POSIX, reason="POSIX pipes, signals and byte arguments")


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **extra}
    for name, value in extra.items():
        if value == "":
            env.pop(name)
    return env


def run_child(
    args: list, *, stdin: bytes = b"", env: dict[str, str] | None = None, **popen: object
) -> subprocess.CompletedProcess[bytes]:
    """Run the entry point's code path in a child; stdout/stderr as bytes unless redirected."""
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.run(
        [sys.executable, "-m", "gpt2_studio", *args],
        input=stdin,
        timeout=180,
        env=env or child_env(),
        check=False,
        **streams,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[bytes], code: int, text: str = "") -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == code, err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("gpt2-studio"), err
    assert text in err
    return err


def generate_args(model: Path, *more: str) -> list[str]:
    return ["generate", "--model", str(model), "--seed", "3", "--precision", "fp32", *more]


# -- output to consoles that cannot show every character ---------------------------------------------

NARROW = ["cp1252", "ascii", "latin-1"]


@needs_posix
@pytest.mark.parametrize(
    ("encoding", "mode"),
    [
        ("cp1252", []),
        ("ascii", ["--stream"]),
        ("latin-1", ["--num", "2"]),
        ("cp1252", ["--num", "2", "--stream"]),
    ],
)
def test_text_output_to_a_narrow_console_keeps_everything(tiny_model_dir, encoding, mode):
    args = generate_args(tiny_model_dir, "--prompt", "Café → bar", "--max-new-tokens", "24", *mode)
    wide = run_child(args)
    assert wide.returncode == 0, wide.stderr
    text = wide.stdout.decode("utf-8")
    with pytest.raises(UnicodeEncodeError):  # the case under test: the text has what the console lacks
        text.encode(encoding)
    narrow = run_child(args, env=child_env(PYTHONIOENCODING=encoding))
    assert narrow.returncode == 0, narrow.stderr
    assert narrow.stderr == b""
    # Every character is there: as itself where the encoding has it, else as a \\uXXXX escape.
    assert narrow.stdout == text.encode(encoding, "backslashreplace")


@needs_posix
@pytest.mark.parametrize("encoding", NARROW)
def test_json_to_a_narrow_console_stays_valid_json(tiny_model_dir, encoding):
    args = generate_args(tiny_model_dir, "--prompt", "Café → bar", "--num", "2", "--json")
    wide = json.loads(run_child(args).stdout.decode("utf-8"))
    narrow = run_child(args, env=child_env(PYTHONIOENCODING=encoding))
    assert narrow.returncode == 0, narrow.stderr
    narrow.stdout.decode("ascii")  # escaped, so any reader of that encoding gets the same JSON
    data = json.loads(narrow.stdout.decode(encoding))
    assert data["alternatives"] == wide["alternatives"]
    assert any(not a.isascii() for a in data["alternatives"])


@needs_posix
def test_every_command_writes_to_a_cp1252_console(tiny_model_dir, tmp_path):
    env = child_env(PYTHONIOENCODING="cp1252", GPT2_STUDIO_HOME=str(tmp_path / "home"))
    source = tmp_path / "modèle → 2"
    source.mkdir()
    for file in tiny_model_dir.iterdir():
        (source / file.name).write_bytes(file.read_bytes())
    imported = run_child(["models", "import", str(source), "--name", "mine"], env=env)
    assert imported.returncode == 0, imported.stderr
    assert b"Imported mine" in imported.stdout
    listed = run_child(["models", "list"], env=env)
    assert listed.returncode == 0, listed.stderr
    assert "modèle \\u2192 2".encode("cp1252") in listed.stdout
    presets = run_child(["presets"], env=env)
    assert presets.returncode == 0, presets.stderr
    assert b"Translate English \\u2192 French" in presets.stdout
    helped = run_child(["generate", "--help"], env=env)
    assert helped.returncode == 0, helped.stderr
    missing = run_child(["models", "remove", "naïve→"], env=env)
    assert_one_line_error(missing, 1, "na\xefve\\u2192".encode("cp1252").decode("utf-8", "replace"))
    assert run_child(["models", "remove", "mine"], env=env).returncode == 0


# -- a reader that goes away: `| head -c1` --------------------------------------------------------------


def run_into_closed_pipe(args: list[str], *, stream: str = "stdout", stdin: bytes = b"", env=None):
    """Run with stdout (or stderr) a pipe whose reader has already gone; the other stream is captured."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return run_child(args, stdin=stdin, env=env, **{stream: write_end})
    finally:
        os.close(write_end)


CLOSED_STDOUT_COMMANDS = {
    "generate": ["--max-new-tokens", "40"],
    "generate --stream": ["--max-new-tokens", "40", "--stream"],
    "generate --json": ["--json"],
    "generate --num": ["--num", "3"],
}


@needs_posix
@pytest.mark.parametrize("name", list(CLOSED_STDOUT_COMMANDS))
def test_generate_into_a_closed_pipe_ends_quietly(tiny_model_dir, name):
    done = run_into_closed_pipe(generate_args(tiny_model_dir, "--prompt", "x", *CLOSED_STDOUT_COMMANDS[name]))
    assert done.returncode == EXIT_CLOSED_OUTPUT == 141
    assert done.stderr == b""


@needs_posix
@pytest.mark.parametrize(
    "args", [["presets"], ["models", "list"], ["--help"], ["generate", "--help"], ["--version"]]
)
def test_other_commands_into_a_closed_pipe_end_quietly(args):
    done = run_into_closed_pipe(args)
    assert (done.returncode, done.stderr) == (141, b"")


@needs_posix
def test_a_real_head_gets_its_byte_and_nothing_complains(tiny_model_dir):
    command = [sys.executable, "-m", "gpt2_studio", *generate_args(tiny_model_dir, "--prompt", "x")]
    done = subprocess.run(
        ["bash", "-c", 'set -o pipefail; "$@" --max-new-tokens 100 --stream | head -c1', "sh", *command],
        capture_output=True,
        timeout=180,
        env=child_env(),
    )
    assert len(done.stdout) == 1
    assert done.stderr == b""
    assert done.returncode in (0, 141)  # 0 when everything fit in the pipe before head closed it


@needs_posix
def test_errors_into_a_closed_stderr_keep_their_status(tiny_model_dir, tmp_path):
    done = run_into_closed_pipe(
        ["generate", "--model", str(tmp_path / "none"), "--prompt", "x"], stream="stderr"
    )
    assert done.returncode in (1, 141)
    done = run_into_closed_pipe(["generate", "--bogus"], stream="stderr")
    assert done.returncode in (2, 141)
    done = run_into_closed_pipe(generate_args(tiny_model_dir, "--prompt", "x", "-v"), stream="stderr")
    assert done.returncode in (0, 141)


@needs_posix
def test_a_download_goes_on_when_its_progress_cannot_be_shown(hub_stand_in, tmp_path):
    from tests.hub_stand_in import serve_tiny_gpt2

    serve_tiny_gpt2(hub_stand_in, tmp_path)
    env = child_env(HF_ENDPOINT=hub_stand_in.url, HF_HUB_OFFLINE="", GPT2_STUDIO_HOME=str(tmp_path / "home"))
    done = run_into_closed_pipe(["models", "download", "gpt2"], stream="stderr", env=env)
    assert done.returncode == 0
    assert b"Installed gpt2" in done.stdout


@needs_posix
def test_self_test_into_a_closed_pipe_ends_quietly():
    done = run_into_closed_pipe(["--self-test"], env=child_env(QT_QPA_PLATFORM="offscreen"))
    assert (done.returncode, done.stderr) == (141, b"")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [["presets"], ["--help"], ["generate", "--prompt", "x", "--max-new-tokens", "3"]]
)
def test_a_full_disk_is_one_line(tiny_model_dir, args):
    if args[0] == "generate":
        args = [*args, "--model", str(tiny_model_dir)]
    with open("/dev/full", "wb") as full:
        done = run_child(args, stdout=full)
    assert_one_line_error(done, 1, "cannot write the output: No space left on device.")


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
    from gpt2_studio.core.documents import read_text_file

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
    from gpt2_studio.core.documents import DocumentError, read_text_file
    from gpt2_studio.core.text_input import TextInputError, decode_text

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
@pytest.mark.parametrize("option", ["--prompt", "--input", "--stop"])
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
    from gpt2_studio.core.text_input import TextInputError, read_text_stream

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


# -- options and messages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-v", "presets"],
        ["presets", "-v"],
        ["--verbose", "models", "list"],
        ["models", "-v", "list"],
        ["models", "list", "--verbose"],
    ],
)
def test_verbose_goes_before_or_after_the_command(args):
    done = run_child(args)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr


def test_verbose_logs_what_generate_does(tiny_model_dir):
    before = run_child(["-v", *generate_args(tiny_model_dir, "--prompt", "x", "--max-new-tokens", "2")])
    after = run_child([*generate_args(tiny_model_dir, "--prompt", "x", "--max-new-tokens", "2"), "--verbose"])
    quiet = run_child(generate_args(tiny_model_dir, "--prompt", "x", "--max-new-tokens", "2"))
    for done in (before, after):
        assert done.returncode == 0, done.stderr
        assert b"INFO: Loaded tiny-gpt2" in done.stderr
    assert quiet.stderr == b""


def test_help_says_how_to_open_the_editor_and_check_the_install():
    done = run_child(["--help"])
    assert done.returncode == 0
    text = done.stdout.decode()
    assert "Without a COMMAND it opens the editor" in text
    assert "gpt2-studio [-v] [FILE] [--model PATH_OR_ID]" in text
    assert "--self-test" in text
    assert "-v, --verbose" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--temperature", "abc"], "argument --temperature: invalid float value: 'abc'"),
        (["generate", "--bogus"], "unrecognized arguments: --bogus"),
        (["models"], "the following arguments are required: ACTION"),
        (["--self-test", "presets"], "--self-test runs on its own"),
    ],
)
def test_usage_errors_are_one_line(args, message):
    assert_one_line_error(run_child(args), 2, message)


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


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--prompt", "x", "--max-new-tokens", "3"],
        ["models", "list"],
        ["models", "import", "MODEL", "--name", "kept"],
    ],
)
def test_commands_leave_nothing_in_the_temp_folder(tiny_model_dir, tmp_path, args):
    temp = tmp_path / "tmp"
    temp.mkdir()
    args = [str(tiny_model_dir) if a == "MODEL" else a for a in args]
    if args[0] == "generate":
        args += ["--model", str(tiny_model_dir)]
    before = set(temp.iterdir())
    done = run_child(args, env=child_env(TMPDIR=str(temp), TEMP=str(temp), TMP=str(temp)))
    assert done.returncode == 0, done.stderr
    assert set(temp.iterdir()) - before == set()

"""The command line behaves like a Unix tool: any console encoding, closed pipes, full disks, options.

Each test runs ``python -m gpt2_studio`` in a child process, the way a shell runs it, with real pipes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpt2_studio.cli.main import EXIT_CLOSED_OUTPUT
from tests.cli_children import assert_one_line_error, child_env, generate_args, needs_posix, run_child

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
def test_json_to_a_narrow_console_stays_valid_json(tiny_model_dir):
    args = generate_args(tiny_model_dir, "--prompt", "Café → bar", "--num", "2", "--json")
    wide = json.loads(run_child(args).stdout.decode("utf-8"))
    assert any(not a.isascii() for a in wide["alternatives"])
    for encoding in NARROW:
        narrow = run_child(args, env=child_env(PYTHONIOENCODING=encoding))
        assert narrow.returncode == 0, narrow.stderr
        narrow.stdout.decode("ascii")  # escaped, so a reader in any of these encodings gets the same JSON
        assert json.loads(narrow.stdout.decode(encoding))["alternatives"] == wide["alternatives"]


@needs_posix
def test_self_test_reports_to_an_ascii_console():
    done = run_child(["--self-test"], env=child_env(PYTHONIOENCODING="ascii", QT_QPA_PLATFORM="offscreen"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert b"SELF-TEST PASSED" in done.stdout


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

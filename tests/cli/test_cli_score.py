"""``gpt2-studio score``: the perplexity and per-token numbers of a file or standard input."""

from __future__ import annotations

import io
import json
import math

import pytest

from gpt2_studio.cli.main import EXIT_BAD_SETTINGS, run_cli
from tests.core.real_vocab import build_real_vocab_model

TEXT = "Привет 🦜 日本.\r\nSecond line, with a café."


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return build_real_vocab_model(tmp_path_factory.mktemp("cli-score") / "real-vocab")


def _score(model, *args: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = run_cli(["score", "--model", str(model), "--precision", "fp32", *args], stdout=out,
                   stdin=io.StringIO(stdin))  # fmt: skip
    return code, out.getvalue()


def test_json_holds_every_token_with_offsets_into_the_file_as_it_is(model, tmp_path):
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.models.loading import load_model

    path = tmp_path / "doc.txt"
    path.write_bytes(TEXT.encode("utf-8"))  # CRLF kept: offsets point into the file's own text
    code, out = _score(model, str(path), "--json", "--top", "3")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"model", "perplexity", "tokens"}
    tokens = data["tokens"]
    assert "".join(t["text"] for t in tokens) == TEXT
    for token in tokens:
        assert TEXT[token["offset"] : token["offset"] + len(token["text"])] == token["text"]
        assert token["logprob"] <= 0
        assert token["rank"] >= 1
        assert len(token["top"]) == 3
    expected = Engine(load_model(model, device="cpu", precision="fp32")).score(TEXT, top=3)
    assert [t["logprob"] for t in tokens] == [t.logprob for t in expected.tokens]
    assert data["perplexity"] == pytest.approx(expected.perplexity)
    assert data["perplexity"] == pytest.approx(math.exp(-sum(t["logprob"] for t in tokens) / len(tokens)))


def test_standard_input_and_the_summary(model):
    code, out = _score(model, stdin="The lighthouse keeper climbed the stairs.")
    assert code == 0
    assert out.startswith("Perplexity ")
    assert "Ranks: top 10: " in out
    assert "beyond: " in out
    assert "Mean surprisal" in out


def test_a_long_text_with_a_stride(model):
    text = " ".join(f"Line {i} of a long document." for i in range(80))
    code, out = _score(model, "--json", "--stride", "32", "--top", "0", stdin=text)
    assert code == 0
    data = json.loads(out)
    assert data["windows"] > 1
    assert all(t["top"] == [] for t in data["tokens"])


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ((), "", "nothing to score: the text is empty"),
        (("--top", "101"), "x", "--top must be between 0 and 100"),
        (("--stride", "0"), "x", "--stride must be at least 1"),
        (("--stride", "129"), "x", "--stride must be at most the model's window of 128 tokens"),
        (("/no/such/file.txt",), "", "does not exist"),
        (("/",), "", "is a folder, not a file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(model, capsys, args, stdin, message):
    code, out = _score(model, *args, stdin=stdin)
    err = capsys.readouterr().err
    assert code == EXIT_BAD_SETTINGS
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_a_binary_file_is_refused(model, tmp_path, capsys):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    code, _ = _score(model, str(path))
    assert code == EXIT_BAD_SETTINGS
    assert "binary" in capsys.readouterr().err


def test_the_real_entry_point_runs_score_and_never_opens_the_editor(model):
    from tests.cli_children import run_child

    done = run_child(["score", "--model", str(model), "--top", "0"], stdin=b"The keeper climbed the stairs.")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("Perplexity ")

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
    assert "in GLTR's buckets (10, 100, 1,000):" in out
    assert "beyond 1,000" in out
    assert "mean surprisal" in out


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
        (("--window", "64"), "x", "--window goes with --server URL"),
        (("/no/such/file.txt",), "", "does not exist"),
        (("--thresholds", "10,10,1000"), "x", "--thresholds must be three increasing whole numbers"),
        (("--thresholds", "10,100"), "x", "--thresholds must be three increasing whole numbers"),
        (("--thresholds", "0,100,1000"), "x", "from 1 to 1,000,000 separated by commas"),
        (("--thresholds", "a,b,c"), "x", "not 'a,b,c'"),
        (("--thresholds", "١٠,100,1000"), "x", "--thresholds must be"),  # Arabic-Indic digits
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


def _counts(out: str) -> dict[str, int]:
    """The summary's bucket rows: label -> tokens."""
    rows = {}
    for line in out.splitlines():
        if line.startswith("  ") and " tokens " in line:
            label = line.strip().split("  ")[0]
            rows[label] = int(line.split(" tokens")[0].split()[-1].replace(",", ""))
    return rows


def _ranks(model, text: str) -> list[int]:
    from gpt2_studio.core.generation.engine import Engine
    from gpt2_studio.core.models.loading import load_model

    return [t.rank for t in Engine(load_model(model, device="cpu", precision="fp32")).score(text).tokens]


SUMMARY_TEXT = "The lighthouse keeper climbed the stairs. The keeper climbed the stairs again, and again."


def test_the_summary_counts_tokens_in_the_thresholds_given(model):
    ranks = _ranks(model, SUMMARY_TEXT)
    low, mid, high = sorted(ranks)[len(ranks) // 4], sorted(ranks)[len(ranks) // 2], max(ranks)
    thresholds = (low, mid + 1, high + 1)
    code, out = _score(model, "--thresholds", ",".join(map(str, thresholds)), stdin=SUMMARY_TEXT)
    assert code == 0
    assert f"in the buckets of --thresholds ({thresholds[0]:,}, {thresholds[1]:,}, {thresholds[2]:,}):" in out
    expected = [
        sum(r <= thresholds[0] for r in ranks),
        sum(thresholds[0] < r <= thresholds[1] for r in ranks),
        sum(thresholds[1] < r <= thresholds[2] for r in ranks),
        0,
    ]
    assert list(_counts(out).values()) == expected
    assert sum(expected) == len(ranks)
    assert list(_counts(out))[0] == f"top {thresholds[0]:,}"


def test_the_summary_takes_the_thresholds_set_in_the_editor_and_only_reads_its_settings(model):
    from gpt2_studio.core.settings import AppSettings, save_settings, settings_path

    save_settings(AppSettings(rank_thresholds=(3, 30, 300)))
    before = settings_path().read_bytes()
    code, out = _score(model, stdin=SUMMARY_TEXT)
    assert code == 0
    assert "in the buckets set in the editor (3, 30, 300):" in out
    assert list(_counts(out)) == ["top 3", "4–30", "31–300", "beyond 300"]
    ranks = _ranks(model, SUMMARY_TEXT)
    assert _counts(out)["beyond 300"] == sum(r > 300 for r in ranks)
    assert settings_path().read_bytes() == before
    # --thresholds wins over the editor's.
    assert "(10, 20, 30)" in _score(model, "--thresholds", "10,20,30", stdin=SUMMARY_TEXT)[1]


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"rank_thresholds": [100, 10, 1]}', b'{"rank_thresholds": "x"}']
)
def test_a_damaged_settings_file_gives_gltrs_buckets_and_stays_as_it_is(model, content):
    from gpt2_studio.core.settings import settings_path

    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    code, out = _score(model, stdin=SUMMARY_TEXT)
    assert code == 0
    assert "in GLTR's buckets (10, 100, 1,000):" in out
    assert path.read_bytes() == content  # never set aside or rewritten by a command-line run


def test_the_summary_names_the_most_surprising_tokens_with_their_offsets(model):
    code, out = _score(model, stdin=SUMMARY_TEXT)
    assert code == 0
    surprising = out.split("Most surprising:\n")[1].splitlines()
    assert 1 <= len(surprising) <= 5
    for line in surprising:
        text = line.strip().split("'")[1]
        offset = int(line.split("at character ")[1].split(":")[0].replace(",", ""))
        assert SUMMARY_TEXT[offset:].lstrip().startswith(text)

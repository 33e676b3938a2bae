"""GPT-2's tokenizer without transformers: the same ids, text and special tokens as transformers' own.

transformers' GPT2Tokenizer is the reference here (and only here): GPT-2's real vocabulary and the tiny
test folders, with tokenizer.json and without, and every way the tokenizer files name special tokens.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.generation.text_stream import token_byte_table
from gpt2_studio.core.models.tokenizer import GPT2BPETokenizer, clear_cache, load_tokenizer
from tests.core.real_vocab import real_tokenizer_files

EOT = "<|endoftext|>"
TEXTS = [
    "",
    "Hello world. The quick brown fox jumps over the lazy dog.",
    " leading space, trailing space ",
    "Emoji 🙂🚀👩‍👩‍👧 and flags 🇫🇷, a lone 🙂",
    "日本語のテキスト、中文文本、한국어 텍스트",
    "Café, naïve, résumé, façade — Ελληνικά, русский",
    "runs of spaces:  two,   three,        eight",
    "new\nlines\n\n\nand\r\nwindows\tand\ttabs \n \n",
    f"a {EOT} b",
    f"{EOT}{EOT} glued{EOT}to words <|endoftext| <|ENDOFTEXT|>",
    "Numbers 1234567890 3.14159 -42 1e10, code: def f(x): return x**2  # done",
    "'s 't 're 've 'm 'll 'd quotes' \"double\" «guillemets»",
    "\u00a0no-break\u2028line\u2029para\x85next\x00nul",
    "🙂" * 40 + "x" * 300,
]


def _reference(folder: Path):
    from transformers import GPT2Tokenizer

    from gpt2_studio.core.models.loading import quiet_transformers

    with quiet_transformers():
        return GPT2Tokenizer.from_pretrained(str(folder))


def _random_texts(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    alphabet = "ab <|>endoftext\n\t é🙂'日 .,!?-\u00a0\r"
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) for _ in range(count)]


def assert_same_tokenizer(ours: GPT2BPETokenizer, theirs, texts: list[str]) -> None:
    """Every part of the API the app uses gives what transformers gives."""
    assert len(ours) == len(theirs)
    assert ours.get_added_vocab() == theirs.get_added_vocab()
    assert ours.all_special_tokens == theirs.all_special_tokens
    assert ours.all_special_ids == theirs.all_special_ids
    assert ours.eos_token_id == theirs.eos_token_id
    everything = list(range(len(theirs)))
    assert ours.convert_ids_to_tokens(everything) == theirs.convert_ids_to_tokens(everything)
    assert list(token_byte_table(ours)) == list(token_byte_table(theirs))
    pieces = [*ours.all_special_tokens, "Ġthe", "no such token", "Ċ"]
    assert ours.convert_tokens_to_ids(pieces) == theirs.convert_tokens_to_ids(pieces)
    for text in texts:
        for split in (False, True):
            for add in (False, True):
                ids = ours.encode(text, add_special_tokens=add, split_special_tokens=split)
                assert ids == theirs.encode(text, add_special_tokens=add, split_special_tokens=split), text
        ids = ours.encode(text)
        assert ids == theirs.encode(text), text
        assert ours.encode_plain(text) == theirs.encode(
            text, add_special_tokens=False, split_special_tokens=True
        )
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == theirs.decode(ids, skip_special_tokens=skip)
    rnd = random.Random(1)
    for _ in range(200):  # arbitrary ids: characters cut between tokens, special tokens anywhere
        ids = [rnd.randrange(len(theirs)) for _ in range(rnd.randint(1, 6))]
        assert ours.decode(ids) == theirs.decode(ids)


@pytest.fixture(scope="module")
def real_bpe(tmp_path_factory) -> Path:
    """GPT-2's own vocab.json and merges.txt (and tokenizer_config.json), nothing else."""
    return real_tokenizer_files(tmp_path_factory.mktemp("real-bpe") / "gpt2")


def test_gpt2s_real_vocabulary_is_tokenized_as_transformers_does(real_bpe):
    texts = TEXTS + _random_texts(0, 200)
    assert_same_tokenizer(load_tokenizer(real_bpe), _reference(real_bpe), texts)


def test_the_typed_end_of_text_trap_and_its_plain_reading(real_bpe):
    tokenizer = load_tokenizer(real_bpe)
    assert tokenizer.encode(f"a {EOT} b", add_special_tokens=False) == [64, 220, 50256, 275]
    assert tokenizer.encode_plain(f"a {EOT} b") == [64, 1279, 91, 437, 1659, 5239, 91, 29, 275]
    assert tokenizer.eos_token_id == 50256
    assert len(tokenizer) == 50257


def test_a_tokenizer_json_beside_the_bpe_files_gives_the_same(real_bpe, tmp_path):
    folder = Path(shutil.copytree(real_bpe, tmp_path / "with-json"))
    _reference(real_bpe).backend_tokenizer.save(str(folder / "tokenizer.json"))
    assert_same_tokenizer(load_tokenizer(folder), _reference(folder), TEXTS)
    (folder / "vocab.json").unlink()  # tokenizer.json alone is a whole tokenizer
    (folder / "merges.txt").unlink()
    assert_same_tokenizer(load_tokenizer(folder), _reference(folder), TEXTS)


@pytest.mark.parametrize("with_json", [True, False])
def test_the_tiny_test_folders_are_tokenized_as_transformers_does(tiny_model_dir, tmp_path, with_json):
    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "tiny"))
    if not with_json:
        (folder / "tokenizer.json").unlink()
    assert_same_tokenizer(load_tokenizer(folder), _reference(folder), TEXTS + _random_texts(2, 50))


def _config(folder: Path, **changes) -> None:
    path = folder / "tokenizer_config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    for key in [k for k, v in changes.items() if v is _DROP]:
        del config[key]
    path.write_text(json.dumps(config))


_DROP = object()
_AS_DICT = {"content": EOT, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
SPECIAL_CASES = {
    "no tokenizer_config.json": lambda f: (f / "tokenizer_config.json").unlink(),
    "named tokens as transformers writes them": lambda f: _config(
        f, eos_token={**_AS_DICT, "__type": "AddedToken"}, bos_token={**_AS_DICT, "__type": "AddedToken"}
    ),
    "no start token": lambda f: _config(f, bos_token=None),
    "a pad token not in the vocabulary": lambda f: _config(f, pad_token="<|pad|>"),
    "extra special tokens": lambda f: _config(f, additional_special_tokens=["<|a|>", "<|b|>", EOT]),
    "a model-specific token": lambda f: _config(f, image_token="<|image|>"),
    "a prefix space": lambda f: _config(f, add_prefix_space=True),
    "a start token added to every text": lambda f: _config(f, add_bos_token=True, add_eos_token=True),
    "special_tokens_map.json": lambda f: (f / "special_tokens_map.json").write_text(
        json.dumps({"pad_token": "<|pad|>", "eos_token": _AS_DICT, "additional_special_tokens": ["<|x|>"]})
    ),
    "added_tokens.json": lambda f: (f / "added_tokens.json").write_text(
        json.dumps({"<|note|>": 401, EOT: 0, "plain added": 402})
    ),
    "added_tokens_decoder": lambda f: _config(
        f,
        added_tokens_decoder={
            "0": {**_AS_DICT, "content": "<|first|>"},
            "7": {**_AS_DICT, "content": "<|seven|>", "special": False, "lstrip": True},
        },
        pad_token="<|first|>",
    ),
}


@pytest.mark.parametrize("with_json", [True, False])
@pytest.mark.parametrize("case", list(SPECIAL_CASES))
def test_special_tokens_are_read_as_transformers_reads_them(tiny_model_dir, tmp_path, case, with_json):
    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "tiny"))
    if not with_json:
        (folder / "tokenizer.json").unlink()
    SPECIAL_CASES[case](folder)
    texts = [*TEXTS[:9], "x <|pad|> <|a|><|b|> <|image|> <|x|> <|note|> plain added <|first|> <|seven|> y"]
    assert_same_tokenizer(load_tokenizer(folder), _reference(folder), texts)


def test_a_folder_saved_by_transformers_is_read_the_same(tiny_model_dir, tmp_path):
    reference = _reference(tiny_model_dir)
    reference.add_special_tokens({"pad_token": "<|pad|>", "additional_special_tokens": ["<|sep|>"]})
    folder = tmp_path / "saved"
    reference.save_pretrained(str(folder))  # tokenizer.json and a config with added_tokens_decoder
    assert_same_tokenizer(load_tokenizer(folder), _reference(folder), [*TEXTS[:9], "a <|pad|><|sep|> b"])


def test_gpt2_sizes_share_one_tokenizer_and_a_changed_file_gets_its_own(real_bpe, tmp_path):
    clear_cache()
    small = Path(shutil.copytree(real_bpe, tmp_path / "gpt2"))
    medium = Path(shutil.copytree(real_bpe, tmp_path / "gpt2-medium"))
    first = load_tokenizer(small)
    assert load_tokenizer(medium) is first  # same files: nothing is built again
    assert first.token_bytes() is load_tokenizer(small).token_bytes()
    _config(medium, pad_token="<|pad|>")
    changed = load_tokenizer(medium)
    assert changed is not first
    assert len(changed) == len(first) + 1
    assert load_tokenizer(small) is first


def test_encoding_is_thread_safe_across_both_readings(real_bpe):
    import threading

    tokenizer = load_tokenizer(real_bpe)
    stop = threading.Event()
    seen: set[tuple[int, ...]] = set()

    def with_control_tokens() -> None:
        while not stop.is_set():
            seen.add(tuple(tokenizer.encode(f"a {EOT} b", add_special_tokens=False)))

    thread = threading.Thread(target=with_control_tokens)
    thread.start()
    try:
        plain = {tuple(tokenizer.encode_plain(f"a {EOT} b")) for _ in range(2000)}
    finally:
        stop.set()
        thread.join(10)
    assert plain == {(64, 1279, 91, 437, 1659, 5239, 91, 29, 275)}
    assert seen == {(64, 220, 50256, 275)}


def test_surrogates_are_text_not_a_crash(real_bpe):
    tokenizer = load_tokenizer(real_bpe)
    assert tokenizer.encode_plain("a\ud800b") == tokenizer.encode_plain("a\ufffdb")
    assert tokenizer.encode("\ud83d\ude42") == tokenizer.encode("🙂")


BAD_FILES = {
    "a merges line of three tokens": (
        "merges.txt",
        "#version: 0.2\nĠ t\nĠ a b\n",
        "merges.txt line 3 is not two tokens separated by one space",
    ),
    "a blank merges line": (
        "merges.txt",
        "#version: 0.2\nĠ t\n\nĠ a\n",
        "merges.txt line 3 is not two tokens",
    ),
    "merges.txt not UTF-8": ("merges.txt", b"\xff\xfe", "merges.txt is not UTF-8 text"),
    "a merge of unknown tokens": ("merges.txt", "Ġ zzzz\n", "the tokenizer files cannot be read"),
    "a vocabulary of text ids": ("vocab.json", '{"a": "0"}', "vocab.json has no vocabulary of token"),
    "a vocabulary list": ("vocab.json", '["a", "b"]', "vocab.json is not a JSON object"),
    "a negative id": ("vocab.json", '{"a": -1}', "vocab.json has no vocabulary of token"),
    "a special token that is no text": (
        "tokenizer_config.json",
        '{"eos_token": 5}',
        "the tokenizer files name a special token that is not text",
    ),
    "an added token id that is no number": (
        "added_tokens.json",
        '{"<|x|>": "many"}',
        "give a token the id 'many', not a whole number",
    ),
    "extra tokens that are no list": (
        "tokenizer_config.json",
        '{"additional_special_tokens": [1, 2]}',
        "extra special tokens are not a list of tokens",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_tokenizer_files_get_one_sentence(tiny_copy, case):
    from gpt2_studio.core.models.loading import load_model

    name, content, message = BAD_FILES[case]
    (tiny_copy / "tokenizer.json").unlink()
    path = tiny_copy / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ModelError, match=message) as caught:
        load_model(tiny_copy, device="cpu", precision="fp32")
    text = str(caught.value)
    assert text.startswith(f"Model folder {tiny_copy}: ")
    assert "\n" not in text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tokenizer.json", r"tokenizer.json is 16,777,217 bytes, more than the 16,777,216 allowed"),
        ("tokenizer_config.json", r"tokenizer_config.json is 4,194,305 bytes, more than the 4,194,304"),
        ("merges.txt", r"merges.txt is larger than 67,108,864 bytes, far more than a GPT-2 tokenizer needs"),
        ("vocab.json", r"vocab.json is 16,777,217 bytes, more than the 16,777,216 allowed"),
    ],
)
def test_a_tokenizer_file_too_large_to_be_one_is_refused_unread(tiny_copy, name, message):
    import time

    from gpt2_studio.core.models.loading import load_model
    from gpt2_studio.core.models.tokenizer import MERGES_MAX_BYTES, TOKENIZER_JSON_LIMITS

    if name in ("merges.txt", "vocab.json"):
        (tiny_copy / "tokenizer.json").unlink()
    with (tiny_copy / name).open("r+b" if (tiny_copy / name).exists() else "wb") as handle:
        handle.truncate({**TOKENIZER_JSON_LIMITS, "merges.txt": MERGES_MAX_BYTES}[name] + 1)  # sparse
    started = time.monotonic()
    with pytest.raises(ModelError, match=message):
        load_model(tiny_copy, device="cpu", precision="fp32")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("tokenizer_json", "message"),
    [
        ({"model": {"type": "WordPiece", "vocab": {}}}, "holds a WordPiece tokenizer, not GPT-2's BPE"),
        ({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": "a b"}}, "has no list of BPE merges"),
        ({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}}, "a BPE merge that is not two"),
        ({"added_tokens": []}, "tokenizer.json has no tokenizer model"),
    ],
)
def test_a_tokenizer_json_that_is_no_gpt2_bpe_gets_one_sentence(tiny_copy, tokenizer_json, message):
    from gpt2_studio.core.models.loading import load_model

    (tiny_copy / "tokenizer.json").write_text(json.dumps(tokenizer_json))
    with pytest.raises(ModelError, match=message):
        load_model(tiny_copy, device="cpu", precision="fp32")


_NO_TRANSFORMERS = """
import sys
from gpt2_studio.core.generation.engine import Engine
from gpt2_studio.core.generation.sampling import SamplingSettings
from gpt2_studio.core.models.loading import load_model
for precision in ("int8", "bf16", "fp32", "int8"):  # the second int8 maps the quantized copy
    engine = Engine(load_model(sys.argv[1], device="cpu", precision=precision))
    done = engine.complete("Hello <|endoftext|> world", SamplingSettings(temperature=0, max_new_tokens=4))
    assert done.new_tokens > 0, done
    print(precision, engine.tokenize("a <|endoftext|> b"))
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "transformers")
print("TRANSFORMERS", loaded[:5])
"""


def test_the_cpu_path_imports_nothing_of_transformers(tiny_model_dir, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "GPT2_STUDIO_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-c", _NO_TRANSFORMERS, str(tiny_model_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=Path(__file__).parents[3],
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "TRANSFORMERS []"
    assert len(lines) == 5

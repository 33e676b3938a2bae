"""Byte-level tokens to text: whole characters only, and exactly the tokenizer's own decoding."""

from __future__ import annotations

import pytest

from gpt2_studio.core.generation.text_stream import TokenTextStream, _unicode_to_byte, token_byte_table


def test_byte_table_is_the_inverse_of_gpt2s_bytes_to_unicode():
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    assert _unicode_to_byte() == {char: byte for byte, char in bytes_to_unicode().items()}


def test_a_character_split_across_tokens_appears_only_when_complete():
    table = [bytes([b]) for b in range(256)]
    stream = TokenTextStream(table)
    pieces = [stream.push(b) for b in "é🙂".encode()]
    assert pieces == ["", "é", "", "", "", "🙂"]
    assert stream.finish() == ""
    assert stream.text == "é🙂"


@pytest.mark.parametrize("text", ["é", "日", "🙂", "a🙂"])
def test_an_unfinished_character_at_the_end_is_dropped(text):
    data = text.encode()
    for cut in range(1, len(data)):
        stream = TokenTextStream([bytes([b]) for b in range(256)])
        shown = "".join(stream.push(b) for b in data[:cut])
        assert shown + stream.finish() == stream.text == data[:cut].decode(errors="ignore")
        assert "\ufffd" not in stream.text


def test_a_replacement_character_written_whole_stays_and_invalid_bytes_still_show():
    stream = TokenTextStream([bytes([b]) for b in range(256)])
    for byte in "x\ufffd".encode():
        stream.push(byte)
    stream.push(0xFF)  # never valid in UTF-8
    stream.push(0xE6)  # the start of a character the text ends in
    assert stream.finish() == ""
    assert stream.text == "x\ufffd\ufffd"


def test_decoding_matches_the_tokenizer(tiny_model):
    tokenizer = tiny_model.tokenizer
    table = token_byte_table(tokenizer)
    text = "Café — naïve 日本語 🙂 and plain words"
    ids = tokenizer.encode(text)
    stream = TokenTextStream(table)
    joined = "".join(stream.push(i) for i in ids) + stream.finish()
    assert joined == text == tokenizer.decode(ids)


def test_special_tokens_map_to_their_text(tiny_model):
    table = token_byte_table(tiny_model.tokenizer)
    assert table[tiny_model.eos_token_id] == b"<|endoftext|>"

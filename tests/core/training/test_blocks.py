"""Text preparation: documents joined by <|endoftext|>, held out by document, cut into blocks."""

from __future__ import annotations

from pathlib import Path

from gpt2_studio.core.models.tokenizer import load_tokenizer
from gpt2_studio.core.training.blocks import block_starts, prepare_text, split_paragraph
from gpt2_studio.core.training.corpus import Corpus, Document


def _corpus(*texts: str) -> Corpus:
    return Corpus(tuple(Document(Path(f"/w/doc{i}.txt"), t) for i, t in enumerate(texts)), ())


def _contains(stream: tuple[int, ...], part: list[int]) -> bool:
    return any(list(stream[i : i + len(part)]) == part for i in range(len(stream) - len(part) + 1))


def test_heldout_documents_are_whole_documents_never_seen_in_training(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    eos = tokenizer.eos_token_id
    texts = [f"Story number {i}: the fox and the dog, chapter {i}." * 3 for i in range(10)]
    corpus = _corpus(*texts)

    text = prepare_text(corpus, tokenizer.encode_plain, eos, 0.1)

    held = [d.text for d in text.heldout_documents]
    assert held
    assert set(held) < set(texts)
    for document in corpus.documents:
        ids = tokenizer.encode_plain(document.text)
        in_train, in_heldout = _contains(text.train_ids, ids), _contains(text.heldout_ids, ids)
        assert in_train != in_heldout  # each document in exactly one of the two
        assert in_heldout == (document.text in held)
    assert text.train_ids[0] == eos
    assert text.train_ids[-1] == eos
    assert text.heldout_ids[0] == eos
    assert text.heldout_ids[-1] == eos
    assert text.corpus_tokens == sum(len(tokenizer.encode_plain(t)) for t in texts)
    assert text.train_tokens + text.heldout_tokens == text.corpus_tokens + len(texts) + 2


def test_one_document_holds_out_its_last_part_cut_at_a_paragraph(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    paragraphs = [f"Paragraph {i} tells of ships and storms." for i in range(20)]
    corpus = _corpus("\n\n".join(paragraphs))

    text = prepare_text(corpus, tokenizer.encode_plain, tokenizer.eos_token_id, 0.1)

    (tail,) = text.heldout_documents
    whole = "\n\n".join(paragraphs)
    assert tail.text in {"\n\n".join(paragraphs[k:]) for k in (17, 18, 19)}  # whole paragraphs
    assert whole.endswith("\n\n" + tail.text)
    assert not _contains(text.train_ids, tokenizer.encode_plain(tail.text))
    assert "last part of doc0.txt" in text.heldout_note


def test_split_paragraph_prefers_paragraphs_then_lines_then_spaces():
    assert split_paragraph("aaaa\n\nbbbb\ncc", 0.5) == ("aaaa", "bbbb\ncc")
    assert split_paragraph("aaaa bbbb\ncc dd", 0.9) == ("aaaa bbbb", "cc dd")
    assert split_paragraph("abcdefghij", 0.8) == ("abcdefgh", "ij")


def test_end_of_text_in_user_text_is_plain_text_not_a_separator(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    eos = tokenizer.eos_token_id
    corpus = _corpus("Before <|endoftext|> after, " * 5, "Another text entirely. " * 5)
    text = prepare_text(corpus, tokenizer.encode_plain, eos, 0.3)
    # Two documents too large to hold out whole: the longer one's tail is held out. Separators only:
    # before and after each of the two training parts, and around the held-out part.
    assert "<|endoftext|>" in text.heldout_documents[0].text or "<|endoftext|>" in corpus.documents[0].text
    assert text.train_ids.count(eos) == 3
    assert text.heldout_ids.count(eos) == 2


def test_blocks_cover_every_token_and_fit_the_block_size():
    for length, block in [(100, 32), (96, 32), (32, 32), (33, 32), (1000, 128)]:
        starts = block_starts(length, block)
        covered = set()
        for start in starts:
            assert start >= 0
            assert start + block <= length
            covered.update(range(start, start + block))
        assert covered == set(range(length))
    assert block_starts(31, 32) == []

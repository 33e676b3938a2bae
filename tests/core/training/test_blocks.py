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


def _paragraphs(count: int, tag: str) -> str:
    return "\n\n".join(f"{tag} paragraph {i} tells of ships, storms and the sea." for i in range(count))


def test_one_large_document_does_not_send_the_others_to_heldout(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    small = [f"Short note {i} about the fox and the dog." for i in range(16)]
    corpus = _corpus(*small, _paragraphs(400, "Huge"))

    text = prepare_text(corpus, tokenizer.encode_plain, tokenizer.eos_token_id, 0.1)

    assert "last part of doc16.txt" in text.heldout_note
    for note in small:  # every small document trains
        assert _contains(text.train_ids, tokenizer.encode_plain(note))
    assert 0.07 < text.heldout_tokens / text.corpus_tokens < 0.13  # about a tenth of the tokens


def test_a_skewed_corpus_holds_out_at_most_a_quarter_of_its_documents(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    small = [_paragraphs(3, f"Note {i}") for i in range(16)]  # together about a sixth of the tokens
    corpus = _corpus(*small, _paragraphs(250, "Big"))

    text = prepare_text(corpus, tokenizer.encode_plain, tokenizer.eos_token_id, 0.1)

    whole = [d for d in text.heldout_documents if d.text in small]
    assert len(whole) <= 17 // 4
    assert 0.04 < text.heldout_tokens / text.corpus_tokens < 0.2


def test_balanced_documents_hold_out_about_a_tenth_of_the_tokens(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    corpus = _corpus(*[_paragraphs(4, f"Chapter {i}") for i in range(20)])

    text = prepare_text(corpus, tokenizer.encode_plain, tokenizer.eos_token_id, 0.1)

    assert len(text.heldout_documents) in (2, 3)  # whole documents: a tenth of the tokens, or just over
    assert text.heldout_note.startswith(f"{len(text.heldout_documents)} of 20 whole documents (doc")
    assert 0.1 <= text.heldout_tokens / text.corpus_tokens < 0.2

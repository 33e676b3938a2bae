"""Text prepared as the field prepares it: documents joined by <|endoftext|>, cut into blocks.

The held-out text is about a tenth of the tokens, chosen by document, never by block, so that no
sentence the model is scored on was seen in training (blocks of one document overlap in style and often
in wording). When whole documents cannot make that share (one document, a few large ones, or one much
larger than all the rest), the last part of the largest document, cut at a paragraph break, is held out
instead: still text the model never trained on, and the rest of the writing all trains.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gpt2_studio.core.training.corpus import Corpus, Document

HELDOUT_FRACTION = 0.1
#: Whole documents are held out while they make at most this share of the tokens ...
HELDOUT_MAX_FRACTION = 0.2
#: ... and at most this share of the documents (one large file must not send the rest to held-out) ...
HELDOUT_MAX_DOCUMENTS = 0.25
#: ... and only when they reach this share of the held-out target; else a part of the largest is held out.
HELDOUT_MIN_REACHED = 0.5
#: The largest document's part held out is at most this share of it.
HELDOUT_MAX_PART = 0.5


@dataclass(frozen=True)
class PreparedText:
    """Token ids ready for training: the training stream, the held-out stream, and where they came from.

    Both streams start with <|endoftext|> and end each document with it, so every document's first
    token is predicted from the same "start of a text" context the model knows.
    """

    train_ids: tuple[int, ...]
    heldout_ids: tuple[int, ...]
    heldout_documents: tuple[Document, ...]  # for the sample prompts
    heldout_note: str  # what was held out, in words: "2 of 20 whole documents (a.txt, b.txt)"
    corpus_tokens: int  # tokens of all documents, separators not counted

    @property
    def train_tokens(self) -> int:
        """Tokens the model trains on (separators included)."""
        return len(self.train_ids)

    @property
    def heldout_tokens(self) -> int:
        """Tokens of the held-out stream (separators included)."""
        return len(self.heldout_ids)


def _order_key(document: Document) -> str:
    # A stable order that does not follow file names (chapter 10 is not always the one held out).
    return hashlib.sha256(os.fsencode(str(document.path))).hexdigest()


def split_paragraph(text: str, fraction: float = 1 - HELDOUT_FRACTION) -> tuple[str, str]:
    """text cut at the paragraph break (else line break, else space) nearest to ``fraction`` of it."""
    target = int(len(text) * fraction)
    for mark in ("\n\n", "\n", " "):
        before, after = text.rfind(mark, 0, target), text.find(mark, target)
        candidates = [i for i in (before, after) if 0 < i < len(text) - len(mark)]
        if candidates:
            cut = min(candidates, key=lambda i: abs(i - target))
            return text[:cut], text[cut + len(mark) :]
    return text[:target], text[target:]


def prepare_text(
    corpus: Corpus,
    encode: Callable[[str], list[int]],
    eos_token_id: int,
    heldout_fraction: float = HELDOUT_FRACTION,
) -> PreparedText:
    """Tokenize the corpus (``encode``: user text → ids, special-token strings as plain text) and split it.

    About heldout_fraction of the tokens are held out. Whole documents, in a stable pseudo-random order
    (a hash of each resolved path), go to the held-out set until it reaches that share, taking no
    document that would lift it over HELDOUT_MAX_FRACTION of the tokens and at most
    HELDOUT_MAX_DOCUMENTS of the documents. When that reaches less than HELDOUT_MIN_REACHED of the
    share, the last part of the largest document (heldout_fraction of all tokens, at most half of it,
    cut at a paragraph) is held out instead and every other document trains.
    """
    documents = list(corpus.documents)
    ids = {id(d): encode(d.text) for d in documents}
    total = sum(len(v) for v in ids.values())
    target, ceiling = heldout_fraction * total, HELDOUT_MAX_FRACTION * total
    most = max(1, int(len(documents) * HELDOUT_MAX_DOCUMENTS))
    heldout: list[Document] = []
    held = 0
    if len(documents) > 1:
        for document in sorted(documents, key=_order_key):
            size = len(ids[id(document)])
            if held >= target or len(heldout) >= most:
                break
            if held + size <= ceiling:
                heldout.append(document)
                held += size
    if heldout and held >= HELDOUT_MIN_REACHED * target:
        train = [d for d in documents if all(d is not h for h in heldout)]
        shown = ", ".join(d.path.name for d in heldout[:3]) + (" …" if len(heldout) > 3 else "")
        note = f"{len(heldout)} of {len(documents)} whole documents ({shown})"
    else:
        largest = max(documents, key=lambda d: len(ids[id(d)]))
        share = min(HELDOUT_MAX_PART, target / max(1, len(ids[id(largest)])))
        head, tail = split_paragraph(largest.text, 1 - share)
        head_doc, tail_doc = Document(largest.path, head), Document(largest.path, tail)
        ids[id(head_doc)], ids[id(tail_doc)] = encode(head), encode(tail)
        train = [head_doc if d is largest else d for d in documents]
        heldout = [tail_doc]
        note = f"the last part of {largest.path.name}, cut at a paragraph"
    return PreparedText(
        train_ids=tuple(_stream([ids[id(d)] for d in train], eos_token_id)),
        heldout_ids=tuple(_stream([ids[id(d)] for d in heldout], eos_token_id)),
        heldout_documents=tuple(heldout),
        heldout_note=note,
        corpus_tokens=total,
    )


def _stream(parts: Sequence[list[int]], eos: int) -> list[int]:
    out = [eos]
    for part in parts:
        out += part
        out.append(eos)
    return out


def block_starts(stream_length: int, block_size: int) -> list[int]:
    """Where each training block starts: back to back, the last one ending at the stream's end.

    The last block overlaps the one before it instead of being dropped or padded, so every token is
    trained on (each block predicts its tokens after the first). Empty when the stream is shorter than
    one block.
    """
    if stream_length < block_size:
        return []
    starts = list(range(0, stream_length - block_size + 1, block_size))
    if starts[-1] + block_size < stream_length:
        starts.append(stream_length - block_size)
    return starts

"""Misspellings in context, and a tiny GPT-2 trained on the intended sentences (tests and benchmark).

With random weights a model knows no English, so the tests train one for a few seconds: a 64-wide,
2-layer GPT-2 with a byte-level BPE learnt from the same sentences, a few hundred AdamW steps on the
CPU (real transformers training). It learns these sentences, which is what ranking needs to show: the
model's order follows the context, the library's follows word frequency alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    """A sentence with one misspelt word: text.replace(typo, intended, 1) is what was meant."""

    text: str
    typo: str
    intended: str

    def split(self) -> tuple[str, str, str]:
        """(before, word, after) around the typo."""
        at = self.text.index(self.typo)
        return self.text[:at], self.typo, self.text[at + len(self.typo) :]


# The first ten: pyspellchecker's most frequent candidate is not the intended word; the rest: it is.
CASES = (
    Case("She bought a new pair of running shose for the race.", "shose", "shoes"),
    Case("We watched a moive at the cinema last night.", "moive", "movie"),
    Case("He read a bok about ships and storms.", "bok", "book"),
    Case("The jacket was made of soft brown lether.", "lether", "leather"),
    Case("It began to rian heavily in the afternoon.", "rian", "rain"),
    Case("The cat sleeps on the sofr all day.", "sofr", "sofa"),
    Case("The old clok on the wall stopped at noon.", "clok", "clock"),
    Case("I saved some mony to buy a bicycle.", "mony", "money"),
    Case("Ther is a small garden behind the house.", "Ther", "There"),
    Case("Yesterday I wint to the market with my sister.", "wint", "went"),
    Case("The box was too hevy to carry up the stairs.", "hevy", "heavy"),
    Case("My best frend lives in the next village.", "frend", "friend"),
    Case("She poured a cup of hot cofee for her guest.", "cofee", "coffee"),
    Case("We had eggs and toast for brakfast this morning.", "brakfast", "breakfast"),
)
LIBRARY_MISSES = 10


def train_tiny_model(folder: Path, *, steps: int = 300, seed: int = 0) -> Path:
    """A 64-wide, 2-layer GPT-2 trained on the CASES' intended sentences, saved to folder."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_studio.core.models.loading import quiet_transformers
    from gpt2_studio.core.models.tiny_checkpoint import END_OF_TEXT, write_tokenizer_config

    sentences = [case.text.replace(case.typo, case.intended, 1) for case in CASES]
    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(sentences * 4, vocab_size=600, min_frequency=1, special_tokens=[END_OF_TEXT])
    bpe.save_model(str(folder))
    bpe.save(str(folder / "tokenizer.json"))
    eos = bpe.token_to_id(END_OF_TEXT)
    config = GPT2Config(
        vocab_size=bpe.get_vocab_size(),
        n_positions=64,
        n_embd=64,
        n_layer=2,
        n_head=2,
        bos_token_id=eos,
        eos_token_id=eos,
    )
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    rows = [[eos, *bpe.encode(s).ids, eos] for s in sentences]
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [eos] * (width - len(r)) for r in rows])
    labels = torch.tensor([r + [-100] * (width - len(r)) for r in rows])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with quiet_transformers():
        model.save_pretrained(str(folder), safe_serialization=True)
    write_tokenizer_config(folder, n_positions=64)
    return folder

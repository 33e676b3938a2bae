"""The log-probability of each of several continuations of one text, as rows of one batch.

The text is read after `<|endoftext|>` through the engine's prompt cache (a text that shares its start
with the last prompt costs only its new blocks); the continuations are then fed together, GROUP_ROWS at
a time, as the rows of a branch cache that reads the text's keys and values in place. Each row is fed
all its tokens in one forward call (the causal mask keeps a row's padding from reaching its real
tokens), so scoring n continuations of up to L tokens costs the text's prefill and ceil(n / GROUP_ROWS)
calls of L − 1 positions.

A continuation's log-probability is the sum of its tokens' log-probabilities, each given the text and
the continuation's tokens before it: the log of the model's probability of writing exactly that text
there (along the tokenizer's own split of it).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from gpt2_studio.core.generation.word_alternatives import GROUP_ROWS, TRIM_GRID

if TYPE_CHECKING:
    from gpt2_studio.core.generation.engine import Engine

#: The longest continuation scored, in tokens; longer ones keep their start (a word and a few tokens
#: after it need far fewer).
MAX_CONTINUATION_TOKENS = 32


@torch.inference_mode()
def continuation_logprobs(
    engine: Engine, context: str, continuations: Sequence[str], cancel: threading.Event | None = None
) -> list[float] | None:
    """Natural-log probability of each continuation right after context, in the given order.

    context: the text before (a long one keeps the window's worth of its end, cut on a grid of
    TRIM_GRID tokens so that nearby words share the prompt cache). continuations: plain text, each
    tokenized on its own (start a word with its space: " store"); an empty one scores 0.0; at most
    MAX_CONTINUATION_TOKENS tokens of each are scored. None when cancel was set before the end.
    """
    if not continuations:
        return []
    rows = [engine.tokenize(text)[:MAX_CONTINUATION_TOKENS] for text in continuations]
    longest = max(1, max(len(row) for row in rows))
    eos = engine.model.eos_token_id
    ids = [eos, *engine.tokenize(context)]
    room = engine.model.n_positions - longest
    if len(ids) > room:
        drop = -(-(len(ids) - room) // TRIM_GRID) * TRIM_GRID  # rounded up to the grid
        ids = [eos, *ids[drop + 1 :]]
    flag = cancel or threading.Event()
    runner = engine._runner  # the engine's own model and lock: this is its kind of work
    usable = engine._usable_vocab
    with engine._lock:
        logits, _reused = engine._prefix.fill(ids, flag)
        if logits is None or engine._prefix.cache is None:
            return None
        first = logits[0].float().cpu().clone()
        first[usable:] = float("-inf")
        first = first.log_softmax(dim=-1)
        branch = (
            runner.branch_cache(engine._prefix.cache, len(ids), GROUP_ROWS, longest) if longest > 1 else None
        )
        totals: list[float] = []
        for at in range(0, len(rows), GROUP_ROWS):
            if flag.is_set():
                return None
            group = rows[at : at + GROUP_ROWS]
            later = None
            if branch is not None:
                # Fixed shape (GROUP_ROWS × longest − 1): a row's numbers never depend on its neighbours.
                fed = [(row or [eos]) + [eos] * (longest - len(row or [eos])) for row in group]
                fed += [fed[0]] * (GROUP_ROWS - len(fed))
                batch = torch.tensor([row[:-1] for row in fed], dtype=torch.long, device=runner.device)
                out = runner.forward(batch, branch, start=len(ids), all_rows=True).float().cpu()
                out[..., usable:] = float("-inf")
                later = out.log_softmax(dim=-1)  # [GROUP_ROWS, longest − 1, vocab]
            for index, row in enumerate(group):
                if not row:
                    totals.append(0.0)
                    continue
                total = float(first[row[0]])
                for position, token in enumerate(row[1:]):
                    assert later is not None
                    total += float(later[index, position, token])
                totals.append(total)
    return totals

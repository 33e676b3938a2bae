"""Held-out loss and perplexity (the transformers perplexity guide's sliding window) and sample texts."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

#: Logits of one scoring batch at most this size (batch · window · vocabulary · 4 bytes).
LOGITS_BUDGET_BYTES = 64 * 1024 * 1024


def windows(length: int, window: int, stride: int) -> list[tuple[int, int, int]]:
    """(begin, end, scored) for each window over a stream of ``length`` tokens.

    Each window sees up to ``window`` tokens and scores only its last ``scored`` ones (those the window
    before did not), so every token after the first is scored once, with at least window − stride
    tokens of context once the first window is full.
    """
    out = []
    previous_end = 0
    for begin in range(0, max(1, length - 1), stride):
        end = min(begin + window, length)
        out.append((begin, end, end - previous_end))
        previous_end = end
        if end == length:
            break
    return out


def heldout_loss(
    model: Any,
    ids: Sequence[int],
    window: int,
    *,
    stride: int | None = None,
    max_windows: int | None = None,
    device: str = "cpu",
    autocast: Callable[[], Any] | None = None,
) -> float:
    """Mean negative log-likelihood in nats per token of ``ids`` under ``model`` (a causal LM).

    stride defaults to half the window. max_windows scores only the first windows (a quick reading
    during training; the before/after figures score all). Perplexity is exp of the result.
    """
    import contextlib

    import torch

    stride = stride or max(1, window // 2)
    spans = windows(len(ids), window, stride)
    if max_windows is not None:
        spans = spans[:max_windows]
    vocab = int(model.config.vocab_size)
    batch = max(1, LOGITS_BUDGET_BYTES // (window * vocab * 4))
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), autocast() if autocast else contextlib.nullcontext():
            for first in range(0, len(spans), batch):
                group = spans[first : first + batch]
                size = max(end - begin for begin, end, _ in group)
                inputs = torch.zeros((len(group), size), dtype=torch.long)
                labels = torch.full((len(group), size), -100, dtype=torch.long)
                mask = torch.zeros((len(group), size), dtype=torch.long)
                for row, (begin, end, scored) in enumerate(group):
                    piece = torch.tensor(ids[begin:end], dtype=torch.long)
                    inputs[row, : len(piece)] = piece
                    mask[row, : len(piece)] = 1
                    labels[row, len(piece) - scored : len(piece)] = piece[len(piece) - scored :]
                logits = model(input_ids=inputs.to(device), attention_mask=mask.to(device)).logits.float()
                targets = labels[:, 1:].to(device)
                losses = torch.nn.functional.cross_entropy(
                    logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1),
                    ignore_index=-100, reduction="sum",
                )  # fmt: skip
                total += float(losses)
                count += int((targets != -100).sum())
    finally:
        model.train(was_training)
    return total / count if count else math.nan


def perplexity(loss: float) -> float:
    """exp(loss), capped so that a diverged model reads as a huge number, not infinity."""
    return math.exp(min(loss, 700.0))


def sample_prompts(texts: Sequence[str], count: int, words: int = 8) -> list[str]:
    """The first few words of each held-out text (up to count), to continue before and after training."""
    prompts = []
    for text in texts:
        found = re.findall(r"\S+", text)
        if found:
            prompt = " ".join(found[:words])
            if prompt not in prompts:
                prompts.append(prompt)
        if len(prompts) == count:
            break
    return prompts


def greedy_samples(
    model: Any, encode: Callable[[str], list[int]], decode: Callable[[list[int]], str],
    prompts: Sequence[str], new_tokens: int, eos: int, device: str = "cpu",
) -> list[str]:  # fmt: skip
    """Each prompt's greedy continuation (transformers' generate, do_sample=False), without the prompt."""
    import torch

    out = []
    was_training = model.training
    model.eval()
    window = int(model.config.n_positions)
    try:
        for prompt in prompts:
            ids = encode(prompt)[-(window - new_tokens) :]
            inputs = torch.tensor([ids], dtype=torch.long, device=device)
            with torch.no_grad():
                result = model.generate(
                    inputs, attention_mask=torch.ones_like(inputs), max_new_tokens=new_tokens,
                    do_sample=False, pad_token_id=eos, eos_token_id=eos,
                )  # fmt: skip
            out.append(decode(result[0, len(ids) :].tolist()))
    finally:
        model.train(was_training)
    return out


def improvement(before: float, after: float) -> float:
    """How much better the new model predicts the text: 1 − after/before perplexity (0.38: "38% better")."""
    return 1 - after / before if before > 0 else 0.0


def _unused(_: torch.Tensor) -> None:  # pragma: no cover - keeps the TYPE_CHECKING import used
    return None

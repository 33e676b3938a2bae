"""Output of ``gpt2-studio train --json`` as the protocol in README ("Learn a style") specifies it.

Written from the protocol, field for field, while the command was being built in parallel; the
end-to-end test (test_end_to_end.py) runs the real command through the same parser and dialog.
"""

from __future__ import annotations

import json

PLAN = {
    "event": "plan",
    "base": "tiny",
    "name": "my-style",
    "documents": 12,
    "corpus_tokens": 48_210,
    "train_tokens": 43_120,
    "heldout_tokens": 5_090,
    "skipped": [
        {"path": "/home/ann/writing/cover.png", "reason": "not text (binary data)"},
        {"path": "/home/ann/writing/old.txt", "reason": "not UTF-8 text (byte 0xE9 at position 10)"},
    ],
    "steps": 6,
    "block_size": 128,
    "lora_rank": 8,
    "estimate": {"seconds": 250.0, "peak_memory_bytes": 812_000_000, "disk_bytes": 498_000_000},
}
BASELINE = {"event": "baseline", "heldout_loss": 4.2, "perplexity": 66.686}
DONE = {
    "event": "done",
    "name": "my-style",
    "folder": "/home/ann/.local/share/gpt2-studio/models/my-style",
    "perplexity_before": 66.686,
    "perplexity_after": 41.3,
    "samples": [
        {
            "prompt": "The rain had not stopped for three days, and",
            "before": " the city of the first time in the world was a new",
            "after": " Mara had stopped counting the buckets under the roof.",
        },
        {"prompt": "She opened the letter", "before": ", and the", "after": " with the bread knife."},
    ],
}


def step(number: int, loss: float, steps: int = 6) -> dict:
    return {
        "event": "step",
        "step": number,
        "steps": steps,
        "loss": loss,
        "tokens_per_second": 1830.5,
        "eta_seconds": (steps - number) * 4.0,
    }


def training_events(steps: int = 6) -> list[dict]:
    """A whole run: plan, baseline, steps with held-out losses and checkpoints, done."""
    events = [PLAN, BASELINE]
    for number in range(1, steps + 1):
        events.append(step(number, 4.3 - 0.25 * number, steps))
        if number % 2 == 0:
            events.append({"event": "heldout", "step": number, "heldout_loss": 4.2 - 0.15 * number})
            events.append({"event": "checkpoint", "step": number})
    events.append(DONE)
    return events


def lines(events: list[dict]) -> list[str]:
    return [json.dumps(event) for event in events]

"""The provenance edit algebra's cost per edit: typing in one place vs jumping, at 1,000 and 100,000 spans.

Measures, never asserts. Typing in one place should cost the same at any number of spans (O(log n): one
pending shift covers the tail); an edit far from the last one settles the spans in between once.

    .venv/bin/python benchmarks/bench_provenance.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpt2_studio.core.provenance.spans import Span, SpanTable  # noqa: E402


def main() -> int:
    print(f"{'spans':>8}{'typing, µs/key':>16}{'random jumps, µs/edit':>23}{'undo of a key, µs':>19}")
    for count in (1_000, 100_000):
        table = SpanTable([Span(i * 50 + 10, i * 50 + 40, "m") for i in range(count)])
        middle = count * 25
        table.edit(middle, 0, 1)
        keys = 20_000
        started = time.perf_counter()
        for i in range(keys):
            table.edit(middle + 1 + i, 0, 1)
        typing = (time.perf_counter() - started) / keys * 1e6
        rng = random.Random(1)
        started = time.perf_counter()
        for _ in range(2_000):
            table.edit(rng.randrange(0, count * 50), 0, 1)
        jumping = (time.perf_counter() - started) / 2_000 * 1e6
        # Undo as the editor's tracker does it: the inverse edit, with the pieces the edit removed.
        at = middle + keys
        undos = []
        for i in range(keys):
            undos.append((at + i, table.edit(at + i, 0, 1)))
        started = time.perf_counter()
        for position, gone in reversed(undos):
            table.edit(position, 1, 0, gone)
        undo = (time.perf_counter() - started) / keys * 1e6
        print(f"{count:>8,}{typing:>16.1f}{jumping:>23.1f}{undo:>19.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

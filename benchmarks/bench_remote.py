"""The remote engine's own cost: RemoteEngine beside a bare SSE stream, on the same llama.cpp server.

Starts llama-cpp-python's server (from .server-venv, built by `setup_llamacpp.sh --server`) on a GPT-2
GGUF (random weights of GPT-2's shapes, GPT-2's real BPE, converted by llama.cpp's own converter), then
alternates two clients on the same requests: a bare httpx2 stream that only parses the events, and
RemoteEngine.stream (prompt fitting with the local tokenizer, stop and end checks, pieces). Prints the
medians of the time to the first piece and of the whole request, and their ratios. Not part of the test
run; figures in benchmarks/README.md.

    .venv/bin/python benchmarks/bench_remote.py                 # 124M, 20 rounds
    .venv/bin/python benchmarks/bench_remote.py --size tiny     # a smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from benchmarks.peers.models import SHAPES, build_model, make_prompts  # noqa: E402
from tests.llama_server import LlamaServer, convert_to_gguf  # noqa: E402

TOKENS = 64


def bare(client: httpx2.Client, url: str, model: str, prompt: str) -> tuple[float, float]:
    """Seconds to the first text and to the end, with nothing but the stream parsed (one kept client)."""
    payload = {  # the request RemoteEngine sends for these settings, field for field
        "model": model, "prompt": prompt, "max_tokens": TOKENS, "temperature": 0.0,
        "seed": 1, "top_k": 40, "repeat_penalty": 1.0, "stream": True,
    }  # fmt: skip
    started = time.perf_counter()
    first = None
    with (
        httpx2.Client(timeout=120) as client,
        client.sse(f"{url}/completions", method="POST", json=payload) as es,
    ):
        for event in es:
            if event.data.strip() == "[DONE]":
                break
            if first is None and json.loads(event.data)["choices"][0]["text"]:
                first = time.perf_counter()
    end = time.perf_counter()
    return (first or end) - started, end - started


def engine_run(engine: object, prompt: str) -> tuple[float, float]:
    """The same request through RemoteEngine.stream."""
    from gpt2_studio.core.generation.sampling import SamplingSettings

    settings = SamplingSettings(temperature=0.0, max_new_tokens=TOKENS, seed=1)
    started = time.perf_counter()
    first = None
    stream = engine.stream(prompt, settings)  # type: ignore[attr-defined]
    for _piece in stream:
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    return (first or end) - started, end - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="124M", choices=sorted(SHAPES))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--venv", type=Path, default=ROOT / ".server-venv")
    args = parser.parse_args()
    python = args.venv / "bin" / "python"
    if not python.exists():
        print(f"no server environment in {args.venv}: run benchmarks/setup_llamacpp.sh --server {args.venv}")
        return 1
    from gpt2_studio.core.models.tokenizer import load_tokenizer
    from gpt2_studio.core.remote.engine import RemoteEngine

    with tempfile.TemporaryDirectory() as work:
        folder = build_model(Path(work) / "model", SHAPES[args.size])
        gguf = convert_to_gguf(folder, Path(work) / "model.gguf")
        prompt = make_prompts(folder)["doc_a"]  # 900 tokens of English
        server = LlamaServer(python, gguf, Path(work) / "server.log").start()
        engine = RemoteEngine.connect(server.url, tokenizer=load_tokenizer(folder))
        client = httpx2.Client(timeout=120)
        try:
            bare(client, server.url, server.model_name, prompt)  # warm-up: the server's first request
            engine_run(engine, prompt)
            figures: dict[str, list[tuple[float, float]]] = {"bare": [], "engine": []}
            # In blocks, not alternating: the engine closes a stream as soon as every alternative has
            # its finish reason, and llama-cpp-python's clean-up of that stream then delays whatever
            # request comes next, which would be charged to the other client.
            for _half in range(2):
                for _ in range(args.rounds // 2):
                    figures["bare"].append(bare(client, server.url, server.model_name, prompt))
                for _ in range(args.rounds // 2):
                    figures["engine"].append(engine_run(engine, prompt))
        finally:
            client.close()
            engine.close()
            server.stop()
    medians = {
        name: (statistics.median(f for f, _t in runs), statistics.median(t for _f, t in runs))
        for name, runs in figures.items()
    }
    print(f"GPT-2 {args.size}, {len(prompt)} characters of prompt, {TOKENS} tokens, {args.rounds} rounds")
    print(f"{'client':<8}{'first piece ms':>16}{'request ms':>12}")
    for name, (first, total) in medians.items():
        print(f"{name:<8}{first * 1000:>16.1f}{total * 1000:>12.1f}")
    (bf, bt), (ef, et) = medians["bare"], medians["engine"]
    print(f"engine / bare: first piece {ef / bf:.2f}x, request {et / bt:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""One round of the peer benchmark for GPT-2 Studio's Engine or transformers' generate(), in its own process.

Run by bench_peers.py with the project's interpreter. The Engine is imported from the checkout that holds
this file (not from an installed copy), so the figures are those of the code in this working tree.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))  # this checkout's gpt2_studio, before any installed one

from measure import Repeat, Timing, emit, memory_mib, read_spec  # noqa: E402


def bench_engine(spec: dict[str, Any], repeat: Repeat) -> dict[str, Any]:
    """GPT-2 Studio's Engine: load_model() + Engine(), then the four requests through Engine.complete."""
    import torch

    import gpt2_studio
    from gpt2_studio.core.generation.engine import Completion, Engine
    from gpt2_studio.core.generation.sampling import SamplingSettings
    from gpt2_studio.core.models.loading import load_model

    if not Path(gpt2_studio.__file__).resolve().is_relative_to(ROOT):
        raise RuntimeError(f"gpt2_studio was imported from {gpt2_studio.__file__}, not from {ROOT}")
    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    base = memory_mib()["rss"]
    started = time.perf_counter()
    engine = Engine(load_model(spec["model"], device="cpu", precision=spec["precision"]))
    load_seconds = time.perf_counter() - started
    if engine.tokenize(spec["doc_a"]) != spec["ids_a"] or engine.tokenize(spec["typed"]) != spec["ids_typed"]:
        raise RuntimeError("the engine tokenizes the prompts differently from the other engines")
    settings = SamplingSettings(temperature=spec["temperature"], top_k=spec["top_k"], seed=spec["seed"])
    last_prompt = ""

    def run(prompt: str, new: int, n: int = 1) -> Completion:
        nonlocal last_prompt
        done = engine.complete(prompt, settings.replace(max_new_tokens=new, num_alternatives=n))
        last_prompt = prompt
        if done.new_tokens != new or done.cancelled:
            raise RuntimeError(f"asked for {new} tokens, got {done.new_tokens} ({done.finish_reasons})")
        return done

    def timing(done: Completion) -> Timing:
        return Timing(done.first_token_seconds, done.tokens_per_second, done.total_seconds)

    def cold(new: int, n: int = 1) -> Timing:
        """A document that shares no first token with the cached one: the whole prompt is read."""
        done = run(spec["doc_b"] if last_prompt.startswith(spec["doc_a"][:1]) else spec["doc_a"], new, n)
        if done.reused_tokens:
            raise RuntimeError(f"a cold prompt reused {done.reused_tokens} cached tokens")
        return timing(done)

    def cached(new: int) -> Timing:
        if last_prompt != spec["doc_a"]:
            run(spec["doc_a"], 1)
        return timing(run(spec["doc_a"], new))

    def typing() -> Completion:
        run(spec["doc_a"], 1)  # the document as it was before the keystrokes
        return run(spec["typed"], 1)

    return {
        "load_s": load_seconds,
        "rss_base": base,
        "prefill_s": repeat(lambda: cold(1), "first_token_seconds"),
        "decode_tps": repeat(lambda: cached(spec["decode_tokens"]), "tokens_per_second"),
        "alt3_cold_s": repeat(lambda: cold(spec["alt_tokens"], spec["alternatives"]), "total_seconds"),
        "typing_s": repeat(lambda: timing(typing()), "first_token_seconds"),
        "typing_reused": typing().reused_tokens,
        "version": f"engine {engine.model.precision}, torch {torch.__version__}",
        # Issue 13: the CPU int8/bf16 path should not need transformers' model classes at all.
        "imports_gpt2_modeling": "transformers.models.gpt2.modeling_gpt2" in sys.modules,
    }


def bench_generate(spec: dict[str, Any], repeat: Repeat) -> dict[str, Any]:
    """transformers' GPT2LMHeadModel.generate() in fp32: from_pretrained(), then the same requests."""
    import torch
    import transformers
    from transformers import GPT2LMHeadModel
    from transformers.generation.streamers import BaseStreamer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if spec["threads"]:
        torch.set_num_threads(spec["threads"])

    class Clock(BaseStreamer):
        """Notes when the first new token arrives (the first put() is the prompt itself)."""

        def __init__(self) -> None:
            self.puts: list[float] = []

        def put(self, value: torch.Tensor) -> None:
            self.puts.append(time.perf_counter())

        def end(self) -> None:
            pass

    base = memory_mib()["rss"]
    started = time.perf_counter()
    model = GPT2LMHeadModel.from_pretrained(spec["model"], dtype=torch.float32, use_safetensors=True).eval()
    load_seconds = time.perf_counter() - started

    def generate(ids: list[int], new: int, n: int = 1) -> Timing:
        torch.manual_seed(spec["seed"])
        input_ids = torch.tensor([ids])
        clock = Clock() if n == 1 else None
        begin = time.perf_counter()
        out = model.generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            do_sample=True,
            top_k=spec["top_k"],
            temperature=spec["temperature"],
            top_p=1.0,
            max_new_tokens=new,
            min_new_tokens=new,
            num_return_sequences=n,
            pad_token_id=model.config.eos_token_id,
            streamer=clock,
        )
        end = time.perf_counter()
        if out.shape != (n, len(ids) + new):
            raise RuntimeError(f"generate() returned shape {tuple(out.shape)}")
        first = clock.puts[1] if clock else float("nan")
        return Timing(first - begin, (new - 1) / (end - first) if new > 1 else float("nan"), end - begin)

    return {
        "load_s": load_seconds,
        "rss_base": base,
        "prefill_s": repeat(lambda: generate(spec["ids_a"], 1), "first_token_seconds"),
        "decode_tps": repeat(lambda: generate(spec["ids_a"], spec["decode_tokens"]), "tokens_per_second"),
        "alt3_cold_s": repeat(
            lambda: generate(spec["ids_a"], spec["alt_tokens"], spec["alternatives"]), "total_seconds"
        ),
        "typing_s": repeat(lambda: generate(spec["ids_typed"], 1), "first_token_seconds"),
        "typing_reused": 0,
        "version": f"transformers {transformers.__version__} fp32, torch {torch.__version__}",
    }


def main() -> int:
    """Measure the engine the spec names and print one result line."""
    spec = read_spec()
    # Imports come before the clock starts (load times exclude them), but only what each side imports at
    # the top: what load_model() imports lazily is part of what a user waits for.
    import torch  # noqa: F401

    repeat = Repeat(spec["reps"], tolerate_others=spec["busy"] or spec["cpu_time"])
    measure = bench_engine if spec["engine"] == "engine" else bench_generate
    emit({**measure(spec, repeat), **repeat.summary()})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One round of the peer benchmark for llama.cpp (llama-cpp-python), in its own process and environment.

Run by bench_peers.py with the interpreter of the environment setup_llamacpp.sh made; it needs only
llama_cpp and the standard library. It measures the same figures as the other workers, through
llama-cpp-python's token generator (`Llama.generate`: llama.cpp's decode and sampler chain, no text
detokenizing), with llama-cpp-python's own prefix reuse of its key/value cache.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Repeat, Timing, emit, memory_mib, read_spec  # noqa: E402


def _no_repacking() -> None:
    """Load weights without llama.cpp's "extra buffer types" (its repacked CPU layouts).

    Llama() has no argument for it, so the model defaults are wrapped. On some CPUs the repacked q8_0
    path crashed for batches of more than one token; this is the way round it (--llama-no-repack).
    """
    import llama_cpp.llama as llama_module

    defaults = llama_module.llama_cpp.llama_model_default_params

    def params() -> Any:
        out = defaults()
        out.use_extra_bufts = False
        return out

    llama_module.llama_cpp.llama_model_default_params = params


def main() -> int:
    """Measure and print one result line."""
    spec = read_spec()
    import llama_cpp
    from llama_cpp import Llama

    if not spec["repack"]:
        _no_repacking()
    repeat = Repeat(spec["reps"], tolerate_others=spec["busy"] or spec["cpu_time"])
    threads = spec["threads"]
    base = memory_mib()["rss"]
    started = time.perf_counter()
    llm = Llama(
        model_path=spec["model"],
        n_ctx=1024,  # GPT-2's n_positions: the same window as the other engines
        n_threads=threads,
        n_threads_batch=threads,
        flash_attn=spec["flash_attn"],
        seed=spec["seed"],
        verbose=False,
    )
    load_seconds = time.perf_counter() - started
    ids_a, ids_b, ids_typed = spec["ids_a"], spec["ids_b"], spec["ids_typed"]
    for text, ids in ((spec["doc_a"], ids_a), (spec["typed"], ids_typed)):
        if llm.tokenize(text.encode("utf-8"), add_bos=False) != ids:
            raise RuntimeError("llama.cpp tokenizes the prompts differently from the other engines")
    last: list[int] = []
    reused = 0

    def run(ids: list[int], new: int) -> Timing:
        """Generate `new` tokens after ids; llama-cpp-python reuses the cached prefix it shares."""
        nonlocal last, reused
        reused = next(
            (i for i, (a, b) in enumerate(zip(last, ids, strict=False)) if a != b), min(len(last), len(ids))
        )
        begin = time.perf_counter()
        first = begin
        count = 0
        for count, _token in enumerate(  # noqa: B007
            llm.generate(
                ids, top_k=spec["top_k"], top_p=1.0, min_p=0.0, temp=spec["temperature"], repeat_penalty=1.0
            ),
            start=1,
        ):
            if count == 1:
                first = time.perf_counter()
            if count == new:
                break
        end = time.perf_counter()
        if count != new:
            raise RuntimeError(f"asked for {new} tokens, got {count}")
        last = list(ids)
        return Timing(first - begin, (new - 1) / (end - first) if new > 1 else float("nan"), end - begin)

    def cold(new: int) -> Timing:
        """A prompt that shares no first token with the cached one: the whole prompt is read."""
        return run(ids_b if last[:1] == ids_a[:1] else ids_a, new)

    def cached(new: int) -> Timing:
        if last != ids_a:
            run(ids_a, 1)
        return run(ids_a, new)

    def alternatives(n: int, new: int) -> Timing:
        """n continuations of a cold prompt, one after another (one sequence at a time, prefix reused)."""
        begin = time.perf_counter()
        first = cold(new)
        prompt = last
        for _ in range(n - 1):
            run(prompt, new)
        return Timing(first.first_token_seconds, first.tokens_per_second, time.perf_counter() - begin)

    def typing() -> Timing:
        run(ids_a, 1)  # the document as it was before the keystrokes
        return run(ids_typed, 1)

    result = {
        "load_s": load_seconds,
        "rss_base": base,
        "prefill_s": repeat(lambda: cold(1), "first_token_seconds"),
        "decode_tps": repeat(lambda: cached(spec["decode_tokens"]), "tokens_per_second"),
        "alt3_cold_s": repeat(
            lambda: alternatives(spec["alternatives"], spec["alt_tokens"]), "total_seconds"
        ),
        "typing_s": repeat(typing, "first_token_seconds"),
    }
    typing()
    result["typing_reused"] = reused
    result["version"] = f"llama-cpp-python {llama_cpp.__version__}"
    emit({**result, **repeat.summary()})
    return 0


if __name__ == "__main__":
    sys.exit(main())

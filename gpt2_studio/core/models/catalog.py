"""The GPT-2 family as published on the Hugging Face Hub, and what each model costs to run."""

from __future__ import annotations

from dataclasses import dataclass

# What the CPU estimate is made of, measured with benchmarks/bench_loading.py (Linux, 2 threads): Python,
# torch and the tokenizer take 255–290 MB before any weight; the weights take their size in the chosen
# precision (int8: one byte a parameter; the position embedding stays fp32); the first load of an int8
# or bf16 model also holds about four copies of the largest fp32 matrix while quantizing it; a request
# adds the key/value cache and activations. The cache (runner.cache) holds the prompt once, up to the
# whole window, which every alternative reads in place, plus each alternative's own positions (at most
# one chunk of 128 each for three alternatives); it is fp16 on the CPU's int8/bf16 paths and on the GPU,
# fp32 only on the CPU's exact fp32 path.
_CPU_RUNTIME_BYTES = 300_000_000
_ACTIVATION_BYTES = 60_000_000
_CUDA_CONTEXT_BYTES = 600_000_000
_POSITIONS = 1024
_CACHE_POSITIONS = _POSITIONS + 3 * 128


@dataclass(frozen=True)
class CatalogModel:
    """One downloadable GPT-2 checkpoint and what it costs."""

    name: str
    repo_id: str
    parameters: int
    download_bytes: int
    n_layer: int
    n_embd: int
    description: str

    def _kv_cache_bytes(self, bytes_per_value: int) -> int:
        return 2 * self.n_layer * _CACHE_POSITIONS * self.n_embd * bytes_per_value

    def weight_bytes(self, precision: str = "int8") -> int:
        """Bytes the weights take in memory on the CPU in `precision` (int8, bf16 or fp32)."""
        per_parameter = {"int8": 1, "bf16": 2}.get(precision, 4)
        # The position embedding (1024 × width) stays fp32 in every precision.
        return self.parameters * per_parameter + _POSITIONS * self.n_embd * (4 - per_parameter)

    def load_memory_bytes(self, precision: str = "int8") -> int:
        """Peak RAM of loading on the CPU: the weights, plus the quantizing work of a first int8/bf16 load."""
        quantizing = 4 * 16 * self.n_embd * self.n_embd if precision in ("int8", "bf16") else 0
        return _CPU_RUNTIME_BYTES + self.weight_bytes(precision) + quantizing

    def cpu_memory_bytes(self, precision: str = "int8") -> int:
        """Peak RAM on the CPU with a full window and three alternatives (loading peaks lower)."""
        cache = self._kv_cache_bytes(4 if precision == "fp32" else 2)
        use = self.weight_bytes(precision) + cache + _ACTIVATION_BYTES
        return max(self.load_memory_bytes(precision), _CPU_RUNTIME_BYTES + use)

    def gpu_memory_bytes(self) -> int:
        """GPU memory needed in fp16."""
        return self.parameters * 2 + self._kv_cache_bytes(2) + _CUDA_CONTEXT_BYTES


CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel("gpt2", "openai-community/gpt2", 124_439_808, 548_105_171, 12, 768,
                 "GPT-2 small (124M): fast on any computer; the default"),
    CatalogModel("gpt2-medium", "openai-community/gpt2-medium", 354_823_168, 1_520_013_706, 24, 1024,
                 "GPT-2 medium (355M): better text, about 3× slower"),
    CatalogModel("gpt2-large", "openai-community/gpt2-large", 774_030_080, 3_247_202_234, 36, 1280,
                 "GPT-2 large (774M): good text; a GPU helps"),
    CatalogModel("gpt2-xl", "openai-community/gpt2-xl", 1_557_611_200, 6_431_878_936, 48, 1600,
                 "GPT-2 XL (1.5B): the full model; wants a GPU or a fast CPU"),
    CatalogModel("distilgpt2", "distilbert/distilgpt2", 81_912_576, 352_824_413, 6, 768,
                 "DistilGPT-2 (82M): the fastest, rougher text"),
)  # fmt: skip


def find_catalog_model(name: str) -> CatalogModel | None:
    """Look a model up by short name (``gpt2``) or repo id (``openai-community/gpt2``)."""
    key = name.strip().lower()
    for entry in CATALOG:
        if key in (entry.name, entry.repo_id.lower()):
            return entry
    return None

"""The GPT-2 family as published on the Hugging Face Hub, and what each model costs to run."""

from __future__ import annotations

from dataclasses import dataclass

# Room for the key/value cache of a full window with a few alternatives, activations, and the
# framework itself; measured loosely, it keeps the "fits" verdict on the safe side.
_RUNTIME_OVERHEAD_BYTES = 400_000_000
_CUDA_CONTEXT_BYTES = 600_000_000
_CACHE_ROWS = 4  # the prompt row plus three alternatives


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
        return 2 * self.n_layer * 1024 * self.n_embd * bytes_per_value * _CACHE_ROWS

    def cpu_memory_bytes(self, precision: str = "int8") -> int:
        """RAM needed on the CPU, at the peak of loading (the fp32 weights are read before int8/bf16)."""
        fp32 = self.parameters * 4
        extra = {"int8": self.parameters, "bf16": self.parameters * 2}.get(precision, 0)
        return fp32 + extra + self._kv_cache_bytes(4) + _RUNTIME_OVERHEAD_BYTES

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

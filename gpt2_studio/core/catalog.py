"""The GPT-2 family as published on the Hugging Face Hub."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogModel:
    """One downloadable GPT-2 checkpoint and what it costs."""

    name: str
    repo_id: str
    parameters: int
    download_bytes: int
    description: str


CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel("gpt2", "openai-community/gpt2", 124_000_000, 548_000_000, "GPT-2 small: fast on any CPU"),
    CatalogModel("gpt2-medium", "openai-community/gpt2-medium", 355_000_000, 1_520_000_000, "GPT-2 medium"),
    CatalogModel("gpt2-large", "openai-community/gpt2-large", 774_000_000, 3_250_000_000, "GPT-2 large"),
    CatalogModel(
        "gpt2-xl", "openai-community/gpt2-xl", 1_558_000_000, 6_430_000_000, "GPT-2 XL, the 1.5B model"
    ),
    CatalogModel("distilgpt2", "distilbert/distilgpt2", 82_000_000, 353_000_000, "Distilled GPT-2: fastest"),
)


def find_catalog_model(name: str) -> CatalogModel | None:
    """Look a model up by short name (``gpt2``) or repo id (``openai-community/gpt2``)."""
    key = name.strip().lower()
    for entry in CATALOG:
        if key in (entry.name, entry.repo_id.lower()):
            return entry
    return None

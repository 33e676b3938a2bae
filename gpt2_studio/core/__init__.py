"""The Qt-free core: model loading, generation, sampling settings.

Importing this package is cheap; torch and transformers load only when a model does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gpt2_studio.core.errors import GenerationError, ModelError, SettingsError, StudioError
from gpt2_studio.core.generation.sampling import SamplingSettings

if TYPE_CHECKING:
    from gpt2_studio.core.generation.engine import Completion, Engine
    from gpt2_studio.core.models.loading import LoadedModel, load_model

__all__ = [
    "Completion",
    "Engine",
    "GenerationError",
    "LoadedModel",
    "ModelError",
    "Prompt",
    "SamplingSettings",
    "SettingsError",
    "StudioError",
    "load_model",
]

_LAZY = {
    "Completion": "gpt2_studio.core.generation.engine",
    "Engine": "gpt2_studio.core.generation.engine",
    "LoadedModel": "gpt2_studio.core.models.loading",
    "Prompt": "gpt2_studio.core.generation.context",
    "load_model": "gpt2_studio.core.models.loading",
}


def __getattr__(name: str) -> object:
    # Lazy so that `import gpt2_studio.core` does not pull in torch.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)

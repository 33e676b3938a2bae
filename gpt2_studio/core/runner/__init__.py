"""The lean GPT-2 runner: weights in the runner's layout and precision, and the forward pass over them.

Pure torch: no transformers model class is needed to build or run it (the CPU path loads a checkpoint's
safetensors straight into `RunnerWeights`).
"""

from gpt2_studio.core.runner.cache import BranchCache, KVCache
from gpt2_studio.core.runner.forward import GPT2Runner
from gpt2_studio.core.runner.layers import PRECISIONS, int8_supported
from gpt2_studio.core.runner.weights import RunnerConfig, RunnerWeights

__all__ = [
    "PRECISIONS",
    "BranchCache",
    "GPT2Runner",
    "KVCache",
    "RunnerConfig",
    "RunnerWeights",
    "int8_supported",
]

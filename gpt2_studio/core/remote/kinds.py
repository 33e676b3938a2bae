"""Which sampling settings each kind of completions server honours, and how it names them.

The OpenAI completions API has temperature, top_p, n, stop, seed and logprobs; servers add their own
names for the rest (llama.cpp: top_k, repeat_penalty; vLLM: top_k, repetition_penalty; TGI:
repetition_penalty). A setting a server ignores is left out of the request, and the sampling panel
says so (`ignored`). What each server does was read from its own request schema: llama-cpp-python
0.3.36's CreateCompletionRequest (it drops `n`), llama.cpp's server README, vLLM's and TGI's OpenAI
routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Setting names as SamplingSettings spells them, plus the API's own "logprobs" and "echo".
TEMPERATURE = "temperature"
TOP_K = "top_k"
TOP_P = "top_p"
REPETITION_PENALTY = "repetition_penalty"
SEED = "seed"
ALTERNATIVES = "num_alternatives"  # the API's `n`
STOP = "stop_strings"  # the API's `stop`; stops are also applied here, so they always work
LOGPROBS = "logprobs"
ECHO = "echo"  # prompt log-probabilities (the likelihood lens)
LOGIT_BIAS = "logit_bias"  # {token id: bias}, which token healing's constraint is sent as


@dataclass(frozen=True)
class ServerKind:
    """One kind of server: its name, what it honours, and its names for the non-OpenAI settings."""

    name: str
    label: str
    honours: frozenset[str]
    names: tuple[tuple[str, str], ...] = ()  # (our setting, the server's request field)

    def field(self, setting: str) -> str:
        """The request field for a setting (the OpenAI name unless the server has its own)."""
        return dict(self.names).get(setting, setting)

    def ignored(self, settings: tuple[str, ...]) -> tuple[str, ...]:
        """Those of settings this server does not honour, for the sampling panel and the CLI."""
        return tuple(name for name in settings if name not in self.honours)


_OPENAI = frozenset({TEMPERATURE, TOP_P, SEED, ALTERNATIVES, STOP, LOGPROBS, ECHO, LOGIT_BIAS})

LLAMA_CPP_PYTHON = ServerKind(
    "llama-cpp-python",
    "llama.cpp (llama-cpp-python)",
    frozenset({TEMPERATURE, TOP_K, TOP_P, REPETITION_PENALTY, SEED, STOP, LOGPROBS, ECHO, LOGIT_BIAS}),
    ((REPETITION_PENALTY, "repeat_penalty"),),
)
LLAMA_SERVER = ServerKind(
    "llama-server",
    "llama.cpp (llama-server)",
    frozenset({TEMPERATURE, TOP_K, TOP_P, REPETITION_PENALTY, SEED, STOP, LOGPROBS, LOGIT_BIAS}),
    ((REPETITION_PENALTY, "repeat_penalty"),),
)
VLLM = ServerKind(
    "vllm",
    "vLLM",
    _OPENAI | {TOP_K, REPETITION_PENALTY},
)
TGI = ServerKind(
    "tgi",
    "Text Generation Inference",
    frozenset({TEMPERATURE, TOP_P, REPETITION_PENALTY, SEED, STOP}),
)
GENERIC = ServerKind("openai", "OpenAI-compatible", _OPENAI)

KINDS = {kind.name: kind for kind in (LLAMA_CPP_PYTHON, LLAMA_SERVER, VLLM, TGI, GENERIC)}
# The settings a user sets in the sampling panel or on the command line that a server may ignore.
PANEL_SETTINGS = (TEMPERATURE, TOP_K, TOP_P, REPETITION_PENALTY, SEED, ALTERNATIVES)


def detect_kind(model: dict[str, Any]) -> ServerKind:
    """The kind of server from its /v1/models entry for the model (GENERIC when it does not say)."""
    owner = model.get("owned_by")
    if owner == "vllm":
        return VLLM
    if owner == "llamacpp" or isinstance(model.get("meta"), dict):
        return LLAMA_SERVER
    if owner == "me":  # llama-cpp-python's server says so, and nothing else does
        return LLAMA_CPP_PYTHON
    if owner is not None and owner == model.get("id"):  # TGI names the model as its own owner
        return TGI
    return GENERIC


def reported_window(model: dict[str, Any]) -> int | None:
    """The model's window in tokens where /v1/models reports it (llama-server's meta, vLLM's field)."""
    meta = model.get("meta")
    candidates = [model.get("max_model_len")]
    if isinstance(meta, dict):
        candidates += [meta.get("n_ctx_train"), meta.get("n_ctx")]
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None

"""Everything checked and estimated before a run starts: names, corpus, sizes, time, memory and disk.

Nothing here imports torch: the plan (corpus tokens, estimates, every refusal) is ready in the time it
takes to read and tokenize the files, so a dialog can show it as the user picks them.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gpt2_studio import paths
from gpt2_studio.core.errors import ModelError, SettingsError
from gpt2_studio.core.models.checkpoint import CheckpointInfo, inspect_checkpoint
from gpt2_studio.core.models.memory import format_bytes
from gpt2_studio.core.models.resolve import resolve_model
from gpt2_studio.core.models.store import check_model_name, installed_folder
from gpt2_studio.core.training.blocks import PreparedText, block_starts, prepare_text
from gpt2_studio.core.training.corpus import Corpus, TrainingError, read_corpus

#: Environment variables that stand in for the free memory and disk (bytes): tests and "what if" plans.
FREE_MEMORY_ENV = "GPT2_STUDIO_TRAIN_FREE_MEMORY"
FREE_DISK_ENV = "GPT2_STUDIO_TRAIN_FREE_DISK"
MAX_LORA_RANK = 256
#: The time model (estimate_run), fitted to benchmarks/bench_training.py on the 124M shape on an idle
#: machine (bf16 autocast with AMX: 587 tokens/s full, 719 LoRA; fp32 LoRA 382; 2 threads) and to
#: steps timed on small shapes (2-4 layers, width 32-256, vocabulary 400 and 50,257; see README).
#: Matrix products: floating-point operations per second per CPU thread.
CPU_FLOPS_PER_THREAD = {"bf16": 320e9, "fp32": 150e9}
#: Per token and vocabulary entry: the logits, their fp32 copy, log-softmax and its gradient are memory
#: work that the matrix-product rate does not describe. It dominates small models (GPT-2's vocabulary
#: of 50,257 costs ~0.35 ms a token however narrow the model); on CUDA it is folded into CUDA_FLOPS.
CPU_VOCABULARY_SECONDS = 7e-9
#: Activation bytes per token, per layer, per unit of width kept for the backward pass (measured on the
#: 124M shape, fused attention: bf16 autocast 68, which is Korthikanti et al.'s 34·d in 16 bits doubled;
#: fp32 about four times that).
ACTIVATION_BYTES = {"bf16": 68, "fp32": 260}
CUDA_FLOPS = 20e12
#: What Python, torch and the tokenizer hold before any tensor of ours.
BASE_PROCESS_BYTES = 800_000_000
DROPOUT_SLOWDOWN = 3.3  # measured: 587 → 174 tokens/s on 124M (bf16) with GPT-2's dropout of 0.1
#: Python and operator overhead, whatever the tokens: per optimizer step (zeroing, clipping, AdamW), and
#: per micro-batch and layer (the forward and backward calls of each block and its adapters); measured
#: at ~35 ms a step on two layers. Then the fixed cost of a run: importing torch and peft, loading the
#: model, the before/after samples.
STEP_OVERHEAD_SECONDS = 0.015
MICRO_BATCH_LAYER_SECONDS = 0.01
START_SECONDS = 5.0
SAVE_INTERVAL_SECONDS = 300.0  # the default checkpoint interval: at most ~5 minutes of work lost


@dataclass(frozen=True)
class TrainingSettings:
    """How to train; None means "choose for me" (see the plan for what was chosen).

    steps: optimizer steps; minutes: a time budget instead (the run stops when it is spent).
    lora_rank: 0 is full fine-tuning. batch_size: blocks per optimizer step (the effective batch),
    run in micro-batches of micro_batch with gradient accumulation. dropout: GPT-2's own dropout while
    training, LoRA's too (0 by default: fused attention, much faster on a CPU). precision:
    "auto" (bf16 autocast on a CPU that has bf16 instructions, else fp32), "fp32" or "bf16". device:
    "auto", "cpu" or "cuda".
    """

    steps: int | None = None
    minutes: float | None = None
    lora_rank: int = 8
    learning_rate: float | None = None
    block_size: int | None = None
    batch_size: int = 8
    micro_batch: int | None = None
    save_every: int | None = None
    heldout_fraction: float = 0.1
    dropout: float = 0.0
    seed: int = 0
    precision: str = "auto"
    device: str = "auto"
    samples: int = 3
    sample_tokens: int = 30

    def check(self) -> None:
        """SettingsError (one sentence) for a value outside what is allowed."""
        if self.steps is not None and self.minutes is not None:
            raise SettingsError("Give either --steps or --minutes, not both.")
        if self.steps is not None and self.steps < 1:
            raise SettingsError(f"--steps must be at least 1, not {self.steps}.")
        if self.minutes is not None and not (0 < self.minutes <= 7 * 24 * 60):
            raise SettingsError(f"--minutes must be more than 0 and at most a week, not {self.minutes}.")
        if not 0 <= self.lora_rank <= MAX_LORA_RANK:
            raise SettingsError(
                f"--lora-rank must be 0 (full fine-tuning) to {MAX_LORA_RANK}, not {self.lora_rank}."
            )
        if self.learning_rate is not None and not (0 < self.learning_rate <= 1):
            raise SettingsError(
                f"--learning-rate must be more than 0 and at most 1, not {self.learning_rate}."
            )
        if self.block_size is not None and self.block_size < 8:
            raise SettingsError(f"--block-size must be at least 8 tokens, not {self.block_size}.")
        if not 1 <= self.batch_size <= 4096:
            raise SettingsError(f"--batch-size must be 1 to 4096 blocks, not {self.batch_size}.")
        if self.micro_batch is not None and not 1 <= self.micro_batch <= self.batch_size:
            raise SettingsError(f"the micro-batch must be 1 to the batch size, not {self.micro_batch}.")
        if self.save_every is not None and self.save_every < 1:
            raise SettingsError(f"--save-every must be at least 1 step, not {self.save_every}.")
        if not 0 <= self.dropout < 1:
            raise SettingsError(f"--dropout must be at least 0 and below 1, not {self.dropout}.")
        if not 0 < self.heldout_fraction < 0.5:
            raise SettingsError("the held-out share must be between 0 and 0.5.")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise SettingsError(f"precision must be auto, fp32 or bf16, not {self.precision!r}.")
        if self.device not in ("auto", "cpu", "cuda"):
            raise SettingsError(f"device must be auto, cpu or cuda, not {self.device!r}.")

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (recorded in the run state and the model's manifest)."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSettings:
        """Settings read back from as_dict (unknown keys ignored, so older runs still resume)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to take on this device."""

    seconds: float
    peak_memory_bytes: int
    disk_bytes: int
    tokens_per_second: float


@dataclass(frozen=True)
class Resources:
    """Free memory (RAM, or GPU memory on CUDA) and free disk where the run and the model are written."""

    free_memory_bytes: int | None
    free_disk_bytes: int | None


@dataclass(frozen=True)
class TrainingPlan:
    """A run that passed every check: what it trains on, with what, and what it will cost."""

    base: str
    base_folder: Path
    info: CheckpointInfo
    name: str
    corpus: Corpus
    text: PreparedText
    settings: TrainingSettings  # with every None resolved except minutes
    steps: int
    block_size: int
    learning_rate: float
    micro_batch: int
    save_every: int
    device: str
    precision: str
    estimate: Estimate
    trainable_parameters: int
    resume: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def lora_rank(self) -> int:
        """0 for full fine-tuning."""
        return self.settings.lora_rank

    def event(self) -> dict[str, Any]:
        """The "plan" event (see the README's JSON lines)."""
        return {
            "event": "plan",
            "base": self.base,
            "name": self.name,
            "documents": len(self.corpus.documents),
            "corpus_tokens": self.text.corpus_tokens,
            "train_tokens": self.text.train_tokens,
            "heldout_tokens": self.text.heldout_tokens,
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in self.corpus.skipped],
            "steps": self.steps,
            "block_size": self.block_size,
            "lora_rank": self.lora_rank,
            "estimate": {
                "seconds": round(self.estimate.seconds, 1),
                "peak_memory_bytes": self.estimate.peak_memory_bytes,
                "disk_bytes": self.estimate.disk_bytes,
            },
        }


def training_root() -> Path:
    """Where runs keep their resumable state, one folder per run name."""
    return paths.data_dir() / "training"


def run_folder(name: str) -> Path:
    """The state folder of the run that makes the model ``name``."""
    return training_root() / check_model_name(name)


def _env_bytes(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return max(0, int(float(value)))
    except ValueError:
        raise SettingsError(f"{name} must be a number of bytes, not {value!r}.") from None


def measure_resources(device: str) -> Resources:
    """Free memory and disk now (the environment variables above stand in for either, when set)."""
    from gpt2_studio.core.models.memory import free_ram_bytes, free_vram_bytes

    memory = _env_bytes(FREE_MEMORY_ENV)
    if memory is None:
        memory = free_vram_bytes(import_torch=True) if device == "cuda" else free_ram_bytes()
    disk = _env_bytes(FREE_DISK_ENV)
    if disk is None:
        folder = paths.data_dir()
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        try:
            disk = shutil.disk_usage(folder).free
        except OSError:
            disk = None
    return Resources(memory, disk)


def lora_parameters(info: CheckpointInfo, rank: int) -> int:
    """Adapter weights of rank r on c_attn, attn c_proj, c_fc and mlp c_proj: r·(in+out) each, per layer."""
    d = info.n_embd
    inner = int(info.config.get("n_inner") or 4 * d)
    per_layer = (d + 3 * d) + (d + d) + (d + inner) + (inner + d)
    return rank * per_layer * info.n_layer


def pick_device(requested: str) -> str:
    """cuda when asked for or (auto) available; cpu otherwise. Imports torch only when cuda may be used."""
    if requested == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if requested == "cuda":
        raise SettingsError(f"CUDA was asked for, but this torch {torch.__version__} sees no CUDA GPU.")
    return "cpu"


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 matrix products natively (AVX512-BF16 or AMX), where autocast pays."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError, ImportError):
        return False


def pick_precision(requested: str, device: str) -> str:
    """fp32 or bf16 (autocast): auto takes bf16 on a CPU with bf16 instructions and on CUDA."""
    if requested != "auto":
        return requested
    if device == "cuda":
        return "bf16"
    return "bf16" if cpu_has_bf16() else "fp32"


def estimate_run(
    info: CheckpointInfo,
    *,
    rank: int,
    steps: int,
    batch_size: int,
    micro_batch: int,
    block_size: int,
    heldout_tokens: int,
    device: str,
    precision: str,
    threads: int,
    weights_bytes: int,
    dropout: float = 0.0,
) -> Estimate:
    """Time, peak memory and disk of a run, from the model's shape, for an otherwise idle machine.

    Time per step: STEP_OVERHEAD_SECONDS, plus MICRO_BATCH_LAYER_SECONDS per micro-batch and layer,
    plus per token the matrix products at CPU_FLOPS_PER_THREAD·threads (6·N FLOPs for full fine-tuning
    and 5·N with LoRA, which skips the frozen weights' gradients but adds peft's passes: measured; plus
    attention) and CPU_VOCABULARY_SECONDS per vocabulary entry; plus the held-out scoring before and
    after. Other busy programs slow it in proportion (README: "how far to trust the estimate").
    Memory: fp32 weights, for full fine-tuning their gradients and AdamW's two moments (16 bytes a
    weight in all), and the activations of one micro-batch (ACTIVATION_BYTES·d per token per layer, and
    16 bytes per vocabulary entry for the logits, their fp32 copy, log-softmax and gradient). With
    dropout the attention runs on torch's math path, which keeps each head's attention matrix and
    dropout mask (~14 bytes per entry measured) and takes DROPOUT_SLOWDOWN times as long. Disk: the
    merged model plus two checkpoints (the new one is written before the old one goes).
    """
    n = info.parameters
    d, layers, vocab = info.n_embd, info.n_layer, info.vocab_size
    adapter = lora_parameters(info, rank) if rank else 0
    slowdown = DROPOUT_SLOWDOWN if dropout else 1
    per_token = ((5 if rank else 6) * n + 6 * layers * block_size * d) * slowdown
    flops = CUDA_FLOPS if device == "cuda" else CPU_FLOPS_PER_THREAD.get(precision, 30e9) * max(1, threads)
    vocabulary = 0.0 if device == "cuda" else CPU_VOCABULARY_SECONDS * vocab
    token_seconds = per_token / flops + vocabulary
    micro_batches = max(1, batch_size // max(1, micro_batch))
    step_overhead = STEP_OVERHEAD_SECONDS + micro_batches * layers * MICRO_BATCH_LAYER_SECONDS * slowdown
    tokens_per_step = batch_size * block_size
    step_seconds = tokens_per_step * token_seconds + step_overhead
    eval_tokens = heldout_tokens * 2 * (2 + 1)  # twice (before, after) at stride half: 2n tokens each
    eval_seconds = eval_tokens * (2 * n / flops + vocabulary / 3)  # forward only
    seconds = steps * step_seconds + eval_seconds + START_SECONDS
    tokens_per_second = tokens_per_step / step_seconds
    state = 4 * n + (16 * adapter if rank else 12 * n)
    attention = 14 * layers * info.n_head * block_size if dropout else 0
    inner = int(info.config.get("n_inner") or 4 * d)
    adapted_inputs = 4 * layers * (3 * d + inner) if rank else 0  # peft keeps them once more
    per_layer = ACTIVATION_BYTES.get(precision, ACTIVATION_BYTES["fp32"]) * d
    activations = micro_batch * block_size * (layers * per_layer + 16 * vocab + attention + adapted_inputs)
    peak = BASE_PROCESS_BYTES + state + activations
    checkpoint = 12 * adapter if rank else 12 * n
    disk = weights_bytes + 2 * checkpoint + 4_000_000
    return Estimate(seconds, int(peak), int(disk), tokens_per_second)


def default_learning_rate(rank: int) -> float:
    """LoRA's adapters take a larger step than full fine-tuning of the weights themselves."""
    return 5e-4 if rank else 5e-5


def _micro_batch(batch: int, block_size: int, requested: int | None) -> int:
    """Blocks per forward pass: about 2,048 tokens, a divisor of the batch so accumulation is exact."""
    if requested is not None:
        return requested
    cap = max(1, 2048 // block_size)
    return max(k for k in range(1, min(batch, cap) + 1) if batch % k == 0)


def check_name(name: str, *, resume: bool) -> None:
    """The new model's name: valid, not a catalogue model's, not installed, and a stopped run of it
    only with resume."""
    from gpt2_studio.core.models.catalog import find_catalog_model
    from gpt2_studio.core.training.checkpoints import saved_step

    check_model_name(name)
    if find_catalog_model(name) is not None:
        # It would pose as the download of that name in the model list and in `generate --model`.
        raise TrainingError(
            f"{name!r} is the name of a GPT-2 model in the catalogue; choose another name for your model."
        )
    if installed_folder(name) is not None:
        raise TrainingError(
            f"A model named {name!r} is already installed; choose another name or remove it first "
            f"(gpt2-studio models remove {name})."
        )
    step = saved_step(run_folder(name))
    if resume and step is None:
        raise TrainingError(f"There is no stopped run named {name!r} to resume.")
    if not resume and step is not None:
        raise TrainingError(
            f"A run named {name!r} stopped at step {step}; continue it with --resume or remove it with "
            "--discard."
        )


def make_plan(
    base: str | Path,
    sources: Sequence[str | Path],
    name: str,
    settings: TrainingSettings,
    *,
    resume: bool = False,
    resources: Resources | None = None,
    threads: int | None = None,
) -> TrainingPlan:
    """Check everything a run needs and estimate what it takes; TrainingError/SettingsError/ModelError
    (one sentence) for the first problem: base model not installed, bad name, no usable text, a corpus
    smaller than one block, not enough memory or disk."""
    settings.check()
    check_name(name, resume=resume)
    try:
        base_name, folder = resolve_model(base)
        info = inspect_checkpoint(folder)
    except ModelError as exc:
        raise ModelError(f"The base model is not installed: {exc}") from None
    from gpt2_studio.core.models.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(info.folder)
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ModelError(f"The base model {base_name} has no <|endoftext|> token to separate documents.")
    corpus = read_corpus(sources)
    text = prepare_text(corpus, tokenizer.encode_plain, eos, settings.heldout_fraction)
    block = settings.block_size or info.n_positions
    if block > info.n_positions:
        raise SettingsError(
            f"--block-size must be at most the model's window of {info.n_positions} tokens, not {block}."
        )
    blocks = len(block_starts(text.train_tokens, block))
    if blocks == 0:
        raise TrainingError(
            f"The text for training has {text.train_tokens:,} tokens, fewer than one block of {block:,}; "
            "add more writing or choose a smaller --block-size."
        )
    device = pick_device(settings.device)
    precision = pick_precision(settings.precision, device)
    micro = _micro_batch(settings.batch_size, block, settings.micro_batch)
    if threads is None:
        from gpt2_studio.core.runner.threads import usable_cpus

        threads = usable_cpus()
    weights_bytes = sum(p.stat().st_size for p in info.weight_files)

    def estimate(steps: int) -> Estimate:
        return estimate_run(
            info,
            rank=settings.lora_rank,
            steps=steps,
            batch_size=settings.batch_size,
            micro_batch=micro,
            block_size=block,
            heldout_tokens=text.heldout_tokens,
            device=device,
            precision=precision,
            threads=threads,
            weights_bytes=weights_bytes,
            dropout=settings.dropout,
        )

    step_seconds = estimate(1).seconds - estimate(0).seconds
    if settings.steps is not None:
        steps = settings.steps
    elif settings.minutes is not None:
        steps = max(1, int(settings.minutes * 60 / max(step_seconds, 1e-9)))
    else:  # two passes over the training blocks
        steps = max(1, math.ceil(2 * blocks / settings.batch_size))
    chosen = estimate(steps)
    save_every = settings.save_every or max(
        1, min(steps, round(SAVE_INTERVAL_SECONDS / max(step_seconds, 1e-9)))
    )
    rate = settings.learning_rate or default_learning_rate(settings.lora_rank)
    resolved = replace(
        settings, block_size=block, learning_rate=rate, micro_batch=micro, save_every=save_every,
        steps=settings.steps, precision=precision, device=device,
    )  # fmt: skip
    _check_resources(chosen, resources or measure_resources(device), device, settings.lora_rank)
    trainable = lora_parameters(info, settings.lora_rank) if settings.lora_rank else info.parameters
    return TrainingPlan(
        base=base_name,
        base_folder=info.folder,
        info=info,
        name=name,
        corpus=corpus,
        text=text,
        settings=resolved,
        steps=steps,
        block_size=block,
        learning_rate=rate,
        micro_batch=micro,
        save_every=save_every,
        device=device,
        precision=precision,
        estimate=chosen,
        trainable_parameters=trainable,
        resume=resume,
        notes=[text.heldout_note],
    )


def _check_resources(estimate: Estimate, resources: Resources, device: str, rank: int) -> None:
    memory, disk = resources.free_memory_bytes, resources.free_disk_bytes
    where = "GPU memory" if device == "cuda" else "memory"
    if memory is not None and estimate.peak_memory_bytes > memory:
        # With LoRA the weights' state is small: what is left to cut is the blocks held at once.
        advice = (
            "use a smaller --batch-size (the blocks held in memory at once), then a smaller --block-size"
            if rank
            else "use LoRA (--lora-rank 8), a smaller --batch-size, then a smaller --block-size"
        )
        raise TrainingError(
            f"Training needs about {format_bytes(estimate.peak_memory_bytes)} of {where} but only "
            f"{format_bytes(memory)} is free; {advice}, or close other programs."
        )
    if disk is not None and estimate.disk_bytes > disk:
        raise TrainingError(
            f"Training needs about {format_bytes(estimate.disk_bytes)} of disk space for the new model and "
            f"its checkpoints but only {format_bytes(disk)} is free in {paths.data_dir()}."
        )

"""The training loop: a short loop around torch's AdamW, LoRA adapters through peft or full weights.

Why our own loop rather than transformers' Trainer: it needs nothing beyond torch and peft (Trainer
pulls in accelerate's machinery and datasets-shaped inputs), and resume and cancel are exact: the loop
checks the cancel flag after every optimizer step, saves only safetensors (Trainer's checkpoints pickle
the optimizer and RNG state), and derives the data order from the step number, so a resumed run sees the
very batches the uninterrupted one would have.

Events go to a callback as plain dicts, the same objects `gpt2-studio train --json` prints (see the
README): plan, baseline, step, heldout, checkpoint, interrupted, done.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpt2_studio.core.training import checkpoints, evaluation
from gpt2_studio.core.training.blocks import block_starts
from gpt2_studio.core.training.corpus import TrainingError
from gpt2_studio.core.training.install import install_model, weights_sha256
from gpt2_studio.core.training.lock import run_lock
from gpt2_studio.core.training.plan import TrainingPlan, run_folder

log = logging.getLogger(__name__)

Event = dict[str, Any]
LORA_TARGETS = ("c_attn", "c_proj", "c_fc")
#: Windows scored for the held-out reading at each checkpoint (the before/after figures score all).
QUICK_HELDOUT_WINDOWS = 16
GRADIENT_CLIP = 1.0


@dataclass
class TrainingResult:
    """How a run ended: installed (folder set), or interrupted and resumable at ``step``."""

    name: str
    step: int
    interrupted: bool = False
    folder: str = ""
    perplexity_before: float = math.nan
    perplexity_after: float = math.nan
    samples: list[dict[str, str]] = field(default_factory=list)


def _autocast(device: str, precision: str) -> Callable[[], Any]:
    import torch

    if precision != "bf16":
        return contextlib.nullcontext
    return lambda: torch.autocast(device_type=device, dtype=torch.bfloat16)


def load_base(plan: TrainingPlan) -> Any:
    """The base checkpoint as transformers' GPT2LMHeadModel in fp32, from safetensors only."""
    import torch
    from transformers import GPT2LMHeadModel

    from gpt2_studio.core.models.loading import check_finite, quiet_transformers

    with quiet_transformers():
        model = GPT2LMHeadModel.from_pretrained(
            str(plan.base_folder), dtype=torch.float32, use_safetensors=True, local_files_only=True
        )
    check_finite(model, plan.base_folder)
    # The setting's dropout replaces GPT-2's own (0.1) while training: at 0, torch's fused attention runs
    # instead of the math path that keeps the attention matrix and its mask (measured on the 124M shape:
    # 3.4x faster and 2 GB less memory per 1,024 tokens). The saved config keeps the base's values.
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = plan.settings.dropout
    model.config.use_cache = False
    model.loss_type = "ForCausalLM"  # the name GPT2LMHeadModel does not spell out (else a warning per run)
    return model.to(plan.device)  # type: ignore[arg-type]


def add_adapters(model: Any, rank: int, dropout: float = 0.0) -> Any:
    """LoRA of rank r (alpha 2r) on c_attn, c_proj and c_fc (GPT-2's Conv1D: fan_in_fan_out), or all
    weights (rank 0)."""
    if rank == 0:
        model.requires_grad_(True)
        return model
    import warnings

    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=rank,
        lora_alpha=2 * rank,
        lora_dropout=dropout,  # above 0, peft keeps a copy of each adapted input: 0.5 GB per 2,048 tokens
        target_modules=list(LORA_TARGETS),
        fan_in_fan_out=True,
        bias="none",
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # peft 0.21 asks transformers 5 a deprecated question
        warnings.simplefilter("ignore", FutureWarning)
        return get_peft_model(model, config)


def merge(model: Any) -> Any:
    """The LoRA adapters added into the base weights: a plain GPT2LMHeadModel (peft's merge_and_unload)."""
    from tqdm import tqdm

    # peft's (disabled) progress bar still starts tqdm's monitor thread, which would outlive the run.
    interval = tqdm.monitor_interval
    tqdm.monitor_interval = 0
    try:
        return model.merge_and_unload()
    finally:
        tqdm.monitor_interval = interval


class _Batches:
    """The blocks of each step, from the step number alone: epoch e's order is a permutation seeded by e."""

    def __init__(self, ids: tuple[int, ...], block: int, batch: int, seed: int) -> None:
        import torch

        self._ids = torch.tensor(ids, dtype=torch.long)
        self._starts = block_starts(len(ids), block)
        self._block, self._batch, self._seed = block, batch, seed
        self._orders: dict[int, list[int]] = {}

    def _order(self, epoch: int) -> list[int]:
        import torch

        if epoch not in self._orders:
            generator = torch.Generator().manual_seed(self._seed * 1_000_003 + epoch)
            self._orders = {epoch: torch.randperm(len(self._starts), generator=generator).tolist()}
        return self._orders[epoch]

    def step(self, step: int) -> Any:
        """A (batch, block) tensor of token ids."""
        import torch

        rows = []
        for k in range(self._batch):
            index = step * self._batch + k
            epoch, position = divmod(index, len(self._starts))
            start = self._starts[self._order(epoch)[position]]
            rows.append(self._ids[start : start + self._block])
        return torch.stack(rows)


def _record(plan: TrainingPlan) -> dict[str, Any]:
    """What the state and the manifest record about the run (no text of the corpus)."""
    return {
        "base": plan.base,
        "documents": len(plan.corpus.documents),
        "corpus_tokens": plan.text.corpus_tokens,
        "train_tokens": plan.text.train_tokens,
        "heldout_tokens": plan.text.heldout_tokens,
        "method": f"LoRA rank {plan.lora_rank}, merged" if plan.lora_rank else "full fine-tuning",
        "settings": plan.settings.as_dict(),
    }


def train(
    plan: TrainingPlan,
    on_event: Callable[[Event], None],
    cancel: threading.Event | None = None,
    sources: list[str] | None = None,
    base_ref: str = "",
) -> TrainingResult:
    """Run the plan: baseline, training with checkpoints, held-out figures, merge, install.

    cancel: set it (from any thread, a signal handler) to stop after the current step with a
    resumable checkpoint; the result then has interrupted=True. sources and base_ref: the files and
    folders and the base model as given (recorded so that a resume can find them again). Raises
    TrainingError/StudioError for problems, among them another run of the same name going on (see
    lock.run_lock); the model store gets the whole new model or nothing.
    """
    with run_lock(plan.name):
        return _train(plan, on_event, cancel, sources, base_ref)


def _train(
    plan: TrainingPlan,
    on_event: Callable[[Event], None],
    cancel: threading.Event | None,
    sources: list[str] | None,
    base_ref: str,
) -> TrainingResult:
    import torch

    cancel = cancel or threading.Event()
    on_event(plan.event())
    folder = run_folder(plan.name)
    settings = plan.settings
    autocast = _autocast(plan.device, plan.precision)
    tokenizer = _tokenizer(plan)
    eos = int(tokenizer.eos_token_id)
    torch.manual_seed(settings.seed)
    model = load_base(plan)
    window = plan.block_size
    state: dict[str, Any]
    if plan.resume:
        saved = checkpoints.read_state(folder)
        state = saved.state
        if state.get("corpus") != plan.corpus.fingerprint():
            raise TrainingError(
                "The writing changed since this run started; start it again after removing it with --discard."
            )
        if state.get("base_sha256") != weights_sha256(plan.info.weight_files):
            raise TrainingError(
                "The base model changed since this run started; remove the run with --discard."
            )
        prompts = state["prompts"]
        before = state["samples_before"]
    else:
        state = {**_record(plan), "sources": sources or [], "corpus": plan.corpus.fingerprint()}
        state["base_ref"] = base_ref or str(plan.base_folder)
        state["base_sha256"] = weights_sha256(plan.info.weight_files)
        state["baseline_loss"] = evaluation.heldout_loss(
            model, plan.text.heldout_ids, window, device=plan.device
        )
        prompts = evaluation.sample_prompts([d.text for d in plan.text.heldout_documents], settings.samples)
        before = evaluation.greedy_samples(
            model, tokenizer.encode_plain, tokenizer.decode, prompts, settings.sample_tokens, eos, plan.device
        )
        state.update(prompts=prompts, samples_before=before, elapsed=0.0)
    baseline = float(state["baseline_loss"])
    on_event({"event": "baseline", "heldout_loss": baseline, "perplexity": evaluation.perplexity(baseline)})
    model = add_adapters(model, plan.lora_rank, settings.dropout)
    model.train()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    optimizer = torch.optim.AdamW(
        trainable.values(), lr=plan.learning_rate, weight_decay=0.0 if plan.lora_rank else 0.01
    )
    start = checkpoints.load_checkpoint(folder, trainable, optimizer).step if plan.resume else 0
    elapsed_before = float(state.get("elapsed", 0.0))
    budget = settings.minutes * 60 if settings.minutes is not None else None

    def save(step: int, elapsed: float) -> None:
        checkpoints.save_checkpoint(folder, step, trainable, optimizer, {**state, "elapsed": elapsed})
        on_event({"event": "checkpoint", "step": step})

    batches = _Batches(plan.text.train_ids, window, settings.batch_size, settings.seed)
    accumulation = settings.batch_size // plan.micro_batch
    warmup = min(10, max(1, plan.steps // 10))
    tokens_per_step = settings.batch_size * window
    began = time.monotonic()
    rate: float | None = None
    step = start
    if cancel.is_set():
        save(step, elapsed_before)
        return _interrupted(plan.name, step, on_event)
    # A time budget runs until it is spent, however the estimate of plan.steps turns out.
    last = plan.steps if budget is None else 2**62
    while step < last:
        tick = time.monotonic()
        for group in optimizer.param_groups:
            group["lr"] = plan.learning_rate * min(1.0, (step + 1) / warmup)
        optimizer.zero_grad(set_to_none=True)
        rows = batches.step(step).to(plan.device)
        total = 0.0
        for part in rows.split(plan.micro_batch):
            with autocast():
                loss = model(input_ids=part, labels=part).loss / accumulation
            loss.backward()
            total += float(loss.detach())
        torch.nn.utils.clip_grad_norm_(list(trainable.values()), GRADIENT_CLIP)
        optimizer.step()
        step += 1
        seconds = time.monotonic() - tick
        now = tokens_per_step / max(seconds, 1e-9)
        rate = now if rate is None else 0.7 * rate + 0.3 * now
        elapsed = elapsed_before + time.monotonic() - began
        remaining = max(0, plan.steps - step) * tokens_per_step / rate
        if budget is not None:
            remaining = max(0.0, budget - elapsed)
        on_event({
            "event": "step", "step": step, "steps": max(step, plan.steps), "loss": total,
            "tokens_per_second": round(rate, 1), "eta_seconds": round(remaining, 1),
        })  # fmt: skip
        out_of_time = budget is not None and elapsed >= budget
        if cancel.is_set():
            save(step, elapsed)
            return _interrupted(plan.name, step, on_event)
        if out_of_time:
            break
        if step % plan.save_every == 0 and step < last:
            quick = evaluation.heldout_loss(
                model, plan.text.heldout_ids, window, max_windows=QUICK_HELDOUT_WINDOWS, device=plan.device
            )
            on_event({"event": "heldout", "step": step, "heldout_loss": quick})
            save(step, elapsed)
    elapsed = elapsed_before + time.monotonic() - began
    save(step, elapsed)  # a failure while merging or installing resumes here, not from the last interval
    after_loss = evaluation.heldout_loss(model, plan.text.heldout_ids, window, device=plan.device)
    on_event({"event": "heldout", "step": step, "heldout_loss": after_loss})
    merged = merge(model) if plan.lora_rank else model
    after = evaluation.greedy_samples(
        merged, tokenizer.encode_plain, tokenizer.decode, prompts, settings.sample_tokens, eos, plan.device
    )
    record = {
        **_record(plan),
        "base_sha256": state["base_sha256"],
        "steps": step,
        "training_seconds": round(elapsed, 1),
        "heldout_loss_before": baseline,
        "heldout_loss_after": after_loss,
        "perplexity_before": evaluation.perplexity(baseline),
        "perplexity_after": evaluation.perplexity(after_loss),
    }
    installed = install_model(merged.to("cpu"), plan.base_folder, plan.name, record)
    checkpoints.discard_run(folder)
    samples = [{"prompt": p, "before": b, "after": a} for p, b, a in zip(prompts, before, after, strict=True)]
    result = TrainingResult(
        name=plan.name,
        step=step,
        folder=str(installed),
        perplexity_before=record["perplexity_before"],
        perplexity_after=record["perplexity_after"],
        samples=samples,
    )
    on_event({
        "event": "done", "name": plan.name, "folder": result.folder,
        "perplexity_before": result.perplexity_before, "perplexity_after": result.perplexity_after,
        "samples": samples,
    })  # fmt: skip
    return result


def _tokenizer(plan: TrainingPlan) -> Any:
    from gpt2_studio.core.models.tokenizer import load_tokenizer

    return load_tokenizer(plan.base_folder)


def _interrupted(name: str, step: int, on_event: Callable[[Event], None]) -> TrainingResult:
    on_event({"event": "interrupted", "step": step, "resumable": True})
    return TrainingResult(name, step, interrupted=True)

"""Read a checkpoint's safetensors tensor by tensor straight into `RunnerWeights`, in the runner's precision.

The transformers path builds the whole fp32 model first (4 bytes a parameter) and only then quantizes,
so its peak is about four times the int8 weights. Here each tensor is read with plain file reads into a
buffer of its own size, checked, converted and dropped before the next one; the token embedding, the
largest tensor, is read a few thousand rows at a time. The peak is the result plus one layer's tensors.
Plain reads (no memory map of the checkpoint) keep the file's pages out of the process's resident memory.
Nothing here imports transformers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
from collections.abc import Callable
from io import BufferedReader
from pathlib import Path
from types import TracebackType

import torch

from gpt2_studio.core.errors import ModelError
from gpt2_studio.core.models.checkpoint import CheckpointInfo, shown_path
from gpt2_studio.core.models.safetensors_header import HeaderError, TensorEntry, read_header
from gpt2_studio.core.runner.forward import GPT2Runner
from gpt2_studio.core.runner.layers import Linear, TokenEmbedding
from gpt2_studio.core.runner.weights import LayerWeights, RunnerConfig, RunnerWeights, compute_dtype

#: The element types a GPT-2 checkpoint may hold (inspect_checkpoint refuses any other for its weights).
TORCH_DTYPES = {
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F64": torch.float64,
}
#: Rows of the token embedding read at once: 1024 × 1600 fp32 is 6.5 MB, against 322 MB for all of
#: gpt2-xl's; the quantized result is the same as in one piece because quantization is per row.
EMBEDDING_CHUNK_ROWS = 1024
_TRANSFORMER = "transformer."


class CheckpointTensors:
    """The weight tensors of a checked checkpoint (`inspect_checkpoint`), read on demand as fp32.

    Use it as a context manager: it keeps each weight file open until the end. Every read is checked for
    NaN and infinity; problems raise ModelError naming the folder and the tensor as the file names it.
    """

    def __init__(self, info: CheckpointInfo) -> None:
        self.info = info
        self._where: dict[str, tuple[Path, str, TensorEntry, int]] = {}
        self._files: dict[Path, BufferedReader] = {}
        for path in info.weight_files:
            try:
                entries = read_header(path)
                with path.open("rb") as handle:
                    (header_len,) = struct.unpack("<Q", handle.read(8))
            except (OSError, HeaderError, struct.error) as exc:
                raise self._unreadable(path, exc) from None
            for stored, entry in entries.items():
                name = stored.removeprefix(_TRANSFORMER)
                # A file may hold both spellings of a name; the prefixed one is what transformers loads.
                if name not in self._where or stored.startswith(_TRANSFORMER):
                    self._where[name] = (path, stored, entry, 8 + header_len)

    def __enter__(self) -> CheckpointTensors:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the weight files."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def _unreadable(self, path: Path, exc: BaseException) -> ModelError:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or "truncated"
        return ModelError(
            f"Model folder {shown_path(self.info.folder)}: {path.name} cannot be read ({reason}); "
            "it may have changed since it was checked."
        )

    def shape(self, name: str) -> tuple[int, ...]:
        """The tensor's shape as stored."""
        return self._where[name][2].shape

    def read(self, name: str, rows: tuple[int, int] | None = None) -> torch.Tensor:
        """The tensor `name` (or rows start…stop-1 of it) as a new fp32 tensor, checked to be finite."""
        path, stored, entry, data_start = self._where[name]
        dtype = TORCH_DTYPES[entry.dtype]
        shape = entry.shape
        begin, end = entry.begin, entry.end
        if rows is not None:
            row_bytes = (end - begin) // max(shape[0], 1)
            begin, end = begin + rows[0] * row_bytes, begin + rows[1] * row_bytes
            shape = (rows[1] - rows[0], *shape[1:])
        buffer = bytearray(end - begin)
        try:
            handle = self._files.get(path)
            if handle is None:
                handle = self._files[path] = path.open("rb")
            handle.seek(data_start + begin)
            view = memoryview(buffer)
            done = 0
            while done < len(buffer):
                count = handle.readinto(view[done:])
                if not count:
                    raise OSError(0, "it ends early")
                done += count
        except OSError as exc:
            raise self._unreadable(path, exc) from None
        raw = torch.frombuffer(buffer, dtype=dtype) if buffer else torch.empty(0, dtype=dtype)
        tensor = raw.reshape(shape).float()  # no copy for fp32: the tensor owns the buffer
        # A NaN or infinity makes the sum non-finite: one fast reduction clears nearly every tensor, and
        # only a non-finite sum (which large finite values can also give) needs the element-wise test.
        if not bool(torch.isfinite(tensor.sum())) and not bool(torch.isfinite(tensor).all()):
            raise non_finite_weight(self.info.folder, stored)
        return tensor


def non_finite_weight(folder: Path, name: str) -> ModelError:
    """The one sentence for a weight tensor `name` that holds NaN or infinity."""
    return ModelError(
        f"Model folder {shown_path(folder)}: weight {name} contains NaN or infinite values, so the "
        "model cannot produce text; the file is damaged or came from a training run that diverged."
    )


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return None


_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Give memory freed since the last call back to the system (glibc keeps it in its heap otherwise).

    The read buffers and quantizing temporaries are freed between the long-lived results, so the heap
    cannot shrink from its top; without this the process keeps about as much again as the weights.
    """
    if _TRIM is not None:
        _TRIM(0)


def _embedding(tensors: CheckpointTensors, precision: str, compute: torch.dtype) -> TokenEmbedding:
    """wte quantized a block of rows at a time, into tensors allocated once at their final size."""
    rows = tensors.shape("wte.weight")[0]
    if precision not in ("int8", "bf16") or rows <= EMBEDDING_CHUNK_ROWS:
        return TokenEmbedding.quantize(tensors.read("wte.weight"), precision, compute)
    parts: dict[str, torch.Tensor] = {}
    for start in range(0, rows, EMBEDDING_CHUNK_ROWS):
        stop = min(start + EMBEDDING_CHUNK_ROWS, rows)
        block = TokenEmbedding.quantize(tensors.read("wte.weight", (start, stop)), precision, compute)
        for key, part in block.tensors().items():
            if key not in parts:
                parts[key] = torch.empty((rows, *part.shape[1:]), dtype=part.dtype)
            parts[key][start:stop] = part
        del block
        release_freed_memory()
    return TokenEmbedding.from_tensors(parts, precision, compute)


def read_runner_weights(info: CheckpointInfo, precision: str) -> RunnerWeights:
    """The checkpoint's weights in the runner's layout and `precision` (fp32, bf16 or int8), on the CPU.

    Raises ModelError when a tensor holds NaN or infinity or a file cannot be read.
    """
    compute = compute_dtype(precision)
    with CheckpointTensors(info) as tensors:
        read: Callable[[str], torch.Tensor] = tensors.read

        def linear(prefix: str) -> Linear:
            layer = Linear.quantize(read(f"{prefix}.weight"), read(f"{prefix}.bias"), precision)
            release_freed_memory()
            return layer

        wte = _embedding(tensors, precision, compute)
        wpe = read("wpe.weight").to(compute)
        layers = []
        for i in range(info.n_layer):
            h = f"h.{i}"
            layers.append(
                LayerWeights(
                    ln1=(read(f"{h}.ln_1.weight"), read(f"{h}.ln_1.bias")),
                    attn=linear(f"{h}.attn.c_attn"),
                    proj=linear(f"{h}.attn.c_proj"),
                    ln2=(read(f"{h}.ln_2.weight"), read(f"{h}.ln_2.bias")),
                    fc=linear(f"{h}.mlp.c_fc"),
                    fc_out=linear(f"{h}.mlp.c_proj"),
                )
            )
        ln_f = (read("ln_f.weight"), read("ln_f.bias"))
    return RunnerWeights(
        config=RunnerConfig.from_dict(info.config),
        precision=precision,
        wte=wte,
        wpe=wpe,
        layers=layers,
        ln_f=ln_f,
    )


def build_runner(weights: RunnerWeights, folder: Path) -> GPT2Runner:
    """A runner over `weights`; a config the runner cannot compute with is one sentence (ModelError)."""
    try:
        return GPT2Runner(weights)
    except ValueError as exc:
        raise ModelError(
            f"Model folder {shown_path(folder)}: config.json asks for something GPT-2 Studio cannot run "
            f"({exc})."
        ) from None


def check_runner_output(runner: GPT2Runner, folder: Path) -> None:
    """Refuse weights so large that the runner's output overflows (one forward pass of 8 tokens).

    Runs the runner itself, in its own precision, so that an overflow only int8 or bf16 shows is caught.
    Raises ModelError; without it such a model gives an empty or garbage suggestion every time.
    """
    ids = torch.arange(min(8, runner.vocab_size)).unsqueeze(0)
    logits = runner.forward(ids, runner.new_cache(1, ids.shape[1]), start=0)
    if logits is None or not bool(torch.isfinite(logits).all()):
        raise ModelError(
            f"Model folder {shown_path(folder)}: the model's output is NaN or infinite even on a short "
            "text (some weights are far too large), so it cannot produce text; the file is damaged or "
            "came from a training run that diverged."
        )

"""What a span's text came from: a model's generation (model, checkpoint, device, settings, seed,
preset, time) or a paste from outside the document.

A record's id is a hash of its content, so the same generation accepted word by word gives one record,
and a sidecar that lists records once per id stays small.
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("model", "pasted")
#: Bytes of a safetensors header read for the checkpoint hash (GPT-2 XL's is about 100 KB).
MAX_HEADER_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Record:
    """The origin of owned text. kind: "model" or "pasted"; model fields are empty for a paste.

    sampling is the sampling settings as plain data (SamplingSettings.to_dict()); time is ISO 8601 UTC.
    Raises ValueError for another kind.
    """

    kind: str
    time: str
    model: str = ""
    checkpoint: str = ""  # checkpoint_hash() of the model folder
    device: str = ""
    precision: str = ""
    sampling: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    preset: str = ""
    action: str = ""  # what put it there: "suggestion", "word", "preset", "swap", "samples", "paste"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a provenance record's kind is one of {', '.join(KINDS)}, not {self.kind!r}.")

    @property
    def record_id(self) -> str:
        """A hash of the record's content (16 hex digits)."""
        data = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=True, default=str)
        return hashlib.sha256(data.encode("ascii")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Record:
        """A record from plain data; raises ValueError (one sentence) when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("a provenance record must be an object.")
        text_fields = ("kind", "time", "model", "checkpoint", "device", "precision", "preset", "action")
        for name in text_fields:
            if not isinstance(data.get(name, ""), str):
                raise ValueError(f"a provenance record's {name} must be text.")
        sampling = data.get("sampling", {})
        seed = data.get("seed")
        if not isinstance(sampling, dict):
            raise ValueError("a provenance record's sampling settings must be an object.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("a provenance record's seed must be a whole number or null.")
        values = {name: data.get(name, "") for name in text_fields}
        return cls(**values, sampling=dict(sampling), seed=seed)

    def describe(self) -> str:
        """One or two lines for a tooltip or a listing."""
        if self.kind == "pasted":
            return f"Pasted from outside the document, {self.time}"
        how = {"suggestion": "suggestion", "word": "suggestion (word by word)", "swap": "word swap"}.get(
            self.action, self.action or "model text"
        )
        preset = f", preset “{self.preset}”" if self.preset else ""
        seed = f", seed {self.seed}" if self.seed is not None else ""
        names = [name for name in ("temperature", "top_k", "top_p") if name in self.sampling]
        settings = ", ".join(f"{name} {self.sampling[name]}" for name in names)
        checkpoint = f" [{self.checkpoint[:12]}]" if self.checkpoint else ""
        return (
            f"{self.model}{checkpoint} on {self.device} ({self.precision}): {how}{preset}, {self.time}\n"
            f"{settings}{seed}"
        )


def now_iso() -> str:
    """The current time, ISO 8601 UTC to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def pasted_record() -> Record:
    """The record of text pasted from outside the document, now."""
    return Record(kind="pasted", time=now_iso(), action="paste")


def checkpoint_hash(folder: str | Path) -> str:
    """A content hash of a checkpoint folder: config.json and each safetensors file's size and header.

    Reads kilobytes, not the weights, and stays the same when the folder is copied or moved (unlike a
    hash of times or inodes). Returns "" when the folder cannot be read.
    """
    digest = hashlib.sha256(b"gpt2-studio checkpoint content\0")
    try:
        root = Path(folder)
        config = root / "config.json"
        if config.is_file():
            digest.update(config.read_bytes())
        for path in sorted(root.glob("*.safetensors")):
            with path.open("rb") as handle:
                prefix = handle.read(8)
                (length,) = struct.unpack("<Q", prefix) if len(prefix) == 8 else (0,)
                digest.update(f"\0{path.name}\0{path.stat().st_size}\0".encode())
                digest.update(prefix + handle.read(min(length, MAX_HEADER_BYTES)))
    except OSError:
        return ""
    return digest.hexdigest()[:32]

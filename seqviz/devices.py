"""Choosing where tensors live: "auto", "cpu", "cuda" or "mps", with an honest fallback."""
from __future__ import annotations

from dataclasses import dataclass

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class ResolvedDevice:
    """The device to compute on.

    `requested` is what the user asked for; `name` is what will be used ("cpu", "cuda", "mps");
    `message` explains a fallback (None when the request was honoured).
    """

    requested: str
    name: str
    message: str | None = None

    @property
    def torch(self) -> torch.device:
        return torch.device(self.name)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(requested: str = "auto") -> ResolvedDevice:
    """Map a requested device to one that exists here, falling back to CPU with a message."""
    if requested not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}; got {requested!r}")
    if requested == "auto":
        if torch.cuda.is_available():
            return ResolvedDevice(requested, "cuda")
        return ResolvedDevice(requested, "mps" if _mps_available() else "cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}[requested]
    if available:
        return ResolvedDevice(requested, requested)
    return ResolvedDevice(requested, "cpu", f"{requested.upper()} is not available on this machine; running on CPU instead.")

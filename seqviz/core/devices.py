"""Where tensors live ("auto", "cpu", "cuda" or "mps", with an honest fallback) and how precisely.

Precision policy: seqviz's results are exact to float tolerance on every device. On CUDA every
computation runs inside `exact_fp32`, which turns TF32 off (PyTorch lets cuDNN RNNs use it by
default, and the trace's identity product inside cuDNN would then err by ~1e-4) and picks
deterministic cuDNN kernels.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
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


# ------------------------------------------------------------------ precision on GPUs

# The float32 settings seqviz holds at IEEE precision on CUDA: cuDNN's RNNs (TF32 by default on
# Ampere and later), cuDNN's convolutions (Mamba's causal conv) and cuBLAS matrix products.
_FP32_BACKENDS = (("cudnn.rnn", torch.backends.cudnn.rnn), ("cudnn.conv", torch.backends.cudnn.conv),
                  ("cuda.matmul", torch.backends.cuda.matmul))
PRECISION_POLICY = ("float32 in IEEE precision (TF32 off) and deterministic cuDNN kernels on CUDA, "
                    "float64 where asked")
_lock = threading.Lock()
_holders = 0
_saved: dict[str, object] = {}


@contextmanager
def exact_fp32(device: str | torch.device):
    """On CUDA: no TF32 and deterministic cuDNN kernels while any seqviz computation runs inside.

    The settings are process-wide, so they are counted: the first computation to enter saves the
    caller's settings, the last to leave restores them, whatever the threads. No-op off CUDA.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    _enter()
    try:
        yield
    finally:
        _leave()


def _enter() -> None:
    global _holders
    with _lock:
        if _holders == 0:
            _saved.clear()
            _saved.update({name: backend.fp32_precision for name, backend in _FP32_BACKENDS})
            _saved["deterministic"] = torch.backends.cudnn.deterministic
            _saved["benchmark"] = torch.backends.cudnn.benchmark
            for _, backend in _FP32_BACKENDS:
                backend.fp32_precision = "ieee"
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        _holders += 1


def _leave() -> None:
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0:
            for name, backend in _FP32_BACKENDS:
                backend.fp32_precision = _saved[name]
            torch.backends.cudnn.deterministic = _saved["deterministic"]
            torch.backends.cudnn.benchmark = _saved["benchmark"]


def deterministic_cublas() -> None:
    """Ask cuBLAS for the fixed workspace PyTorch documents for reproducible CUDA runs.

    Read when CUDA first creates a cuBLAS handle, so the server calls this before any CUDA work;
    a value the caller set is kept.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def device_label(device: str | torch.device) -> str:
    """'CPU', 'CUDA (NVIDIA H100 80GB HBM3)' or 'MPS': where a result was computed, for a caption."""
    kind = torch.device(device).type
    if kind == "cuda" and torch.cuda.is_available():
        return f"CUDA ({torch.cuda.get_device_name(torch.device(device))})"
    return kind.upper()


def computed_on(device: str | torch.device, dtype: str, seconds: float | None = None) -> str:
    """'Computed on CPU in float32 in 0.12 s.': the device, precision and time behind a result."""
    precision = f"{dtype}, TF32 off" if torch.device(device).type == "cuda" and dtype == "float32" else dtype
    took = f" in {seconds:.2f} s" if seconds is not None else ""
    return f"Computed on {device_label(device)} in {precision}{took}."

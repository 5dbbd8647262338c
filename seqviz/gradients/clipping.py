"""Gradient clipping as training uses it: by global norm, by value, or off.

    by norm   g ← g · min(1, τ / ‖g‖₂), ‖g‖₂ over all parameters together (the global norm)
    by value  g ← clamp(g, −τ, τ) elementwise
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import torch

CLIP_MODES = ("off", "norm", "value")


@dataclass(frozen=True)
class ClipResult:
    """Global gradient norms before and after clipping, and whether clipping changed anything."""

    raw_norm: float
    clipped_norm: float
    clipped: bool


def global_norm(grads: Iterable[torch.Tensor]) -> torch.Tensor:
    """‖g‖₂ of all gradients taken together (a 0-d tensor; inf/NaN when any entry is)."""
    grads = [g for g in grads if g is not None]
    if not grads:
        return torch.tensor(0.0)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach().double()) for g in grads]))


def clip_gradients(parameters: Iterable[torch.nn.Parameter], mode: str = "norm", threshold: float = 1.0) -> ClipResult:
    """Clip the `.grad` of `parameters` in place and report the global norm before and after.

    Clipping by norm matches torch.nn.utils.clip_grad_norm_ (which adds 1e-6 to the norm).
    A non-finite raw norm is reported as such and the gradients are left alone.
    """
    if mode not in CLIP_MODES:
        raise ValueError(f"mode must be one of {', '.join(CLIP_MODES)}; got {mode!r}")
    if mode != "off" and not threshold > 0:
        raise ValueError(f"threshold must be > 0; got {threshold!r}")
    params = [p for p in parameters if p.grad is not None]
    raw = float(global_norm(p.grad for p in params))
    if mode == "off" or not torch.isfinite(torch.tensor(raw)):
        return ClipResult(raw, raw, False)
    if mode == "norm":
        scale = min(1.0, threshold / (raw + 1e-6))
        for p in params:
            p.grad.mul_(scale)
    else:
        for p in params:
            p.grad.clamp_(-threshold, threshold)
    clipped = float(global_norm(p.grad for p in params))
    return ClipResult(raw, clipped, clipped < raw)

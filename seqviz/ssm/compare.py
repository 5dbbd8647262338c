"""Train a Mamba block, an LSTM and an S4D layer of similar size on a synthetic task, same budget.

Glossary
    V   vocabulary size (seqviz.ssm.tasks.ALPHABET)    d   model width     l   sequence length
    N   S4D state size (N/2 stored conjugate pairs)    H   LSTM hidden size

Every model is embedding → one sequence layer → linear read-out to V logits:
    mamba  x + MambaBlock(LayerNorm(x))                      (selective: Δ, B, C depend on the token)
    s4d    x + W_out GELU(S4D(LayerNorm(x)))  per channel,  S4D-Lin init, learned Δ, A, C, D
           (time-invariant: one fixed convolution kernel per channel, applied by FFT)
    lstm   nn.LSTM(d, H) with H chosen so its parameter count is closest to the Mamba model's
Widths are chosen by `build_models` so the three parameter counts are close (it reports them).
Training: AdamW, cross-entropy on the answer positions only, fixed number of steps, fresh random
batches every step; accuracy is per answer token on one held-out batch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from seqviz.core import seeding
from seqviz.core.checks import check_choice
from seqviz.core.seeding import seeded
from seqviz.core.threads import single_threaded
from seqviz.ssm.mamba import MambaBlock
from seqviz.ssm.s4 import S4DLayer
from seqviz.ssm.tasks import IGNORE, VOCAB_SIZE, make_batch

MODEL_KINDS = ("mamba", "s4d", "lstm")


class SequenceModel(nn.Module):
    """Embedding → one sequence layer (mamba, s4d or lstm) → logits (b, l, V).

    Weights are drawn from `generator` (seed 0 when None), never from the global RNG.
    """

    def __init__(self, kind: str, width: int, d_state: int, generator: torch.Generator | None = None):
        super().__init__()
        check_choice("model kind", kind, MODEL_KINDS)
        g = seeding.generator(0) if generator is None else generator
        self.kind = kind
        d = width if kind != "lstm" else 32
        self.embedding = seeded(nn.Embedding, VOCAB_SIZE, d, generator=g)
        if kind == "lstm":
            self.layer = seeded(nn.LSTM, d, width, batch_first=True, generator=g)
            head_in = width
        else:
            self.norm = seeded(nn.LayerNorm, d, generator=g)
            self.layer = (MambaBlock(d, d_state=d_state, generator=g) if kind == "mamba"
                          else S4DLayer(d, N=2 * d_state, generator=g))
            self.mix = seeded(nn.Linear, d, d, generator=g) if kind == "s4d" else None
            head_in = d
        self.head = seeded(nn.Linear, head_in, VOCAB_SIZE, generator=g)

    def features(self, tokens: torch.Tensor) -> torch.Tensor:
        """(b, l, ·) the sequence layer's output for token ids (b, l)."""
        x = self.embedding(tokens)
        if self.kind == "lstm":
            return self.layer(x)[0]
        if self.kind == "mamba":
            return x + self.layer(self.norm(x))
        return x + self.mix(F.gelu(self.layer(self.norm(x))))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(tokens))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_models(d_model: int, d_state: int, seed: int) -> dict[str, SequenceModel]:
    """A Mamba model of width d_model, and an S4D and an LSTM model whose sizes are closest to it."""
    models = {"mamba": SequenceModel("mamba", d_model, d_state, seeding.generator(seed))}
    target = parameter_count(models["mamba"])
    for kind in ("s4d", "lstm"):
        counts = {w: parameter_count(SequenceModel(kind, w, d_state)) for w in range(4, 8 * d_model + 1, 2)}
        width = min(counts, key=lambda w: abs(counts[w] - target))
        models[kind] = SequenceModel(kind, width, d_state, seeding.generator(seed))
    return models


@dataclass(frozen=True)
class CompareConfig:
    """One training comparison: the task, the lengths it grows to, and the common budget."""

    task: str = "selective_copying"
    lengths: tuple[int, ...] = (16, 32, 64)
    n_memorize: int = 4
    d_model: int = 16
    d_state: int = 8
    steps: int = 400
    batch: int = 32
    lr: float = 1e-2
    seed: int = 0

    def fraction_done(self, kind: str, length: int, step: int) -> float:
        """The share of `compare`'s work done once `kind` at `length` has finished `step` (0-based): it
        trains the lengths in order and, at each, the models in MODEL_KINDS order, `steps` steps each."""
        models_before = self.lengths.index(length) * len(MODEL_KINDS) + MODEL_KINDS.index(kind)
        return (models_before * self.steps + step + 1) / (len(self.lengths) * len(MODEL_KINDS) * self.steps)


@dataclass
class CompareResult:
    """Per model kind and length: loss curve, held-out accuracy, parameter count, training seconds."""

    config: CompareConfig
    losses: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    accuracy: dict[str, dict[int, float]] = field(default_factory=dict)
    params: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)


def accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of answer tokens (targets ≠ IGNORE) predicted correctly."""
    with torch.no_grad():
        predictions = model(inputs).argmax(-1)
    mask = targets != IGNORE
    return float((predictions[mask] == targets[mask]).float().mean())


def train_one(model: nn.Module, config: CompareConfig, length: int,
              on_step: Callable[[int, float], None] | None = None) -> list[float]:
    """Train `model` in place for config.steps steps on fresh batches of length `length`; the losses."""
    generator = torch.Generator().manual_seed(config.seed + length)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    losses = []
    for step in range(config.steps):
        inputs, targets = make_batch(config.task, config.batch, length, config.n_memorize, generator)
        loss = F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step, losses[-1])
    return losses


def compare(config: CompareConfig, progress: Callable[[str, int, int, int, float], None] | None = None,
            keep_models_at: int | None = None):
    """Train every model kind at every length of `config` with the same budget.

    Args:
        progress: called as progress(kind, length, step, steps, loss) after every step.
        keep_models_at: a length whose trained models are returned too (for inspection).
    Returns:
        (CompareResult, {kind: trained model} at keep_models_at, or {}).
    """
    result = CompareResult(config)
    kept = {}
    held_out = torch.Generator().manual_seed(config.seed + 10_000)
    with single_threaded():  # small sequential ops: torch's thread pool costs more than it gives
        for length in config.lengths:
            models = build_models(config.d_model, config.d_state, config.seed)
            test_inputs, test_targets = make_batch(config.task, 256, length, config.n_memorize, held_out)
            for kind, model in models.items():
                start = time.perf_counter()
                report = None if progress is None else (
                    lambda s, loss, k=kind: progress(k, length, s, config.steps, loss))
                losses = train_one(model, config, length, report)
                result.losses.setdefault(kind, {})[length] = losses
                result.accuracy.setdefault(kind, {})[length] = accuracy(model, test_inputs, test_targets)
                result.seconds.setdefault(kind, {})[length] = time.perf_counter() - start
                result.params[kind] = parameter_count(model)
                if length == keep_models_at:
                    kept[kind] = model.eval()
    return result, kept


def ranked_at(result: CompareResult, length: int) -> list[tuple[str, float]]:
    """(kind, held-out accuracy) at `length`, best first."""
    return sorted(((kind, acc[length]) for kind, acc in result.accuracy.items()), key=lambda p: p[1], reverse=True)


def closing_losses(losses: list[float]) -> tuple[float, float]:
    """Mean training loss over the fifth of training before the last fifth, and over the last fifth: the
    first above the second says the loss was still falling when training stopped."""
    fifth = max(1, len(losses) // 5)
    return float(np.mean(losses[-2 * fifth:-fifth] or losses[:1])), float(np.mean(losses[-fifth:]))


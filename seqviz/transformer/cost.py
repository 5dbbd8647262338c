"""What a token costs as the context grows: per-token generation time and the bytes kept between
tokens (LSTM and Mamba: a fixed state; the Transformer: its KV cache), and training-step time
against sequence length (parallel attention vs sequential recurrence). Measured, never modelled.

Glossary
    T   context: tokens already seen when the next one is generated     k   tokens timed per context
    L   training sequence length      b   batch      d   width of every model      n   Mamba state size

How it is measured
    Generation: each model is brought to a context of T tokens (the Transformer's cache filled with
    T positions; the recurrent states are fixed-size whatever T), then k single-token steps are
    timed one by one; the median is reported. A KV cache's content does not change its cost, so it
    is filled with random numbers rather than by running T tokens. Bytes are counted from the
    tensors kept. Training: one forward and backward pass of a batch (b, L, d) through the
    sequence layers (the median of `repeats`). Slopes are least-squares fits of log time against
    log T (or L) over every measured point: 0 means constant, 1 linear, 2 quadratic.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.budget import check_budget
from seqviz.core.checks import check_choice
from seqviz.core.devices import exact_fp32
from seqviz.ssm.mamba import MambaBlock
from seqviz.transformer.cache import KVCache, MambaState, cached_step, mamba_step
from seqviz.transformer.model import Transformer, TransformerConfig, parameter_count

COST_KINDS = ("lstm", "mamba", "transformer")
MAX_CONTEXT = 16_384


@dataclass(frozen=True)
class CostConfig:
    """What is measured: contexts T and training lengths L (powers of two from `shortest`), the models' size."""

    longest_context: int = 16_384
    longest_train: int = 512
    shortest: int = 128
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_state: int = 16
    tokens_timed: int = 8
    batch: int = 2
    repeats: int = 2
    device: str = "cpu"
    seed: int = 0

    def __post_init__(self):
        for name in ("longest_context", "longest_train"):
            value = getattr(self, name)
            if not self.shortest <= value <= MAX_CONTEXT:
                raise ValueError(f"{name} must lie in [{self.shortest}, {MAX_CONTEXT}]; got {value}")

    @property
    def contexts(self) -> tuple[int, ...]:
        return _powers(self.shortest, self.longest_context)

    @property
    def train_lengths(self) -> tuple[int, ...]:
        return _powers(self.shortest, self.longest_train)


def _powers(lo: int, hi: int) -> tuple[int, ...]:
    out = [lo]
    while out[-1] * 2 <= hi:
        out.append(out[-1] * 2)
    return tuple(out)


class CostModels(nn.Module):
    """The three models of a cost measurement, untrained, each `n_layers` deep at width d."""

    def __init__(self, config: CostConfig):
        super().__init__()
        g, d = seeding.generator(config.seed), config.d_model
        self.lstm = seeding.seeded(nn.LSTM, d, d, config.n_layers, batch_first=True, generator=g)
        self.mamba = nn.ModuleList(MambaBlock(d, d_state=config.d_state, generator=g) for _ in range(config.n_layers))
        self.transformer = Transformer(TransformerConfig(vocab_size=2, d_model=d, n_heads=config.n_heads,
                                                         n_layers=config.n_layers, seed=config.seed))


@dataclass(frozen=True)
class CostResult:
    """contexts (C,), token_seconds[kind] (C,) median seconds per generated token, state_bytes[kind] (C,);
    train_lengths (M,), train_seconds[kind] (M,) per forward + backward step; params[kind]; device."""

    contexts: tuple[int, ...]
    token_seconds: dict[str, np.ndarray]
    state_bytes: dict[str, np.ndarray]
    train_lengths: tuple[int, ...]
    train_seconds: dict[str, np.ndarray]
    params: dict[str, int]
    device: str

    def slope(self, what: str, kind: str) -> float:
        """Fitted exponent of `what` ("token", "bytes" or "train") against T or L for `kind`."""
        x, y = {"token": (self.contexts, self.token_seconds), "bytes": (self.contexts, self.state_bytes),
                "train": (self.train_lengths, self.train_seconds)}[what]
        return fitted_slope(np.asarray(x, dtype=float), np.asarray(y[kind], dtype=float))


def fitted_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y against log x (nan with fewer than two points)."""
    if len(x) < 2:
        return float("nan")
    slope = float(np.polyfit(np.log(x), np.log(np.maximum(y, 1e-30)), 1)[0])
    return round(slope, 12) + 0.0  # a constant's rounding residue (and −0.0) reads as 0


def _now(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def _median_seconds(step: Callable[[], object], times: int, device: torch.device) -> float:
    """Median wall time of `times` calls of `step`, after one untimed call (first-call costs are not the model's)."""
    step()
    seconds = []
    for _ in range(times):
        start = _now(device)
        step()
        seconds.append(_now(device) - start)
    return float(np.median(seconds))


@torch.no_grad()
def token_cost(models: CostModels, kind: str, context: int, config: CostConfig, device: torch.device):
    """(median seconds per generated token, bytes kept) for `kind` at `context` tokens."""
    d, k = config.d_model, config.tokens_timed
    x = torch.randn(1, d, generator=seeding.generator(config.seed)).to(device)
    if kind == "transformer":
        cache = KVCache.empty(models.transformer, 1, context + k + 2, device=device)  # + warm-up
        filler = torch.randn(cache.keys.shape, generator=seeding.generator(config.seed))  # drawn on the CPU
        cache.keys.copy_(filler)
        cache.values.copy_(filler)
        cache.length = context
        token = torch.zeros(1, 1, dtype=torch.long, device=device)
        seconds = _median_seconds(lambda: cached_step(models.transformer, token, cache), k, device)
        cache.length = context
        return seconds, cache.nbytes
    if kind == "lstm":
        state = [torch.zeros(config.n_layers, 1, d, device=device) for _ in range(2)]
        seconds = _median_seconds(lambda: models.lstm(x[:, None], tuple(state)), k, device)
        return seconds, sum(t.numel() * t.element_size() for t in state)  # (h, c)
    states = [MambaState.empty(block, 1, device=device) for block in models.mamba]

    def mamba_token():
        y = x
        for block, state in zip(models.mamba, states):
            y = y + mamba_step(block, y, state)
        return y

    return _median_seconds(mamba_token, k, device), sum(s.nbytes for s in states)


def train_cost(models: CostModels, kind: str, length: int, config: CostConfig, device: torch.device) -> float:
    """Median seconds of one forward + backward pass of a batch (b, L, d) through `kind`'s layers."""
    x = torch.randn(config.batch, length, config.d_model, generator=seeding.generator(config.seed)).to(device)
    if kind == "transformer":
        check_budget(4 * config.batch * config.n_heads * length * length * 4 * config.n_layers,
                     f"training attention at L={length}", "longest training length", device=device)

    def step():
        models.zero_grad(set_to_none=True)
        if kind == "lstm":
            y = models.lstm(x)[0]
        elif kind == "mamba":
            y = x
            for block in models.mamba:
                y = y + block(y)
        else:
            y = models.transformer.run(x)[0]
        y.square().mean().backward()

    return _median_seconds(step, config.repeats, device)


def measure(config: CostConfig, progress: Callable[[str, int, float], None] | None = None) -> CostResult:
    """Every measurement of `config`; progress(what, size, fraction done) after each."""
    check_choice("device", config.device, ("cpu", "cuda", "mps"))
    device = torch.device(config.device)
    models = CostModels(config).to(device)
    jobs = [("token", kind, T) for T in config.contexts for kind in COST_KINDS]
    jobs += [("train", kind, L) for L in config.train_lengths for kind in COST_KINDS]
    token = {k: [] for k in COST_KINDS}
    state = {k: [] for k in COST_KINDS}
    train = {k: [] for k in COST_KINDS}
    with exact_fp32(device):
        for done, (what, kind, size) in enumerate(jobs, start=1):
            if what == "token":
                seconds, nbytes = token_cost(models, kind, size, config, device)
                token[kind].append(seconds)
                state[kind].append(nbytes)
            else:
                train[kind].append(train_cost(models, kind, size, config, device))
            if progress is not None:
                progress(f"{what} {kind}", size, done / len(jobs))
    params = {"lstm": parameter_count(models.lstm), "mamba": parameter_count(models.mamba),
              "transformer": parameter_count(models.transformer)}
    as_arrays = lambda d: {k: np.asarray(v) for k, v in d.items()}  # noqa: E731
    return CostResult(config.contexts, as_arrays(token), as_arrays(state), config.train_lengths, as_arrays(train),
                      params, config.device)

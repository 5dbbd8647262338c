"""Train a small recurrent model on a long-range task with gradient clipping, instrumented.

Glossary
    B  batch size     S  steps in a sequence (T for adding, T + 20 for copy)     H  hidden size
    g  the gradient of the task loss w.r.t. every parameter, ‖g‖ its global (all-parameter) L2 norm
    c  clip threshold      k  truncation length of truncated BPTT (0 = full BPTT)
    δ_t = dL/dh_t          the gradient that reaches the (first layer's) hidden state at step t

Clipping (`clip`, by seqviz.gradients.clipping; a non-finite ‖g‖ is reported and left unclipped)
    off    the raw gradient is used.
    norm   g ← g · min(1, c / (‖g‖ + 10⁻⁶)), exactly what torch.nn.utils.clip_grad_norm_ does.
    value  every component clamped to [−c, c], as torch.nn.utils.clip_grad_value_.
An update counts as clipped when clipping changed the gradient (‖g‖ > c, or some |g_i| > c).

Truncated BPTT: the sequence is run in chunks of k steps and the state is detached between
chunks, so one forward, one backward and one update per batch, with no gradient crossing a chunk
boundary. The ‖δ_t‖ heatmap is computed the same way (one exact `seqviz.trace` per chunk, started
from the detached state), on the batch of that update, before the weights change. It is sampled
every `heatmap_every` updates to keep training fast. ‖δ_t‖ is the norm over the whole batch.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from seqviz.core import seeding
from seqviz.core.checks import check_choice
from seqviz.core.devices import exact_fp32
from seqviz.core.models import KIND_LABELS, build_model
from seqviz.core.threads import single_threaded
from seqviz.core.tracing import trace
from seqviz.gradients.clipping import CLIP_MODES, clip_gradients
from seqviz.gradients.tasks import TaskBatch, baseline_loss, input_size, output_size, step_losses, task_batch

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TaskTrainConfig:
    """One training run. `spectral_radius` (None = the init's own) rescales every W_h· block."""

    task: str = "adding"
    length: int = 50
    kind: str = "rnn"
    hidden_size: int = 32
    nonlinearity: str = "tanh"
    init: str = "default"
    spectral_radius: float | None = None
    clip: str = "norm"
    clip_threshold: float = 1.0
    truncation: int = 0
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 32
    updates: int = 200
    heatmap_every: int = 20
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        check_choice("clip", self.clip, CLIP_MODES)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if not self.clip_threshold > 0:
            raise ValueError(f"clip_threshold must be > 0; got {self.clip_threshold!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate!r}")
        for name in ("updates", "batch_size", "heatmap_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be ≥ 1; got {getattr(self, name)!r}")
        if self.truncation < 0:
            raise ValueError(f"truncation must be 0 (full BPTT) or a positive chunk length; got {self.truncation!r}")


# How run_label writes a setting that differs from TaskTrainConfig's default.
SETTING_TEXTS = {"hidden_size": "H={}", "nonlinearity": "φ={}", "init": "init {}", "spectral_radius": "ρ={:g}",
                 "truncation": "TBPTT k={}", "optimizer": "{}", "learning_rate": "lr={:g}", "batch_size": "batch {}",
                 "updates": "{} updates", "heatmap_every": "sampled every {}", "seed": "seed {}", "device": "{}"}


def run_label(config: TaskTrainConfig) -> str:
    """A run's settings in a few words: model, task, T and clipping always, every other setting only
    where it differs from TaskTrainConfig's default, so two runs with different settings never read alike."""
    default = TaskTrainConfig()
    clip = "clip off" if config.clip == "off" else f"clip {config.clip} {config.clip_threshold:g}"
    changed = [text.format(getattr(config, name)) for name, text in SETTING_TEXTS.items()
               if getattr(config, name) != getattr(default, name)]
    return ", ".join([f"{KIND_LABELS[config.kind]} {config.task} T={config.length}", clip, *changed])


class TaskModel(nn.Module):
    """A stock recurrent core (batch of sequences, sequence-first inside) and a linear readout."""

    def __init__(self, core: nn.Module, readout: nn.Linear):
        super().__init__()
        self.core, self.readout = core, readout

    def forward(self, x: torch.Tensor, truncation: int = 0) -> torch.Tensor:
        """x (B, S, I) → predictions (B, S, O); the state is detached every `truncation` steps."""
        xs = x.transpose(0, 1)  # (S, B, I)
        chunk = truncation or xs.shape[0]
        state, outputs = None, []
        for start in range(0, xs.shape[0], chunk):
            out, state = self.core(xs[start:start + chunk], state)
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            outputs.append(out)
        return self.readout(torch.cat(outputs).transpose(0, 1))


def build_task_model(config: TaskTrainConfig) -> TaskModel:
    """The model `config` describes; the core from `build_model`, the readout seeded from `seed`."""
    core = build_model(config.kind, input_size(config.task), config.hidden_size,
                       nonlinearity=config.nonlinearity if config.kind == "rnn" else "tanh",
                       init=config.init, spectral_radius=config.spectral_radius, seed=config.seed)
    readout = seeding.seeded(nn.Linear, config.hidden_size, output_size(config.task),
                              generator=seeding.generator(config.seed))
    return TaskModel(core, readout).to(config.device)


def task_loss(task: str, prediction: torch.Tensor, batch: TaskBatch) -> torch.Tensor:
    """Σ m·ℓ / Σ m: the mean loss over the scored steps."""
    return (batch.mask * step_losses(task, prediction, batch.y)).sum() / batch.mask.sum()


# ---------------------------------------------------------------- ‖δ_t‖ profile

def hidden_gradient_profile(model: TaskModel, batch: TaskBatch, truncation: int = 0) -> np.ndarray:
    """(S,) ‖dL/dh_t‖ over the batch for the first layer, with the same truncation as training.

    Exact: one `seqviz.trace` per chunk with that chunk's share of the task loss, started from
    the previous chunk's (detached) final state. The model is not modified and gets no gradients.
    """
    S, B = batch.x.shape[1], batch.x.shape[0]
    chunk = truncation or S
    W, b = model.readout.weight.detach(), model.readout.bias.detach()
    total = batch.mask.sum()
    rows, h0 = [], None
    for start in range(0, S, chunk):
        span = slice(start, start + chunk)

        def chunk_loss(output: torch.Tensor, span=span) -> torch.Tensor:  # output (B, t, H)
            prediction = F.linear(output, W.to(output.dtype), b.to(output.dtype))
            return (batch.mask[:, span] * step_losses(batch.task, prediction, batch.y[:, span])).sum() / total

        tr = trace(model.core, batch.x[:, span], loss=chunk_loss, h0=h0)
        rows.append(np.sqrt((tr.grad_hidden_norm[:, :, 0, 0].astype(np.float64) ** 2).sum(axis=0)))
        h0 = _final_state(tr, B)
    return np.concatenate(rows)


def _final_state(tr, B: int):
    """The last step's state of a batched trace in the module's (L·D, B, H) layout."""
    def last(a):
        return torch.as_tensor(np.array(a[:, -1])).reshape(B, -1, tr.hidden_size).transpose(0, 1)
    return (last(tr.hidden), last(tr.cell)) if tr.kind == "lstm" else last(tr.hidden)


# ---------------------------------------------------------------- training loop

@dataclass
class TrainHistory:
    """What one run recorded, one entry per update (lists grow while it trains).

    status: "running", "finished", "stopped" (by the user) or "nan" (loss or ‖g‖ became inf/NaN;
    the entries up to and including that update are kept, and `message` says where and why).
    heatmap: one (S,) ‖δ_t‖ row for each update in heatmap_updates.
    """

    config: TaskTrainConfig
    baseline: float
    loss: list[float] = field(default_factory=list)
    raw_norm: list[float] = field(default_factory=list)
    clipped_norm: list[float] = field(default_factory=list)
    clipped: list[bool] = field(default_factory=list)
    heatmap_updates: list[int] = field(default_factory=list)
    heatmap: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "running"
    message: str = ""

    @property
    def updates_done(self) -> int:
        return len(self.loss)

    @property
    def fraction_clipped(self) -> float:
        return float(np.mean(self.clipped)) if self.clipped else 0.0


def _nan_message(history: TrainHistory, update: int, loss: float, raw: float) -> str:
    config = history.config
    finite_norms = [n for n in history.raw_norm[:-1] if math.isfinite(n)]
    largest = f"{max(finite_norms):.3g}" if finite_norms else "none yet"
    if not math.isfinite(loss):
        where = "the loss itself became inf/NaN: the forward pass overflowed"
    else:
        where = f"the loss was {loss:.4g} but the gradient norm ‖g‖ overflowed to {raw}"
    clipping = ("no clipping was on, so nothing bounded the updates" if config.clip == "off"
                else f"clipping ({config.clip}, c = {config.clip_threshold:g}) cannot rescale a gradient that is already inf/NaN")
    return (f"Training stopped at update {update}: {where}. The largest finite ‖g‖ before it was {largest}; "
            f"{clipping}. The curves are kept up to that update.")


def train_on_task(config: TaskTrainConfig,
                  on_progress: Callable[[TrainHistory], bool] | None = None) -> TrainHistory:
    """Train `config.updates` updates on fresh seeded batches; same config → same curves.

    `on_progress(history)` is called after every update; returning False stops the run.
    Runs on one CPU thread (see `seqviz.core.threads`).
    """
    with single_threaded(), exact_fp32(config.device):
        return _train(config, on_progress)


def _train(config: TaskTrainConfig, on_progress) -> TrainHistory:
    model = build_task_model(config)
    parameters = list(model.parameters())
    optimizer_cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.SGD
    optimizer = optimizer_cls(parameters, lr=config.learning_rate)
    generator = seeding.generator(config.seed)
    history = TrainHistory(config, baseline_loss(config.task, config.length))
    start = time.perf_counter()
    for update in range(config.updates):
        batch = _to_device(task_batch(config.task, config.batch_size, config.length, generator), config.device)
        optimizer.zero_grad(set_to_none=True)
        loss = task_loss(config.task, model(batch.x, config.truncation), batch)
        loss.backward()
        clip = clip_gradients(parameters, config.clip, config.clip_threshold)
        raw, clipped_norm, changed = clip.raw_norm, clip.clipped_norm, clip.clipped
        loss_value = float(loss.detach())
        _record(history, loss_value, raw, clipped_norm, changed)
        if not (math.isfinite(loss_value) and math.isfinite(raw)):
            history.status, history.message = "nan", _nan_message(history, update, loss_value, raw)
            break
        if update % config.heatmap_every == 0 or update == config.updates - 1:
            history.heatmap_updates.append(update)
            history.heatmap.append(hidden_gradient_profile(model, batch, config.truncation))
        optimizer.step()
        history.seconds = time.perf_counter() - start
        if on_progress is not None and on_progress(history) is False:
            history.status = "stopped"
            break
    else:
        history.status = "finished"
    history.seconds = time.perf_counter() - start
    return history


def _record(history: TrainHistory, loss: float, raw: float, clipped_norm: float, changed: bool) -> None:
    history.loss.append(loss)
    history.raw_norm.append(raw)
    history.clipped_norm.append(clipped_norm)
    history.clipped.append(bool(changed))


def _to_device(batch: TaskBatch, device: str) -> TaskBatch:
    return TaskBatch(batch.task, batch.x.to(device), batch.y.to(device), batch.mask.to(device))


def history_rows(name: str, history: TrainHistory) -> list[dict]:
    """One dict per update (run, update, loss, raw_norm, clipped_norm, clipped) for a CSV table."""
    return [{"run": name, "update": u, "loss": history.loss[u], "raw_norm": history.raw_norm[u],
             "clipped_norm": history.clipped_norm[u], "clipped": history.clipped[u]}
            for u in range(history.updates_done)]


def histories_csv(runs: dict[str, TrainHistory]) -> str:
    """The `history_rows` of every run (name → history), one after the other, as CSV text with a header."""
    rows = [row for name, history in runs.items() for row in history_rows(name, history)]
    return pd.DataFrame(rows).to_csv(index=False)

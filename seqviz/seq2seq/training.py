"""Training and evaluating Seq2Seq models on the toy tasks; safe checkpoints.

Glossary
    B   batch size    T   decoder steps    V   vocabulary size
    exact accuracy      fraction of sources whose free-running (greedy) output equals the target
                        exactly, </s> included
    position accuracy   per target position i: fraction of targets longer than i whose i-th
                        emitted token is right (free-running)

Training minimises the mean cross-entropy of the target tokens and </s> (padding ignored), with
Adam, a cosine learning-rate decay to 10 % of the initial rate, gradient-norm clipping at 1 and
fresh random batches each update (no fixed training set).
Accuracy is measured on a held-out batch drawn with a different seed.

Training runs on one CPU thread (seqviz.core.threads): these models are made of many tiny
operations, and a second OpenMP thread costs more in synchronisation than it saves. The previous
thread count is restored after.

Checkpoints are plain dictionaries of str/int/float/bool/lists and tensors, written with
`torch.save` and read with `torch.load(..., weights_only=True)`: loading never runs code.
"""
from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.checkpoints import load_weights_only
from seqviz.core.devices import exact_fp32
from seqviz.core.threads import single_threaded
from seqviz.seq2seq.model import ModelConfig, Seq2Seq, greedy_decode
from seqviz.seq2seq.tasks import MAX_DELAY, PAD, Batch, TaskSpec, random_batch, vocabulary

CHECKPOINT_FORMAT = "seqviz-seq2seq/1"
EVAL_SEED_OFFSET = 1_000_003
MAX_TRAINING_STEPS = 20_000


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Everything that determines a trained model: task, architecture, budget, seed."""

    task: TaskSpec = field(default_factory=TaskSpec)
    model: ModelConfig = field(default_factory=ModelConfig)
    steps: int = 1000
    batch_size: int = 64
    learning_rate: float = 0.005
    teacher_forcing: float = 1.0
    eval_every: int = 50
    eval_size: int = 256
    seed: int = 0

    def __post_init__(self):
        if not 1 <= self.steps <= MAX_TRAINING_STEPS:
            raise ValueError(f"steps must be between 1 and {MAX_TRAINING_STEPS}; got {self.steps}")
        if not 1 <= self.batch_size <= 1024:
            raise ValueError(f"batch_size must be between 1 and 1024; got {self.batch_size}")
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must be between 0 and 1; got {self.teacher_forcing}")
        if not 0.0 < self.learning_rate <= 1.0:
            raise ValueError(f"learning_rate must be in (0, 1]; got {self.learning_rate}")

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Seq2SeqConfig":
        values = dict(values)
        return cls(task=TaskSpec(**values.pop("task")), model=ModelConfig(**values.pop("model")), **values)


@dataclass
class Progress:
    """What a training callback sees after every update; `model` must only be read. `evaluated`: this
    update ended with an evaluation (the history has a new point)."""

    step: int
    steps: int
    history: dict
    model: Seq2Seq
    seconds: float
    evaluated: bool = True


@dataclass
class TrainedModel:
    """A model in eval mode with its config and history lists {"step", "loss", "accuracy", "seconds"}.

    `trained_on` is the device type training ran on ("" for a checkpoint, which does not say).
    """

    config: Seq2SeqConfig
    model: Seq2Seq
    history: dict
    seconds: float
    stopped: bool = False
    trained_on: str = ""

    @property
    def device(self) -> str:
        """The device type the weights are on now: "cpu", "cuda" or "mps"."""
        return next(self.model.parameters()).device.type

    def moved_to(self, device: str | torch.device) -> "TrainedModel":
        """A copy on `device` (this one is left as it is: it may be shared)."""
        return replace(self, model=packed(copy.deepcopy(self.model).to(device)))

    @property
    def accuracy(self) -> float:
        return self.history["accuracy"][-1] if self.history["accuracy"] else 0.0

    def time_to_accuracy(self, target: float) -> tuple[int, float] | None:
        """(update step, seconds) of the first evaluation reaching `target`, None if none did."""
        for step, accuracy, seconds in zip(self.history["step"], self.history["accuracy"], self.history.get("seconds", [])):
            if accuracy >= target:
                return step, seconds
        return None


def build_seq2seq(config: Seq2SeqConfig, device: str | torch.device = "cpu") -> Seq2Seq:
    """A freshly initialised model for `config`, same weights for the same seed on every device."""
    model = Seq2Seq(config.model, vocabulary(config.task.name).size, seeding.generator(config.seed))
    return model.to(device)


def max_target_steps(task: TaskSpec, source_length: int) -> int:
    """Decoder steps enough for any target of a source this long, </s> included."""
    return source_length + (MAX_DELAY if task.name == "copy-delay" else 0) + 1


def sequence_loss(logits: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over non-padding targets; logits (B, T, V), tgt_out (B, T)."""
    return nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)


def learning_rate_at(config: Seq2SeqConfig, step: int) -> float:
    """Cosine decay from the initial rate at step 1 to 10 % of it at the last step."""
    progress = (step - 1) / max(config.steps - 1, 1)
    return config.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def update(model: Seq2Seq, optimizer: torch.optim.Optimizer, batch: Batch, config: Seq2SeqConfig, step: int,
           generator: torch.Generator | None = None) -> float:
    """One training update on `batch` (learning rate of `step`); returns the batch loss."""
    model.train()
    decoded = model(batch.src, batch.src_lengths, batch.tgt_in, config.teacher_forcing, generator)
    loss = sequence_loss(decoded.logits, batch.tgt_out)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    for group in optimizer.param_groups:
        group["lr"] = learning_rate_at(config, step)
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


def train_seq2seq(config: Seq2SeqConfig, device: str | torch.device = "cpu",
                  callback: Callable[[Progress], bool] | None = None) -> TrainedModel:
    """Train a model for `config.steps` updates; `callback(progress)` after every update (so a caller can
    stop between any two) may return False to stop."""
    with single_threaded(), exact_fp32(device):
        return _train(config, device, callback)


def _train(config: Seq2SeqConfig, device, callback) -> TrainedModel:
    model = build_seq2seq(config, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    rng = random.Random(config.seed)
    generator = seeding.generator(config.seed)
    eval_batch = random_batch(config.task, config.eval_size, random.Random(config.seed + EVAL_SEED_OFFSET), device)
    history = {"step": [], "loss": [], "accuracy": [], "seconds": []}
    losses, start, stopped = [], time.perf_counter(), False
    for step in range(1, config.steps + 1):
        batch = random_batch(config.task, config.batch_size, rng, device)
        losses.append(update(model, optimizer, batch, config, step, generator))
        evaluated = step % config.eval_every == 0 or step == config.steps
        if evaluated:
            history["step"].append(step)
            history["loss"].append(sum(losses) / len(losses))
            history["accuracy"].append(evaluate(model, config.task, eval_batch)["exact"])
            history["seconds"].append(time.perf_counter() - start)
            losses = []
        progress = Progress(step, config.steps, history, model, time.perf_counter() - start, evaluated)
        if callback is not None and callback(progress) is False:
            stopped = step < config.steps
            break
    model.eval()
    return TrainedModel(config, model, history, time.perf_counter() - start, stopped, torch.device(device).type)


def snapshot(config: Seq2SeqConfig, progress: Progress) -> TrainedModel:
    """The model as of `progress`, copied (training goes on with the original), in eval mode."""
    model = packed(copy.deepcopy(progress.model).eval())
    device = next(model.parameters()).device.type
    return TrainedModel(config, model, copy.deepcopy(progress.history), progress.seconds,
                        stopped=progress.step < progress.steps, trained_on=device)


def packed(model: nn.Module) -> nn.Module:
    """`model` with every RNN's weights packed again into one block, as cuDNN wants them after a copy."""
    for module in model.modules():
        if isinstance(module, nn.RNNBase):
            module.flatten_parameters()
    return model


@torch.no_grad()
def evaluate(model: Seq2Seq, task: TaskSpec, batch: Batch) -> dict:
    """Free-running accuracy on `batch`: {"exact": float, "position": list[float] per target position}."""
    was_training = model.training
    model.eval()
    decoded = greedy_decode(model, batch.src, batch.src_lengths, batch.tgt_out.shape[1])
    model.train(was_training)
    return accuracy_of(decoded.tokens, batch.tgt_out)


def accuracy_of(tokens: torch.Tensor, tgt_out: torch.Tensor) -> dict:
    """Exact and per-position accuracy of emitted ids (B, T') against targets (B, T) (+ </s>)."""
    T = tgt_out.shape[1]
    emitted = torch.full_like(tgt_out, PAD)
    emitted[:, :min(T, tokens.shape[1])] = tokens[:, :T]
    valid = tgt_out != PAD
    correct = (emitted == tgt_out) | ~valid
    exact = correct.all(dim=1).float().mean().item()
    per_position = ((emitted == tgt_out) & valid).sum(0) / valid.sum(0).clamp(min=1)
    lengths = valid.sum(1) - 1  # target characters, </s> excluded
    return {"exact": exact, "position": per_position[:int(lengths.max())].tolist()}


def save_checkpoint(trained: TrainedModel, path: str | Path) -> None:
    """Write config, weights and history as a weights-only-loadable dictionary."""
    torch.save({
        "format": CHECKPOINT_FORMAT,
        "config": trained.config.as_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in trained.model.state_dict().items()},
        "history": trained.history,
        "seconds": trained.seconds,
    }, path)


def load_checkpoint(source, device: str | torch.device = "cpu") -> TrainedModel:
    """Read a checkpoint written by `save_checkpoint` (a path or a binary file object).

    Uses torch.load(weights_only=True): anything but tensors and plain containers is refused
    before it can run. ValueError for anything that is not a seqviz checkpoint.
    """
    data = load_weights_only(source)
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"not a seqviz checkpoint: expected format {CHECKPOINT_FORMAT!r}")
    try:
        config = Seq2SeqConfig.from_dict(data["config"])
        model = build_seq2seq(config)
        model.load_state_dict(data["state_dict"])
    except (KeyError, TypeError, RuntimeError) as error:
        raise ValueError(f"checkpoint does not match its own config: {str(error)[:200]}") from None
    model.eval()
    return TrainedModel(config, model.to(device), data["history"], float(data["seconds"]))


def with_attention(config: Seq2SeqConfig, attention: str) -> Seq2SeqConfig:
    """The same config with another attention type (input feeding dropped where it does not apply)."""
    model = replace(config.model, attention=attention,
                    input_feeding=config.model.input_feeding and attention not in ("none", "bahdanau"))
    return replace(config, model=model)

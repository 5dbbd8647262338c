"""What the Attention page measures: alignments, the bottleneck sweep, exposure bias.

Glossary
    S   source length    T   decoder steps (emitted tokens, </s> included)    K   key size D·H
    α   (T, S) attention weights, row t = where step t looked    c_t = Σ_j α_tj h_j, (T, K) contexts
    teacher-forced   each step reads the true previous token (as in training with ratio 1)
    free-running     each step reads the model's own previous output (as at inference)
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch

from seqviz.core.devices import exact_fp32
from seqviz.seq2seq.model import ModelConfig, beam_search, greedy_decode
from seqviz.seq2seq.tasks import (
    EOS,
    PAD,
    SPECIALS,
    TaskSpec,
    check_source,
    make_batch,
    sample_sources,
    target_for,
    vocabulary,
)
from seqviz.seq2seq.training import (
    EVAL_SEED_OFFSET,
    Seq2SeqConfig,
    TrainedModel,
    accuracy_of,
    evaluate,
    max_target_steps,
    train_seq2seq,
)


@dataclass(frozen=True)
class Alignment:
    """One decoded input: tokens, weights α (T, S) and contexts (T, K), None without attention."""

    attention: str
    source: str
    target: str
    output: str
    output_tokens: tuple[str, ...]  # emitted characters, then "</s>" if emitted
    weights: np.ndarray | None = field(repr=False)
    contexts: np.ndarray | None = field(repr=False)
    log_prob: float

    @property
    def correct(self) -> bool:
        return self.output == self.target


def align(trained: TrainedModel, source: str, beam_width: int = 1) -> Alignment:
    """Decode a typed `source` with beam search (width 1 = greedy) and keep its attention."""
    task = trained.config.task
    check_source(task, source)
    vocab = vocabulary(task.name)
    device = next(trained.model.parameters()).device
    src = torch.tensor(vocab.encode(source), device=device)
    with exact_fp32(device):
        best = beam_search(trained.model, src, max_target_steps(task, len(source)), beam_width)[0]
        weights = contexts = None
        if best.weights is not None:
            with torch.no_grad():
                keys = trained.model.encode(src.unsqueeze(0), torch.tensor([len(source)], device=device)).keys[0]
                contexts = (best.weights @ keys).cpu().numpy()
            weights = best.weights.cpu().numpy()
    tokens = tuple(SPECIALS[EOS] if t == EOS else vocab.tokens[t] for t in best.tokens)
    return Alignment(trained.config.model.attention, source, target_for(task, source), vocab.decode(best.tokens),
                     tokens, weights, contexts, best.log_prob)


SWEEP_LENGTH_STEP = 5


def sweep_lengths(longest: int) -> tuple[int, ...]:
    """The source lengths a bottleneck sweep tests: every SWEEP_LENGTH_STEP-th up to `longest`."""
    return tuple(range(SWEEP_LENGTH_STEP, longest + 1, SWEEP_LENGTH_STEP))


@dataclass(frozen=True)
class SweepConfig:
    """Bottleneck sweep: reversal models with and without attention, same sizes and budget."""

    attention: str = "bahdanau"
    cell: str = "gru"
    hidden_size: int = 64
    lengths: tuple[int, ...] = sweep_lengths(40)
    steps: int = 1500
    batch_size: int = 64
    eval_size: int = 128
    seed: int = 0

    def __post_init__(self):
        if self.attention == "none":
            raise ValueError("the sweep compares an attention type against 'none'; pick an attention type")
        if not self.lengths or sorted(set(self.lengths)) != list(self.lengths):
            raise ValueError(f"lengths must be increasing and distinct; got {self.lengths}")

    def as_dict(self) -> dict:
        return {**asdict(self), "lengths": list(self.lengths)}

    @classmethod
    def from_dict(cls, values: dict) -> "SweepConfig":
        return cls(**{**values, "lengths": tuple(values["lengths"])})

    def train_config(self, attention: str) -> Seq2SeqConfig:
        model = ModelConfig(cell=self.cell, attention=attention, hidden_size=self.hidden_size)
        task = TaskSpec("reverse", min(3, self.lengths[0]), self.lengths[-1])
        return Seq2SeqConfig(task=task, model=model, steps=self.steps, batch_size=self.batch_size,
                             eval_size=self.eval_size, eval_every=max(self.steps // 10, 1), seed=self.seed)


@dataclass(frozen=True)
class SweepResult:
    """exact[a][k]: exact accuracy of model a at lengths[k]; position[a][k]: per-position accuracy there."""

    config: SweepConfig
    lengths: list[int]
    exact: dict[str, list[float]]
    position: dict[str, list[list[float]]]
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"config": self.config.as_dict(), "lengths": self.lengths, "exact": self.exact,
                "position": self.position, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, values: dict) -> "SweepResult":
        config = SweepConfig.from_dict(values["config"])
        return cls(config, list(values["lengths"]), values["exact"], values["position"], values.get("seconds", {}))


def bottleneck_sweep(config: SweepConfig, device: str | torch.device = "cpu",
                     callback: Callable[[str, float], None] | None = None) -> SweepResult:
    """Train 'none' and `config.attention` on reversal (lengths 3..max) for the same steps; test each length.

    `callback(name, fraction)` reports training progress of each model after every update; it may
    return False to stop the sweep (the result then holds the models finished so far).
    """
    exact, position, seconds = {}, {}, {}
    for attention in ("none", config.attention):
        train_config = config.train_config(attention)
        report = (lambda p, a=attention: callback(a, p.step / p.steps)) if callback else None
        trained = train_seq2seq(train_config, device, report)
        if trained.stopped:
            break
        exact[attention], position[attention] = [], []
        for length in config.lengths:
            spec = TaskSpec("reverse", length, length)
            rng = random.Random(config.seed + EVAL_SEED_OFFSET + length)
            scores = evaluate(trained.model, spec, make_batch(spec, sample_sources(spec, config.eval_size, rng), device))
            exact[attention].append(scores["exact"])
            position[attention].append(scores["position"])
        seconds[attention] = trained.seconds
    return SweepResult(config, list(config.lengths), exact, position, seconds)


@dataclass(frozen=True)
class ExposureResult:
    """Teacher-forced vs free-running decoding of the same model on sources of one length.

    length: the sources' length (None for dates, which have their own); trained_positions: how many
    target characters the longest training source had (copy-delay: its blanks too; None for dates);
    *_position: per target position accuracy; first_divergence: (n,) first position where the
    free-running output leaves the target (−1 if never); example: (source, target, teacher-forced
    output, free-running output) of the first source.
    """

    length: int | None
    trained_positions: int | None
    teacher_forced_position: list[float]
    free_running_position: list[float]
    teacher_forced_exact: float
    free_running_exact: float
    first_divergence: list[int]
    example: tuple[str, str, str, str]

    @property
    def teacher_forced_mean(self) -> float:
        """Mean per-position accuracy with the true prefix fed back."""
        return float(np.mean(self.teacher_forced_position))

    @property
    def free_running_mean(self) -> float:
        """Mean per-position accuracy with the model's own prefix fed back."""
        return float(np.mean(self.free_running_position))


# The exposure-bias view's default test length: this many characters past the longest trained source,
# where a shipped model starts to err (so a mistake has something to compound) but, given the true
# prefix, still gets most positions right.
EXPOSURE_EXTRA_LENGTH = 3


@torch.no_grad()
def exposure_bias(trained: TrainedModel, length: int, n: int = 128, seed: int = 0) -> ExposureResult:
    """Decode `n` random sources of `length` both ways (dates: their own lengths)."""
    task = trained.config.task
    spec = TaskSpec(task.name, length, length, task.delay)
    device = next(trained.model.parameters()).device
    batch = make_batch(spec, sample_sources(spec, n, random.Random(seed)), device)
    model = trained.model
    with exact_fp32(device):
        forced = model(batch.src, batch.src_lengths, batch.tgt_in, 1.0).tokens
        free = greedy_decode(model, batch.src, batch.src_lengths, batch.tgt_out.shape[1]).tokens
    forced_scores, free_scores = accuracy_of(forced, batch.tgt_out), accuracy_of(free, batch.tgt_out)
    vocab = vocabulary(task.name)
    example = (batch.sources[0], batch.targets[0], vocab.decode(forced[0]), vocab.decode(free[0]))
    dates = task.name == "dates"
    trained = None if dates else len(target_for(task, "0" * task.max_length))
    return ExposureResult(None if dates else length, trained, forced_scores["position"], free_scores["position"],
                          forced_scores["exact"], free_scores["exact"], _first_divergence(free, batch.tgt_out), example)


def _first_divergence(tokens: torch.Tensor, tgt_out: torch.Tensor) -> list[int]:
    """Per row, the first target position (</s> included) where `tokens` differs; −1 if none."""
    T = tgt_out.shape[1]
    emitted = torch.full_like(tgt_out, -1)
    emitted[:, :min(T, tokens.shape[1])] = tokens[:, :T]
    wrong = (emitted != tgt_out) & (tgt_out != PAD)
    first = wrong.float().argmax(dim=1)
    return torch.where(wrong.any(dim=1), first, torch.full_like(first, -1)).tolist()

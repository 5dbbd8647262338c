"""What each model can learn: the Transformer and a GRU beside the state-space page's Mamba, S4D and
LSTM on its tasks, at a similar parameter budget; and length generalisation per positional encoding.

Glossary
    V   vocabulary size (seqviz.ssm.tasks.ALPHABET)     d   model width      l, L   sequence length
    L   the training length of the generalisation test; it is tested at L, 2L and 4L

The Mamba, S4D and LSTM models and their training are seqviz.ssm.compare's (same tasks, same
`train_one`, same AdamW budget), so their saved results (assets/ssm/) are shown as they are; this
module adds a GRU and the Transformer, trained the same way with the same CompareConfig. Widths are
chosen so each model's parameter count is closest to the Mamba model's (about 3,000).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.threads import single_threaded
from seqviz.ssm.compare import CompareConfig, SequenceModel, accuracy, train_one
from seqviz.ssm.tasks import VOCAB_SIZE, make_batch
from seqviz.transformer.model import POSITIONAL, Transformer, TransformerConfig, parameter_count

ADDED_KINDS = ("gru", "transformer")  # trained here; mamba, s4d and lstm come from seqviz.ssm
GENERALISATION_FACTORS = (1, 2, 4)
HELD_OUT = 256  # sequences per held-out batch


class GRUModel(nn.Module):
    """Embedding (32) → stock nn.GRU(32, width) → linear read-out (b, l, V), as SequenceModel's LSTM."""

    def __init__(self, width: int, seed: int = 0):
        super().__init__()
        g = seeding.generator(seed)
        self.embedding = seeding.seeded(nn.Embedding, VOCAB_SIZE, 32, generator=g)
        self.layer = seeding.seeded(nn.GRU, 32, width, batch_first=True, generator=g)
        self.head = seeding.seeded(nn.Linear, width, VOCAB_SIZE, generator=g)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.layer(self.embedding(tokens))[0])


@dataclass(frozen=True)
class LearnConfig:
    """The Transformer's shape and the common budget (`base`, the state-space page's CompareConfig)."""

    base: CompareConfig = CompareConfig(steps=1600)
    n_heads: int = 2
    n_layers: int = 2
    positional: str = "sinusoidal"
    train_length: int = 32

    @property
    def max_len(self) -> int:
        """Positions the learned encoding covers: the longest test."""
        return max(GENERALISATION_FACTORS) * max(max(self.base.lengths), self.train_length) + self.base.n_memorize


def budget(config: CompareConfig) -> int:
    """The Mamba model's parameter count: the budget the others are matched to."""
    return parameter_count(SequenceModel("mamba", config.d_model, config.d_state))


def transformer_config(config: LearnConfig, positional: str | None = None) -> TransformerConfig:
    """The task Transformer whose width (a multiple of n_heads) gives the count closest to the budget.

    The width is matched without a learned position table, so every encoding gets the same width
    (a learned one adds max_len · d parameters on top)."""
    target = budget(config.base)

    def of(d, pe):
        return TransformerConfig(vocab_size=VOCAB_SIZE, d_model=d, n_heads=config.n_heads, n_layers=config.n_layers,
                                 positional=pe, max_len=config.max_len, seed=config.base.seed)

    widths = range(config.n_heads, 65, config.n_heads)
    d = min(widths, key=lambda w: abs(parameter_count(Transformer(of(w, "none"))) - target))
    return of(d, positional or config.positional)


def gru_width(config: CompareConfig) -> int:
    target = budget(config)
    return min(range(4, 129, 2), key=lambda w: abs(parameter_count(GRUModel(w)) - target))


def build(kind: str, config: LearnConfig, positional: str | None = None) -> nn.Module:
    """A fresh "gru" or "transformer" (with `positional`, default config.positional) model."""
    if kind == "gru":
        return GRUModel(gru_width(config.base), config.base.seed)
    if kind == "transformer":
        return Transformer(transformer_config(config, positional))
    raise ValueError(f"model kind must be one of {', '.join(ADDED_KINDS)}; got {kind!r}")


def held_out(config: CompareConfig, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out batch of `length`, drawn as seqviz.ssm.compare draws it (seed + 10,000)."""
    return make_batch(config.task, HELD_OUT, length, config.n_memorize,
                      torch.Generator().manual_seed(config.seed + 10_000 + length))


def generalisation(model: nn.Module, config: LearnConfig) -> dict[int, float]:
    """Accuracy of a model trained at L on held-out sequences of L, 2L and 4L."""
    model.eval()
    return {k * config.train_length: accuracy(model, *held_out(config.base, k * config.train_length))
            for k in GENERALISATION_FACTORS}


@dataclass
class LearnResult:
    """What the added models learned.

    accuracy[kind][l], losses[kind][l]: trained and tested at each length of config.base.lengths.
    generalisation[name][l]: trained at config.train_length, tested at l ∈ {L, 2L, 4L}; names are
    "gru" and "transformer (<positional>)" (the state-space models' come from their saved models).
    params[kind]: parameter counts.
    """

    config: LearnConfig
    accuracy: dict[str, dict[int, float]] = field(default_factory=dict)
    losses: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    generalisation: dict[str, dict[int, float]] = field(default_factory=dict)
    params: dict[str, int] = field(default_factory=dict)


def transformer_name(positional: str) -> str:
    return f"transformer ({positional})"


def learn(config: LearnConfig, progress: Callable[[str, int, int, float], None] | None = None,
          kinds: tuple[str, ...] = ADDED_KINDS, encodings: tuple[str, ...] = POSITIONAL):
    """Train `kinds` at every length of config.base, then a Transformer per encoding at train_length.

    Args:
        progress: called as progress(name, length, step, loss) after every step.
    Returns:
        (LearnResult, {name: model trained at train_length}).
    """
    result, kept = LearnResult(config), {}
    runs = [(kind, None, l) for l in config.base.lengths for kind in kinds]
    runs += [("transformer", pe, config.train_length) for pe in encodings
             if not (pe == config.positional and "transformer" in kinds and config.train_length in config.base.lengths)]
    with single_threaded():
        for kind, pe, length in runs:
            name = kind if kind == "gru" else transformer_name(pe or config.positional)
            model = build(kind, config, pe)
            report = None if progress is None else (lambda s, loss, n=name, l=length: progress(n, l, s, loss))
            losses = train_one(model, config.base, length, report)
            result.params[name] = parameter_count(model)
            if pe is None:
                result.losses.setdefault(kind, {})[length] = losses
                result.accuracy.setdefault(kind, {})[length] = accuracy(model.eval(), *held_out(config.base, length))
            if length == config.train_length:
                result.generalisation[name] = generalisation(model, config)
                kept[name] = model.eval()
    return result, kept


@dataclass(frozen=True)
class RetrainConfig:
    """The page's live retrain: the Transformer alone, at one length L, tested at L, 2L and 4L."""

    task: str = CompareConfig.task
    positional: str = "sinusoidal"
    length: int = 32
    steps: int = 400
    n_layers: int = LearnConfig.n_layers
    n_heads: int = LearnConfig.n_heads
    seed: int = 0

    def learn_config(self) -> LearnConfig:
        base = replace(LearnConfig.base, task=self.task, steps=self.steps, lengths=(self.length,), seed=self.seed)
        return LearnConfig(base=base, n_heads=self.n_heads, n_layers=self.n_layers, positional=self.positional,
                           train_length=self.length)


def retrain(config: RetrainConfig, progress: Callable[[str, int, int, float], None] | None = None):
    """(LearnResult, the trained Transformer) of a live retrain."""
    result, kept = learn(config.learn_config(), progress, kinds=("transformer",), encodings=(config.positional,))
    return result, kept[transformer_name(config.positional)]


def save_learned(result: LearnResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(result)))


def load_learned(path: Path) -> LearnResult | None:
    """The saved result, or None when the file does not exist."""
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    base = raw["config"].pop("base")
    config = LearnConfig(base=CompareConfig(**{**base, "lengths": tuple(base["lengths"])}), **raw["config"])

    def by_length(d):
        return {name: {int(l): v for l, v in per.items()} for name, per in d.items()}

    return LearnResult(config, by_length(raw["accuracy"]), by_length(raw["losses"]),
                       by_length(raw["generalisation"]), raw["params"])

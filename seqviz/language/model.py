"""A character-level language model: embedding → a stock nn.RNN / nn.LSTM / nn.GRU → linear readout.

Glossary
    V   vocabulary size     E   embedding size     H   hidden size     L   layers
    T   characters          B   independent streams of text read side by side

The recurrent core is a stock module from `seqviz.build_model` (sequence first), so `seqviz.trace`
runs on it with the embedded characters as its input: `trace(model.rnn, model.embed(ids))`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.checkpoints import load_weights_only
from seqviz.core.models import KINDS, build_model
from seqviz.language.corpus import Vocabulary

CHECKPOINT_FORMAT = "seqviz-char-lm-1"


@dataclass(frozen=True)
class CharModelConfig:
    """Architecture of a character model (plain values: saved as a dict in its checkpoint)."""

    kind: str = "lstm"
    embed_size: int = 32
    hidden_size: int = 256
    num_layers: int = 1
    seed: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")


class CharModel(nn.Module):
    """p(c_{t+1} | c_≤t) for characters; `rnn` is a stock module that seqviz.trace accepts."""

    def __init__(self, config: CharModelConfig, vocabulary: Vocabulary):
        super().__init__()
        self.config, self.vocabulary = config, vocabulary
        g = seeding.generator(config.seed)
        V, E, H = vocabulary.size, config.embed_size, config.hidden_size
        self.embedding = seeding.seeded(nn.Embedding, V, E, generator=g)
        self.rnn = build_model(config.kind, E, H, config.num_layers, seed=config.seed)
        self.readout = seeding.seeded(nn.Linear, H, V, generator=g)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """(T, [B,]) ids → (T, [B,] E) the recurrent module's input."""
        return self.embedding(ids)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (T, B) → logits (T, B, V) for the next character at each step, and the final state."""
        out, state = self.rnn(self.embed(ids), state)
        return self.readout(out), state

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


@dataclass
class TrainedCharModel:
    """A model in eval mode with what training recorded: {"step", "loss", "valid_bits", "seconds"}
    lists, and held-out bits per character ("valid", "test") once measured."""

    model: CharModel
    history: dict
    bits_per_char: dict
    seconds: float


def save(trained: TrainedCharModel, path) -> None:
    """A weights-only-loadable dictionary: config, vocabulary, weights, history, bits per character."""
    torch.save({"format": CHECKPOINT_FORMAT, "config": asdict(trained.model.config),
                "vocabulary": trained.model.vocabulary.chars,
                "state_dict": {k: v.detach().cpu().clone() for k, v in trained.model.state_dict().items()},
                "history": trained.history, "bits_per_char": trained.bits_per_char,
                "seconds": trained.seconds}, path)


def load(source, device: str | torch.device = "cpu") -> TrainedCharModel:
    """Read a checkpoint written by `save` (torch.load with weights_only=True: nothing in it runs)."""
    data = load_weights_only(source)
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"not a seqviz character-model checkpoint: expected format {CHECKPOINT_FORMAT!r}")
    try:
        model = CharModel(CharModelConfig(**data["config"]), Vocabulary(data["vocabulary"]))
        model.load_state_dict(data["state_dict"])
    except (KeyError, TypeError, RuntimeError) as error:
        raise ValueError(f"checkpoint does not match its own config: {str(error)[:200]}") from None
    model.eval()
    return TrainedCharModel(model.to(device), data["history"], data["bits_per_char"], float(data["seconds"]))

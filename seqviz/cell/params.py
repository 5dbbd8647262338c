"""Parameter counts of stock recurrent modules, counted on real torch.nn modules.

Glossary
    I   input size      H   hidden size      L   layers      D   directions (1 or 2)
    G   gate blocks: RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o)

Every layer and direction holds W_ih (G·H, I_l), W_hh (G·H, H), b_ih and b_hh (G·H each), where
I_l = I for the first layer and D·H above it. So one layer costs G·(H·I_l + H² + 2H): for H ≫ I
an LSTM has about 4× and a GRU about 3× the parameters of a plain RNN (the n², 4n², 3n² pattern).
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from seqviz.core.models import KINDS

_MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass(frozen=True)
class ParamCount:
    """Parameters of one module kind, split into input weights, recurrent weights and biases."""

    kind: str
    input_weights: int
    recurrent_weights: int
    biases: int

    @property
    def total(self) -> int:
        return self.input_weights + self.recurrent_weights + self.biases


def count_parameters(kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                     bidirectional: bool = False, bias: bool = True) -> ParamCount:
    """Count the parameters of a real nn.RNN / nn.LSTM / nn.GRU with these sizes.

    The module is built on the "meta" device: real shapes, no memory for the values.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    module = _MODULES[kind](input_size, hidden_size, num_layers, bias=bias, bidirectional=bidirectional, device="meta")
    parts = {"weight_ih": 0, "weight_hh": 0, "bias": 0}
    for name, param in module.named_parameters():
        parts[next(p for p in parts if name.startswith(p))] += param.numel()
    return ParamCount(kind, parts["weight_ih"], parts["weight_hh"], parts["bias"])


def compare_kinds(input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                  bias: bool = True) -> dict[str, ParamCount]:
    """count_parameters for RNN, LSTM and GRU at the same sizes, keyed by kind."""
    return {kind: count_parameters(kind, input_size, hidden_size, num_layers, bidirectional, bias) for kind in KINDS}

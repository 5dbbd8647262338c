"""What a character model computes on a text: any layer's state or gate at every character, gate
saturation, and how far back a prediction reaches.

Glossary
    T   characters     H   hidden size     E   embedding size
    quantities   "hidden" h_t; "cell" c_t (LSTM); the gates i, f, g, o (LSTM) or r, z, n (GRU),
                 in PyTorch's conventions (GRU: n_t = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)))
    reach        ‖dL_t/dx_s‖ for s ≤ t, with L_t = −log p(c_{t+1} | c_≤t) and x_s the embedded c_s
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.core.models import GATE_NAMES
from seqviz.core.tracing import gate_activations, trace
from seqviz.language.model import CharModel
from seqviz.language.patterns import layer_io, layer_states, layer_weights

SIGMOID_GATES = {"lstm": ("i", "f", "o"), "gru": ("r", "z"), "rnn": ()}


def quantities(kind: str) -> tuple[str, ...]:
    """What can be read from a model of this kind: its states, then its gates."""
    return ("hidden", "cell") + GATE_NAMES[kind] if kind == "lstm" else ("hidden",) + GATE_NAMES[kind]


@torch.no_grad()
def read(model: CharModel, text: str, layer: int, quantity: str) -> np.ndarray:
    """(T, H) float32 values of `quantity` at `layer` for every character of `text`, from a zero state."""
    kind = model.config.kind
    if quantity not in quantities(kind):
        raise ValueError(f"a {kind.upper()} has {', '.join(quantities(kind))}; got {quantity!r}")
    if not 0 <= layer < model.config.num_layers:
        raise ValueError(f"layer must be in 0..{model.config.num_layers - 1}; got {layer}")
    x = model.embed(torch.as_tensor(model.vocabulary.encode(text)))
    if quantity in ("hidden", "cell"):
        return layer_states(model, x, layer, quantity).numpy()
    x, h = layer_io(model, x, layer)
    return _gates(model, layer, x, h)[quantity].numpy()


def _gates(model: CharModel, layer: int, x: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gate name → (T, H) for a layer's inputs x (T, I) and outputs h (T, H), from h_{−1} = 0."""
    h_prev = torch.cat([torch.zeros_like(h[:1]), h[:-1]])
    return gate_activations(model.config.kind, layer_weights(model.rnn, layer), x, h_prev)


@torch.no_grad()
def gate_saturation(model: CharModel, text: str, low: float = 0.1, high: float = 0.9) -> dict[str, np.ndarray]:
    """Sigmoid gate name → (L·H, 2): per gate unit of every layer, the fraction of steps < low and > high."""
    gates = SIGMOID_GATES[model.config.kind]
    fractions = {gate: [] for gate in gates}
    x = model.embed(torch.as_tensor(model.vocabulary.encode(text)))
    for layer in range(model.config.num_layers):
        values = _gates(model, layer, *layer_io(model, x, layer))
        for gate in gates:
            fractions[gate].append(torch.stack([(values[gate] < low).double().mean(0),
                                                (values[gate] > high).double().mean(0)], dim=1).numpy())
    return {gate: np.concatenate(parts) for gate, parts in fractions.items()}


def gradient_reach(model: CharModel, text: str, position: int) -> tuple[np.ndarray, np.ndarray]:
    """(‖dL_t/dx_s‖ (t+1,), ‖dL_t/dh_s‖ of the last layer (t+1,)) for t = `position`, exact via seqviz.trace.

    `text[:position + 2]` is read: characters 0..t are the context and text[t + 1] the target.
    """
    if not 0 <= position < len(text) - 1:
        raise ValueError(f"position must be in 0..{len(text) - 2} (a character with one after it); got {position}")
    ids = torch.as_tensor(model.vocabulary.encode(text[:position + 2]))
    x = model.embed(ids[:-1]).detach()  # (t+1, E)
    W, b = model.readout.weight.detach(), model.readout.bias.detach()
    target = ids[-1:]

    def loss(out: torch.Tensor) -> torch.Tensor:  # out (t+1, H)
        return F.cross_entropy(F.linear(out[-1:], W.to(out.dtype), b.to(out.dtype)), target)

    tr = trace(model.rnn, x, loss=loss, dtype="float64")
    return tr.grad_input_norm.copy(), tr.grad_hidden_norm[:, -1, 0].copy()

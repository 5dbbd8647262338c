"""Pattern search in the hidden state (LSTMVis, Strobelt et al. 2017).

A visitor selects a span of steps [a, b) and a threshold θ. The units that are on (value > θ) at
every step of the span and off just before it (at a − 1) form the pattern; the corpus is then
searched for other spans where those units switch on together.

Glossary
    T   characters of the corpus      U   units of the chosen state (H)
    θ   threshold                     S   the selected units
    on[t, u] = state[t, u] > θ;  match[t] = Σ_{u∈S} on[t, u] ÷ |S|  (the share of the pattern that is on)

The corpus states are computed once per model and layer, over the text read as one sequence, and
kept as int8: each chunk of steps is scaled so its largest |value| is 127 (a quarter of float32's
memory; the rounding error is at most half a step, max|value| / 254).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqviz.core.pieces import run_in_pieces
from seqviz.core.scan import linear_recurrence
from seqviz.core.seeding import blank
from seqviz.core.tracing import gate_activations
from seqviz.language.model import CharModel

STATES = ("hidden", "cell")


@dataclass(frozen=True)
class CorpusStates:
    """A state of every character of a text: value ≈ codes (T, U) int8 ÷ scales (T,) float32."""

    text: str
    codes: np.ndarray
    scales: np.ndarray

    def unit_values(self, units, start: int = 0, stop: int | None = None) -> np.ndarray:
        """(stop − start, len(units)) float32 values of `units` over [start, stop)."""
        return self.codes[start:stop, list(units)].astype(np.float32) / self.scales[start:stop, None]

    def on(self, units, threshold: float) -> np.ndarray:
        """(T, len(units)) True where a unit's value is above `threshold`."""
        return self.codes[:, list(units)] > threshold * self.scales[:, None]


@torch.no_grad()
def corpus_states(model: CharModel, text: str, layer: int = 0, state: str = "hidden", chunk: int = 8192) -> CorpusStates:
    """One layer's h or c at every character of `text`, read as one sequence from a zero state.

    The layers run as pieces side by side (seqviz.core.pieces), which agrees with the plain module far
    inside the int8 resolution; each chunk of steps is scaled on its own.
    """
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}; got {state!r}")
    if state == "cell" and model.config.kind != "lstm":
        raise ValueError(f"only an LSTM has a cell state; this model is a {model.config.kind.upper()}")
    if not 0 <= layer < model.config.num_layers:
        raise ValueError(f"layer must be in 0..{model.config.num_layers - 1}; got {layer}")
    x, h = layer_io(model, model.embed(torch.as_tensor(model.vocabulary.encode(text))), layer, run_in_pieces)
    parts = cell_states(layer_weights(model.rnn, layer), x, h, chunk) if state == "cell" \
        else (h[start:start + chunk] for start in range(0, len(h), chunk))
    codes, scales = zip(*(_int8(part) for part in parts))
    return CorpusStates(text, np.concatenate(codes), np.concatenate(scales))


def _int8(values: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes (T, U) of values (T, U) scaled so the largest |value| is 127, and the scale per step (T,)."""
    scale = 127.0 / max(float(values.abs().max()), 1e-30)
    return torch.round(values * scale).to(torch.int8).numpy(), np.full(len(values), scale, dtype=np.float32)


def layer_states(model: CharModel, x: torch.Tensor, layer: int, state: str = "hidden") -> torch.Tensor:
    """(T, H) h or c of `layer` for embedded characters x (T, E), from zero states.

    An LSTM's c_t, which torch keeps only for the last step, follows from the gates (`cell_states`).
    """
    x, h = layer_io(model, x, layer)
    return torch.cat(list(cell_states(layer_weights(model.rnn, layer), x, h))) if state == "cell" else h


def _plain(module, x: torch.Tensor) -> torch.Tensor:
    """Outputs (T, H) of a one-layer module over x (T, I) as one batch-of-one sequence."""
    return module(x[:, None])[0][:, 0]


def layer_io(model: CharModel, x: torch.Tensor, layer: int, run=_plain) -> tuple[torch.Tensor, torch.Tensor]:
    """(input (T, I), output h (T, H)) of `layer` for embedded characters x (T, E), from zero states.

    Each layer runs as torch's own one-layer module on its copy of the weights, through `run`.
    """
    for l in range(layer):
        x = run(_one_layer(model.rnn, l), x)
    return x, run(_one_layer(model.rnn, layer), x)


def _one_layer(rnn, l: int):
    """A one-layer module of the same kind holding layer `l`'s weights (no random draws)."""
    options = {"nonlinearity": rnn.nonlinearity} if isinstance(rnn, torch.nn.RNN) else {}
    single = blank(type(rnn), rnn.input_size if l == 0 else rnn.hidden_size, rnn.hidden_size, 1, **options)
    single.load_state_dict({f"{name}_l0": weight for name, weight in layer_weights(rnn, l).items()})
    return single


def layer_weights(rnn, l: int) -> dict[str, torch.Tensor]:
    """Layer `l`'s weight_ih, weight_hh, bias_ih and bias_hh."""
    return {name: getattr(rnn, f"{name}_l{l}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


def cell_states(weights: dict[str, torch.Tensor], x: torch.Tensor, h: torch.Tensor, chunk: int = 8192):
    """c_t of an LSTM layer (`layer_weights`) from zero states, given its inputs x (T, I) and outputs h (T, H):
    c_t = f_t c_{t−1} + i_t g_t, yielded in chunks of (≤ chunk, H) steps to bound the memory."""
    h_prev = torch.cat([h.new_zeros(1, h.shape[1]), h[:-1]])  # (T, H)
    c = h.new_zeros(h.shape[1])
    for start in range(0, len(h), chunk):
        gates = gate_activations("lstm", weights, x[start:start + chunk], h_prev[start:start + chunk])
        part = linear_recurrence(gates["f"], gates["i"] * gates["g"], c)
        c = part[-1]
        yield part


def pattern_units(values: np.ndarray, start: int, stop: int, threshold: float) -> list[int]:
    """Units on (> θ) at every step of [start, stop) and off (≤ θ) at start − 1 (when start > 0).

    `values` (T, U) are the states as floats (any scale θ is in).
    """
    on = (values[start:stop] > threshold).all(axis=0)
    if start > 0:
        on &= values[start - 1] <= threshold
    return [int(u) for u in np.flatnonzero(on)]


@dataclass(frozen=True)
class Match:
    """A span [start, stop) of the corpus where the pattern's units are on; `share` of them on, on average."""

    start: int
    stop: int
    share: float


def search(states: CorpusStates, units: list[int], threshold: float, length: int, top: int = 10,
           min_share: float = 1.0, exclude: tuple[int, int] | None = None) -> list[Match]:
    """The `top` spans where at least `min_share` of `units` are on at each step, best first.

    Spans are maximal runs of such steps; they rank by how close their length is to `length` (the
    selection's), then by the share of units on, then by position. `exclude` drops the selection itself.
    """
    if not units:
        return []
    share = states.on(units, threshold).mean(axis=1)  # (T,)
    active = share >= min_share - 1e-9
    runs = _runs(active)
    matches = [Match(int(a), int(b), float(share[a:b].mean())) for a, b in runs
               if exclude is None or b <= exclude[0] or a >= exclude[1]]
    matches.sort(key=lambda m: (abs((m.stop - m.start) - length), -m.share, m.start))
    return matches[:top]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of every maximal run of True in a (T,) boolean mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))

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
memory; the rounding error is at most half a step, |value| ≤ max|value| / 254).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqviz.core.scan import linear_recurrence
from seqviz.core.seeding import blank
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
    """Run the model over `text` in one pass (chunks carry the state) and keep one layer's h or c."""
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}; got {state!r}")
    if state == "cell" and model.config.kind != "lstm":
        raise ValueError(f"only an LSTM has a cell state; this model is a {model.config.kind.upper()}")
    if not 0 <= layer < model.config.num_layers:
        raise ValueError(f"layer must be in 0..{model.config.num_layers - 1}; got {layer}")
    ids = torch.as_tensor(model.vocabulary.encode(text))
    codes, scales, carried = [], [], [None] * model.config.num_layers
    for start in range(0, len(ids), chunk):
        picked, carried = layer_states(model, model.embed(ids[start:start + chunk]), carried, layer, state)
        scale = 127.0 / max(float(picked.abs().max()), 1e-30)
        codes.append(torch.round(picked * scale).to(torch.int8).numpy())
        scales.append(np.full(len(picked), scale, dtype=np.float32))
    return CorpusStates(text, np.concatenate(codes), np.concatenate(scales))


def layer_states(model: CharModel, x: torch.Tensor, carried: list, layer: int, state: str = "hidden"):
    """(T, H) h or c of `layer` for inputs x (T, E), and every layer's final state to carry on.

    Each layer runs as torch's own one-layer module on its copy of the weights; an LSTM's c_t,
    which torch keeps only for the last step, follows from the gates by c_t = f_t c_{t−1} + i_t g_t.
    """
    rnn, picked, finals = model.rnn, None, []
    for l in range(rnn.num_layers):
        single = _one_layer(rnn, l)
        out, final = single(x[:, None], carried[l])
        if l == layer:
            picked = _cell_states(single, x, out[:, 0], carried[l]) if state == "cell" else out[:, 0]
        finals.append(final)
        x = out[:, 0]
    return picked, finals


def layer_io(model: CharModel, x: torch.Tensor, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input (T, I), output h (T, H)) of `layer` for embedded characters x (T, E), from zero states."""
    for l in range(layer):
        x = _one_layer(model.rnn, l)(x[:, None])[0][:, 0]
    return x, _one_layer(model.rnn, layer)(x[:, None])[0][:, 0]


def _one_layer(rnn, l: int):
    """A one-layer module of the same kind holding layer `l`'s weights (no random draws)."""
    options = {"nonlinearity": rnn.nonlinearity} if isinstance(rnn, torch.nn.RNN) else {}
    single = blank(type(rnn), rnn.input_size if l == 0 else rnn.hidden_size, rnn.hidden_size, 1, **options)
    single.load_state_dict({f"{name}_l0": getattr(rnn, f"{name}_l{l}")
                            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    return single


def _cell_states(lstm, x: torch.Tensor, h: torch.Tensor, carried) -> torch.Tensor:
    """(T, H) c_t of a one-layer LSTM from its inputs x (T, I), outputs h (T, H) and initial (h0, c0)."""
    h0, c0 = (torch.zeros(1, 1, lstm.hidden_size), torch.zeros(1, 1, lstm.hidden_size)) if carried is None \
        else carried
    h_prev = torch.cat([h0[0], h[:-1]])  # (T, H)
    z = x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + h_prev @ lstm.weight_hh_l0.T + lstm.bias_hh_l0
    i, f, g, _ = z.chunk(4, dim=-1)
    return linear_recurrence(torch.sigmoid(f), torch.sigmoid(i) * torch.tanh(g), c0[0, 0])


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

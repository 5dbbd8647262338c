"""One recurrent cell on one input sequence: the trace, the reversed-order check, a step's numbers.

Glossary
    T  time steps    I  input size    H  hidden size    L  layers    D  directions (1 or 2)
    G  gate blocks (RNN 1, GRU 3, LSTM 4)    U  units chosen for the equations
    h_t hidden state, c_t LSTM cell state; i f g o LSTM gates; r z n GRU gates
    prev  the step before t in processing order: t−1 forward, t+1 for the backward direction

Conventions (PyTorch's, which `seqviz.trace` records exactly)
    RNN   h_t = φ(W_ih x_t + b_ih + W_hh h_prev + b_hh), φ = tanh or ReLU
    LSTM  i, f, o = σ(·), g = tanh(·); c_t = f ⊙ c_prev + i ⊙ g; h_t = o ⊙ tanh(c_t)
    GRU   r, z = σ(·); n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_prev + b_hn));
          h_t = (1 − z) ⊙ n + z ⊙ h_prev  (z is the share of the old state kept)
All states and gates come from `seqviz.trace`; this module only splits a step's pre-activations into
their input and recurrent parts (from the module's weights) so the equations can show them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from seqviz.cell.inputs import InputSequence, InputSpec, make_input
from seqviz.core.budget import check_budget, trace_bytes
from seqviz.core.devices import exact_fp32
from seqviz.core.models import GATE_BLOCKS, GATE_NAMES, INITS, build_model
from seqviz.core.tracing import Trace, trace
from seqviz.core.user_model import UserModel, user_module

CELL_VARIANTS = {"rnn-tanh": ("rnn", "tanh"), "rnn-relu": ("rnn", "relu"), "lstm": ("lstm", "tanh"),
                 "gru": ("gru", "tanh")}  # the page's choice of cell → (kind, nonlinearity)
MAX_HIDDEN, MAX_LAYERS = 256, 3


@dataclass(frozen=True)
class CellConfig:
    """Everything one run depends on (hashable: it keys the page's cache)."""

    cell: str = "lstm"
    hidden_size: int = 16
    num_layers: int = 1
    bidirectional: bool = False
    init: str = "default"
    forget_bias: float = 1.0
    seed: int = 0
    device: str = "cpu"
    input: InputSpec = field(default_factory=InputSpec)
    model: UserModel | None = None  # a visitor's own model (see with_model); None: built from the above

    @property
    def kind(self) -> str:
        return CELL_VARIANTS[self.cell][0]

    @property
    def nonlinearity(self) -> str:
        return CELL_VARIANTS[self.cell][1]

    def with_model(self, model: UserModel) -> CellConfig:
        """This config running a visitor's own `model`: its kind, sizes and directions; the settings that
        only make weights (init, forget bias, seed) go back to their defaults, as they no longer change them."""
        cell = f"rnn-{model.nonlinearity}" if model.kind == "rnn" else model.kind
        return replace(self, cell=cell, hidden_size=model.hidden_size, num_layers=model.num_layers,
                       bidirectional=model.bidirectional, init=CellConfig.init, forget_bias=CellConfig.forget_bias,
                       seed=CellConfig.seed, model=model)


@dataclass(frozen=True)
class CellRun:
    """The result of `run_cell`.

    Attributes:
        sequence: the input (T, I) with its step labels.
        trace: the exact trace of the module on the sequence.
        reversed_final: (L, D, H) the state h_n the same module ends in on the reversed sequence.
        input_weights: (layer, direction) → (W_ih (G·H, I_l), b_ih (G·H,)), for the step equations.
        seconds: how long building, tracing and the reversed run took.
    """

    config: CellConfig
    sequence: InputSequence
    trace: Trace
    reversed_final: np.ndarray
    input_weights: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    seconds: float = 0.0


def _check_config(config: CellConfig) -> None:
    if config.cell not in CELL_VARIANTS:
        raise ValueError(f"cell must be one of {', '.join(CELL_VARIANTS)}; got {config.cell!r}")
    if config.init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}; got {config.init!r}")
    if not 1 <= config.hidden_size <= MAX_HIDDEN:
        raise ValueError(f"hidden size must be from 1 to {MAX_HIDDEN}; got {config.hidden_size}")
    if not 1 <= config.num_layers <= MAX_LAYERS:
        raise ValueError(f"layers must be from 1 to {MAX_LAYERS}; got {config.num_layers}")
    if config.model is not None and config != config.with_model(config.model):
        raise ValueError("a config with a user model must describe it: build it with CellConfig.with_model")


def _check_input_size(sequence: InputSequence, model: UserModel | None) -> None:
    if model is not None and sequence.input_size != model.input_size:
        raise ValueError(f"{model.label} takes I = {model.input_size} input(s) per step; this sequence has "
                         f"I = {sequence.input_size}. Pick a sequence with {model.input_size} feature(s): random "
                         "Gaussian with that many features, a CSV with that many columns, or typed text with a fixed "
                         "random embedding of that size.")


def _module(config: CellConfig, input_size: int):
    """The stock module `config` describes: the visitor's own (copied in fresh) or one built from the seed."""
    if config.model is not None:
        return user_module(config.model).to(config.device)
    return build_model(config.kind, input_size, config.hidden_size, config.num_layers, config.bidirectional,
                       config.nonlinearity, config.init, config.forget_bias if config.kind == "lstm" else None,
                       seed=config.seed, device=config.device)


def run_cell(config: CellConfig) -> CellRun:
    """Build the module (or copy in the visitor's own), trace it on the input, and find its final state on
    the reversed input."""
    _check_config(config)
    start = time.perf_counter()
    sequence = make_input(config.input)
    _check_input_size(sequence, config.model)
    D = 1 + config.bidirectional
    check_budget(trace_bytes(sequence.steps, config.hidden_size, config.num_layers, D, GATE_BLOCKS[config.kind]),
                 f"a trace of T={sequence.steps}, H={config.hidden_size}, {config.num_layers} layer(s)",
                 "sequence length, hidden size or number of layers", device=config.device)
    module = _module(config, sequence.input_size)
    traced = trace(module, np.array(sequence.x), loss="last")  # a writable copy for torch
    with torch.no_grad(), exact_fp32(config.device):
        x_rev = torch.tensor(sequence.reversed().x, device=config.device)[:, None]  # (T, 1, I)
        _, state = module(x_rev)
    h_n = state[0] if config.kind == "lstm" else state  # (L·D, 1, H)
    reversed_final = h_n[:, 0].reshape(config.num_layers, D, config.hidden_size).cpu().numpy()
    return CellRun(config, sequence, traced, reversed_final, _input_weights(module), time.perf_counter() - start)


def _input_weights(module) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    weights = {}
    for l in range(module.num_layers):
        for k in range(1 + module.bidirectional):
            suffix = f"_l{l}" + ("_reverse" if k else "")
            W = getattr(module, "weight_ih" + suffix).detach().cpu().numpy()
            b = getattr(module, "bias_ih" + suffix).detach().cpu().numpy() if module.bias else np.zeros(len(W), W.dtype)
            weights[(l, k)] = (W, b)
    return weights


def cell_states(tr: Trace, layer: int = 0, direction: int = 0) -> dict[str, np.ndarray]:
    """The (T, H) arrays of one layer and direction: "h", then "c" (LSTM), then each gate."""
    states = {"h": tr.hidden[:, layer, direction]}
    if tr.cell is not None:
        states["c"] = tr.cell[:, layer, direction]
    states.update({name: tr.gates[name][:, layer, direction] for name in GATE_NAMES[tr.kind]})
    return states


def final_state(tr: Trace, layer: int = 0, direction: int = 0) -> np.ndarray:
    """(H,) the state a layer and direction ends in: h_{T−1} forward, h_0 for the backward direction."""
    return tr.hidden[0 if direction else -1, layer, direction]


@dataclass(frozen=True)
class StepNumbers:
    """A step's numbers for U chosen units of one layer and direction.

    Attributes:
        input_part: (G, U) W_i· x_t + b_i· per gate block (RNN: the single block).
        recurrent_part: (G, U) W_h· h_prev + b_h· per gate block.
        gates: gate name → (U,) activations from the trace.
        h, h_prev: (U,) new and previous hidden state; c, c_prev: (U,) for LSTM, else None.
        x: (I_l,) the layer's input at step t (layer_input).
    """

    kind: str
    nonlinearity: str
    t: int
    direction: int
    units: tuple[int, ...]
    input_part: np.ndarray
    recurrent_part: np.ndarray
    gates: dict[str, np.ndarray]
    h: np.ndarray
    h_prev: np.ndarray
    c: np.ndarray | None
    c_prev: np.ndarray | None
    x: np.ndarray | None = None


def _previous(values: np.ndarray, t: int, direction: int) -> np.ndarray:
    """(…) the value at the step before t in processing order; zeros (h_0 = c_0 = 0) at the start."""
    prev = t + 1 if direction else t - 1
    return values[prev] if 0 <= prev < len(values) else np.zeros_like(values[0])


@dataclass(frozen=True)
class BackwardPass:
    """What the gradient meets on its way back through one layer and direction.

    grad_norm: (T,) ‖dL/dh_t‖ (float64). passes: name → (T,) the mean over units of what scales the
    gradient at each step: the LSTM's forget gate f_t (dL/dc_{t−1} = f_t ⊙ dL/dc_t), the GRU's update
    gate z_t (the share of dL/dh_t passed straight to h_{t−1}), the RNN's tanh′ = 1 − h_t² (ReLU: the
    share of units on).
    """

    kind: str
    grad_norm: np.ndarray
    passes: dict[str, np.ndarray]


def backward_pass(run: CellRun, layer: int = 0, direction: int = 0) -> BackwardPass:
    """The per-step gradient norm of one layer and direction, and the factors it passes through."""
    tr = run.trace
    h = tr.hidden[:, layer, direction].astype(np.float64)
    if tr.kind == "lstm":
        passes = {"f": tr.gates["f"][:, layer, direction].mean(axis=-1)}
    elif tr.kind == "gru":
        passes = {"z": tr.gates["z"][:, layer, direction].mean(axis=-1)}
    elif tr.nonlinearity == "tanh":
        passes = {"tanh′": (1.0 - h**2).mean(axis=-1)}
    else:
        passes = {"ReLU′": (h > 0).mean(axis=-1)}
    return BackwardPass(tr.kind, tr.grad_hidden_norm[:, layer, direction].astype(np.float64),
                        {name: np.asarray(v, dtype=np.float64) for name, v in passes.items()})


def layer_input(run: CellRun, layer: int) -> np.ndarray:
    """(T, I_l) what layer `layer` reads at each step: the sequence x_t for layer 0, else the hidden
    states of the layer below (both directions, concatenated, for a bidirectional module)."""
    if layer == 0:
        return np.asarray(run.sequence.x)
    hidden = run.trace.hidden[:, layer - 1]
    return hidden.reshape(hidden.shape[0], -1)


def layer_input_names(run: CellRun, layer: int) -> tuple[str, ...]:
    """Names of layer_input's columns: the sequence's features, or the lower layer's units."""
    if layer == 0:
        return tuple(run.sequence.feature_names)
    H, D = run.trace.hidden_size, run.trace.num_directions
    suffixes = ("", "←") if D == 2 else ("",)
    return tuple(f"h{suffix} of layer {layer - 1}, unit {j}" for suffix in suffixes for j in range(H))


def step_numbers(run: CellRun, layer: int, direction: int, t: int, units) -> StepNumbers:
    """The numbers of step t for `units`, from the trace and the module's weights (float64)."""
    tr = run.trace
    if not 0 <= t < tr.steps:
        raise ValueError(f"step must be from 0 to {tr.steps - 1}; got {t}")
    units = tuple(int(u) for u in units)
    if not units or not all(0 <= u < tr.hidden_size for u in units):
        raise ValueError(f"units must be a non-empty choice from 0 to {tr.hidden_size - 1}; got {list(units)}")
    H, G = tr.hidden_size, GATE_BLOCKS[tr.kind]
    x_in = layer_input(run, layer)[t]  # (I_l,)
    h = tr.hidden[:, layer, direction].astype(np.float64)
    h_prev = _previous(h, t, direction)
    W_ih, b_ih = run.input_weights[(layer, direction)]
    W_hh, b_hh = tr.weight_hh[(layer, direction)], tr.bias_hh[(layer, direction)]
    if b_hh is None:  # a module without biases
        b_hh = np.zeros(len(W_hh), W_hh.dtype)
    rows = np.array([k * H + u for k in range(G) for u in units])
    input_part = (W_ih[rows].astype(np.float64) @ x_in + b_ih[rows]).reshape(G, len(units))
    recurrent_part = (W_hh[rows].astype(np.float64) @ h_prev + b_hh[rows]).reshape(G, len(units))
    pick = list(units)
    c = c_prev = None
    if tr.cell is not None:
        cell = tr.cell[:, layer, direction].astype(np.float64)
        c, c_prev = cell[t, pick], _previous(cell, t, direction)[pick]
    gates = {name: tr.gates[name][t, layer, direction, pick].astype(np.float64) for name in GATE_NAMES[tr.kind]}
    return StepNumbers(tr.kind, tr.nonlinearity, t, direction, units, input_part, recurrent_part, gates,
                       h[t, pick], h_prev[pick], c, c_prev, np.asarray(x_in, dtype=np.float64))

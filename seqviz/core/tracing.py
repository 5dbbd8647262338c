"""Exact traces of stock nn.RNN / nn.LSTM / nn.GRU: states, gates and per-step gradient norms.

Glossary
    T  time steps        B  batch size        I  input size
    L  layers            D  directions        H  hidden size        G  gate blocks (RNN 1, GRU 3, LSTM 4)
    h_t hidden state     c_t LSTM cell state  δ_t = dL/dh_t, the total derivative through the recurrence

How the gradients stay exact and fast
    Every layer is run by PyTorch's own fused kernel on its pre-projected input u_t = W_ih x_t, with
    an input weight that merely selects u's block for each direction. One backward pass then gives
    dL/du_t, which is exactly the gradient of the loss w.r.t. every gate pre-activation. From it:
      RNN, LSTM  δ_t = ∂L/∂out_t + W_hhᵀ (dL/da_{t+1})     (h_{t} reaches step t+1 only through W_hh)
      GRU        δ_t = ∂L/∂out_t + W_hrᵀ g_r + W_hzᵀ g_z + W_hnᵀ (r ⊙ g_n) + z_{t+1} ⊙ δ_{t+1}
    where ∂L/∂out_t is what the layer above (or the loss) sends directly. The GRU's last term is a
    diagonal linear recurrence, solved by `seqviz.core.scan.linear_recurrence`. The LSTM cell states are
    the same kind of recurrence, c_t = f_t c_{t−1} + i_t g_t, on gates recomputed from the module's
    weights and the kernel's own hidden states.

Conventions
    GRU (PyTorch's): r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(…), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}: z is the fraction of the old state kept.
    LSTM: i, f, g, o in PyTorch's order; c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
    The backward direction of a bidirectional layer runs from t = T−1 down to 0; its "previous"
    state at time t is the one at t+1. All arrays are indexed by real time t either way.
    Dropout between layers is not applied: a trace shows the deterministic (eval-mode) computation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from seqviz.core.devices import exact_fp32
from seqviz.core.models import GATE_BLOCKS, GATE_NAMES, kind_of
from seqviz.core.scan import linear_recurrence
from seqviz.core.seeding import blank

LOSSES = ("last", "all")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class Trace:
    """Everything one forward and one backward pass of a recurrent module computed.

    Shapes are for one sequence; a batched trace (input (B, T, I)) puts B in front of every
    per-step array. All arrays are read-only numpy arrays (a trace may be cached and shared).

    Attributes:
        kind: "rnn", "lstm" or "gru"; nonlinearity: "tanh" or "relu" (RNN), else "tanh".
        hidden: (T, L, D, H) h_t of every layer and direction.
        cell: (T, L, D, H) LSTM c_t, None for RNN and GRU.
        gates: gate name → (T, L, D, H); LSTM i, f, g, o; GRU r, z, n; empty for RNN.
        output: (T, D·H) the module's output (the last layer's h_t).
        grad_hidden_norm: (T, L, D) ‖dL/dh_t‖₂, total derivative through the recurrence (float64 norms:
            a float32 sum of squares would underflow for tiny, nonzero gradients).
        grad_input_norm: (T,) ‖dL/dx_t‖₂.
        loss_value: the scalar loss that was differentiated.
        first_nonfinite_step: smallest t at which a state, gate or output is inf/NaN, else None.
        grad_underflow: (T, L, D) True where dL/dh_t is exactly zero (underflow, or no path).
        weight_hh, bias_hh: per (layer, direction) recurrent weights (G·H, H) and biases (G·H,),
            kept so per-step Jacobians can be formed without the module.
        dtype: "float32" or "float64", the precision it was computed in.
        device: "cpu", "cuda" or "mps", where it was computed (on CUDA with TF32 off).
    """

    kind: str
    nonlinearity: str
    hidden: np.ndarray
    cell: np.ndarray | None
    gates: dict[str, np.ndarray]
    output: np.ndarray
    grad_hidden_norm: np.ndarray
    grad_input_norm: np.ndarray
    loss_value: float
    first_nonfinite_step: int | None
    grad_underflow: np.ndarray
    weight_hh: dict[tuple[int, int], np.ndarray] = field(repr=False)
    bias_hh: dict[tuple[int, int], np.ndarray] = field(repr=False)
    dtype: str = "float32"
    batched: bool = False
    device: str = "cpu"

    @property
    def steps(self) -> int:
        return self.hidden.shape[-4]

    @property
    def num_layers(self) -> int:
        return self.hidden.shape[-3]

    @property
    def num_directions(self) -> int:
        return self.hidden.shape[-2]

    @property
    def hidden_size(self) -> int:
        return self.hidden.shape[-1]

    def jacobians(self, layer: int = 0, direction: int = 0, steps=None, batch_index: int = 0) -> np.ndarray:
        """(S, n, n) Jacobians ∂s_t/∂s_prev of the recurrent state (n = H; LSTM s = (h, c), n = 2H)."""
        from seqviz.core.jacobian import step_jacobians

        return step_jacobians(self, layer, direction, steps, batch_index).numpy()

    def jacobian_singular_values(self, layer: int = 0, direction: int = 0, steps=None, batch_index: int = 0) -> np.ndarray:
        """(S, n) singular values of each step's Jacobian, largest first."""
        from seqviz.core.jacobian import singular_values

        return singular_values(self, layer, direction, steps, batch_index)

    def jacobian_norm(self, layer: int = 0, direction: int = 0, steps=None, batch_index: int = 0) -> np.ndarray:
        """(S,) spectral norm (largest singular value) of each step's Jacobian."""
        return self.jacobian_singular_values(layer, direction, steps, batch_index)[:, 0]


def trace(
    module: nn.Module,
    x,
    loss: str | Callable[[torch.Tensor], torch.Tensor] = "last",
    h0=None,
    dtype: str | None = None,
) -> Trace:
    """Run `module` on `x` and record states, gates and exact per-step gradient norms.

    Args:
        module: a stock nn.RNN, nn.LSTM or nn.GRU (any layers, directions, batch_first, bias).
            It is never modified; the trace computes on copies of its weights.
        x: (T, I) one sequence, or (B, T, I) a batch (batch first whatever module.batch_first is).
        loss: "last" = sum of the module's outputs at the last step; "all" = sum over every step;
            or a callable taking the output ((T, D·H), or (B, T, D·H)) and returning a scalar.
        h0: initial state as the module takes it: (L·D, H) for one sequence, (L·D, B, H) for a
            batch; a (h0, c0) pair for LSTM. None means zeros.
        dtype: "float32" or "float64"; None keeps the module's precision.
    Returns:
        a Trace (see its docstring for shapes).
    """
    kind = kind_of(module)
    if kind == "lstm" and module.proj_size > 0:
        raise ValueError("LSTM with proj_size > 0 is not supported: its hidden and cell sizes differ")
    compute_dtype = _resolve_dtype(module, dtype)
    device = next(module.parameters()).device
    X, batched = _as_sequence_first(x, module.input_size, compute_dtype, device)
    loss_fn = _loss_function(loss)
    h0_all = _initial_states(module, kind, h0, X.shape[1], compute_dtype, device)
    weights = _layer_weights(module, compute_dtype)
    with exact_fp32(device), torch.enable_grad():
        return _run(module, kind, X, batched, loss_fn, h0_all, weights, compute_dtype)


def _resolve_dtype(module: nn.Module, dtype: str | None) -> torch.dtype:
    if dtype is None:
        return next(module.parameters()).dtype
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
    return DTYPES[dtype]


def _as_sequence_first(x, input_size: int, dtype: torch.dtype, device) -> tuple[torch.Tensor, bool]:
    """(T, I) or (B, T, I) input → a fresh leaf (T, B, I) tensor that requires grad."""
    X = x if torch.is_tensor(x) else torch.from_numpy(np.array(x))  # a copy: read-only arrays are fine
    if X.dim() not in (2, 3):
        raise ValueError(f"x must have shape (T, input_size) or (B, T, input_size); got {tuple(X.shape)}")
    if X.shape[-1] != input_size:
        raise ValueError(f"x has {X.shape[-1]} features per step but the module's input_size is {input_size}")
    if X.shape[-2] == 0 or (X.dim() == 3 and X.shape[0] == 0):
        raise ValueError(f"x must hold at least one step and one sequence; got shape {tuple(X.shape)}")
    batched = X.dim() == 3
    X = X.to(device=device, dtype=dtype)
    X = X.transpose(0, 1) if batched else X.unsqueeze(1)
    return X.detach().clone().requires_grad_(True), batched


def _loss_function(loss) -> Callable[[torch.Tensor], torch.Tensor]:
    if callable(loss):
        return loss
    if loss == "last":
        return lambda out: out[..., -1, :].sum()
    if loss == "all":
        return lambda out: out.sum()
    raise ValueError(f"loss must be one of {', '.join(LOSSES)} or a callable; got {loss!r}")


def _initial_states(module, kind, h0, B, dtype, device) -> list[torch.Tensor | None]:
    """Split torch's (L·D, [B,] H) initial state(s) into per-layer (D, B, H) tensors (None = zeros)."""
    L, D, H = module.num_layers, 1 + module.bidirectional, module.hidden_size
    if h0 is None:
        return [None] * L
    parts = h0 if kind == "lstm" else (h0,)
    if kind == "lstm" and (not isinstance(h0, (tuple, list)) or len(h0) != 2):
        raise ValueError("an LSTM's h0 must be a pair (h0, c0)")
    shaped = []
    for part in parts:
        t = torch.as_tensor(part).to(device=device, dtype=dtype)
        if t.dim() == 2 and B == 1:
            t = t.unsqueeze(1)
        if tuple(t.shape) != (L * D, B, H):
            raise ValueError(f"h0 must have shape ({L * D}, {H}) or ({L * D}, {B}, {H}); got {tuple(t.shape)}")
        shaped.append(t.detach().reshape(L, D, B, H))
    return [tuple(s[l] for s in shaped) if kind == "lstm" else shaped[0][l] for l in range(L)]


def _layer_weights(module, dtype) -> dict[tuple[int, int], dict[str, torch.Tensor]]:
    """Detached copies of each (layer, direction)'s weights in the compute dtype."""
    weights = {}
    for l in range(module.num_layers):
        for k in range(1 + module.bidirectional):
            suffix = f"_l{l}" + ("_reverse" if k else "")
            w = {}
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                p = getattr(module, name + suffix, None)
                w[name] = None if p is None else p.detach().to(dtype).clone()
            weights[(l, k)] = w
    return weights


def _selector_layer(module, kind, weights, l, dtype, device) -> nn.Module:
    """A one-layer module of the same kind whose input is u = [u_fwd, u_bwd] (pre-projected input)."""
    D, H, G = 1 + module.bidirectional, module.hidden_size, GATE_BLOCKS[kind]
    options = {"nonlinearity": module.nonlinearity} if kind == "rnn" else {}
    layer = blank(type(module), D * G * H, H, 1, bias=module.bias, bidirectional=module.bidirectional,
                  device=device, dtype=dtype, **options)  # draws no random numbers: every value is set below
    eye = torch.eye(D * G * H, device=device, dtype=dtype)
    with torch.no_grad():
        for k in range(D):
            suffix = "_l0" + ("_reverse" if k else "")
            getattr(layer, "weight_ih" + suffix).copy_(eye[k * G * H:(k + 1) * G * H])
            getattr(layer, "weight_hh" + suffix).copy_(weights[(l, k)]["weight_hh"])
            if module.bias:
                getattr(layer, "bias_ih" + suffix).copy_(weights[(l, k)]["bias_ih"])
                getattr(layer, "bias_hh" + suffix).copy_(weights[(l, k)]["bias_hh"])
    layer.requires_grad_(False)
    return layer


def _run(module, kind, X, batched, loss_fn, h0_all, weights, dtype) -> Trace:
    L, D, H = module.num_layers, 1 + module.bidirectional, module.hidden_size
    T, B, _ = X.shape
    layer_inputs, pre_inputs, outputs = [], [], []
    inp = X
    for l in range(L):
        u = torch.cat([inp @ weights[(l, k)]["weight_ih"].T for k in range(D)], dim=-1)  # (T, B, D·G·H)
        u.retain_grad()
        layer = _selector_layer(module, kind, weights, l, dtype, X.device)
        out, _ = layer(u, _torch_state(kind, h0_all[l]))  # (T, B, D·H)
        out.retain_grad()
        layer_inputs.append(inp)
        pre_inputs.append(u)
        outputs.append(out)
        inp = out
    user_output = outputs[-1].transpose(0, 1) if batched else outputs[-1][:, 0]
    loss = loss_fn(user_output)
    if not (torch.is_tensor(loss) and loss.dim() == 0):
        raise ValueError("loss must return a scalar tensor")
    loss.backward()
    per_layer = [[_direction_record(kind, module, weights[(l, k)], layer_inputs[l], outputs[l], pre_inputs[l],
                                    h0_all[l], k, H) for k in range(D)] for l in range(L)]
    return _assemble(kind, module, per_layer, outputs[-1], X, loss, weights, dtype, batched)


def _torch_state(kind, h0):
    if h0 is None:
        return None
    return tuple(s.contiguous() for s in h0) if kind == "lstm" else h0.contiguous()


def _in_order(t: torch.Tensor, k: int) -> torch.Tensor:
    """Put a (T, …) tensor in the processing order of direction k (reversed time for k = 1)."""
    return t.flip(0) if k else t


def _direction_record(kind, module, w, inp, out, u, h0, k, H) -> dict[str, torch.Tensor]:
    """States, gates and δ = dL/dh for one layer and direction, all in real time order (T, B, H)."""
    G = GATE_BLOCKS[kind]
    with torch.no_grad():
        x = _in_order(inp.detach(), k)
        h = _in_order(out.detach()[..., k * H:(k + 1) * H], k)
        h_init, c_init = _split_initial(kind, h0, k, h)
        h_prev = torch.cat([h_init[None], h[:-1]])
        gates = gate_activations(kind, w, x, h_prev)
        record = {"hidden": h}
        if kind == "lstm":
            record["cell"] = linear_recurrence(gates["f"], gates["i"] * gates["g"], c_init)
        record.update(gates)
        g_pre = _in_order(u.grad[..., k * G * H:(k + 1) * G * H], k)
        direct = out.grad[..., k * H:(k + 1) * H] if out.grad is not None else torch.zeros_like(out[..., :H])
        record["delta"] = _hidden_gradient(kind, w, _in_order(direct, k), g_pre, gates, H)
        return {name: _in_order(value, k) for name, value in record.items()}


def _split_initial(kind, h0, k, h) -> tuple[torch.Tensor, torch.Tensor | None]:
    zeros = torch.zeros_like(h[0])
    if h0 is None:
        return zeros, (zeros if kind == "lstm" else None)
    if kind == "lstm":
        return h0[0][k], h0[1][k]
    return h0[k], None


def gate_activations(kind, w, x, h_prev) -> dict[str, torch.Tensor]:
    """Gate name → activations (T, [B,] H) recomputed from one layer's weights `w` (weight_ih, weight_hh,
    bias_ih, bias_hh; the biases None for a module without), inputs x (T, [B,] in) and h_prev (T, [B,] H)."""
    if kind == "rnn":
        return {}
    gi = x @ w["weight_ih"].T
    gh = h_prev @ w["weight_hh"].T
    if w["bias_ih"] is not None:
        gi, gh = gi + w["bias_ih"], gh + w["bias_hh"]
    if kind == "lstm":
        i, f, g, o = (gi + gh).chunk(4, dim=-1)
        return {"i": i.sigmoid(), "f": f.sigmoid(), "g": g.tanh(), "o": o.sigmoid()}
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = (i_r + h_r).sigmoid()
    return {"r": r, "z": (i_z + h_z).sigmoid(), "n": (i_n + r * h_n).tanh()}


def _hidden_gradient(kind, w, direct, g_pre, gates, H) -> torch.Tensor:
    """δ_t = dL/dh_t in processing order, from the direct gradient and the gate pre-activation gradients."""
    g_next = torch.cat([g_pre[1:], torch.zeros_like(g_pre[:1])])
    if kind != "gru":
        return direct + g_next @ w["weight_hh"]
    W_hr, W_hz, W_hn = w["weight_hh"].split(H)
    g_r, g_z, g_n = g_next.split(H, dim=-1)
    r_next = torch.cat([gates["r"][1:], torch.zeros_like(g_r[:1])])
    z_next = torch.cat([gates["z"][1:], torch.zeros_like(g_r[:1])])
    through_gates = direct + g_r @ W_hr + g_z @ W_hz + (r_next * g_n) @ W_hn
    return linear_recurrence(z_next.flip(0), through_gates.flip(0)).flip(0)


def _first_nonfinite(arrays) -> int | None:
    bad = None
    for a in arrays:
        per_step = (~torch.isfinite(a)).flatten(1).any(dim=1)
        bad = per_step if bad is None else bad | per_step
    steps = torch.nonzero(bad).flatten()
    return int(steps[0]) if len(steps) else None


def _readonly(t: torch.Tensor, batched: bool) -> np.ndarray:
    """(T, B, …) tensor → read-only numpy array, (B, T, …) when batched else (T, …)."""
    a = t.detach().cpu().numpy()
    a = np.ascontiguousarray(np.moveaxis(a, 1, 0) if batched else a[:, 0])
    a.flags.writeable = False
    return a


def _stack(per_layer, name) -> torch.Tensor:
    """(T, B, L, D, H) from the per-layer, per-direction (T, B, H) records."""
    return torch.stack([torch.stack([rec[name] for rec in layer], dim=2) for layer in per_layer], dim=2)


def _norm(v: torch.Tensor) -> torch.Tensor:
    """‖v‖ over the last axis, in float64: float32's sum of squares underflows to 0 once the components
    fall below ~1e-23, so a float32 gradient far from 0 would be reported as exactly 0 (an underflow)."""
    return torch.linalg.vector_norm(v, dim=-1, dtype=torch.float64)


def _assemble(kind, module, per_layer, out, X, loss, weights, dtype, batched) -> Trace:
    hidden = _stack(per_layer, "hidden")
    cell = _stack(per_layer, "cell") if kind == "lstm" else None
    gates = {g: _stack(per_layer, g) for g in GATE_NAMES[kind]}
    delta_norm = _norm(_stack(per_layer, "delta"))  # (T, B, L, D)
    checked = [hidden, out] + list(gates.values()) + ([cell] if cell is not None else [])
    dtype_name = {v: k for k, v in DTYPES.items()}.get(dtype, str(dtype))
    return Trace(
        kind=kind,
        nonlinearity=getattr(module, "nonlinearity", "tanh"),
        hidden=_readonly(hidden, batched),
        cell=None if cell is None else _readonly(cell, batched),
        gates={g: _readonly(v, batched) for g, v in gates.items()},
        output=_readonly(out, batched),
        grad_hidden_norm=_readonly(delta_norm, batched),
        grad_input_norm=_readonly(_norm(X.grad), batched),
        loss_value=float(loss.detach()),
        first_nonfinite_step=_first_nonfinite(checked),
        grad_underflow=_readonly(delta_norm == 0, batched),
        weight_hh={key: w["weight_hh"].cpu().numpy() for key, w in weights.items()},
        bias_hh={key: (w["bias_hh"].cpu().numpy() if w["bias_hh"] is not None else None) for key, w in weights.items()},
        dtype=dtype_name,
        batched=batched,
        device=X.device.type,
    )

"""Per-step Jacobians ∂s_t/∂s_prev of a traced recurrent layer, formed in closed form from a Trace.

Glossary
    S  number of steps asked for      n  state size: H (RNN, GRU) or 2H (LSTM, s = (h, c))
    σ' = σ(1 − σ), tanh' = 1 − tanh²

    RNN   J = diag(φ'(a_t)) W_hh                         (φ = tanh or relu)
    GRU   J = diag(z) + diag((1−z)(1−n²)) [diag(r) W_hn + diag(r(1−r) ⊙ (W_hn h_prev + b_hn)) W_hr]
              + diag((h_prev − n) ⊙ z(1−z)) W_hz
    LSTM  ∂c/∂h_prev = diag(c_prev f') W_hf + diag(g i') W_hi + diag(i g') W_hg,  ∂c/∂c_prev = diag(f)
          ∂h/∂h_prev = diag(tanh(c) o') W_ho + diag(o tanh'(c)) ∂c/∂h_prev,   ∂h/∂c_prev = diag(o tanh'(c) f)

Computed in float64 in chunks of steps so T × n × n never has to sit in memory at once.
"""
from __future__ import annotations

import numpy as np
import torch

CHUNK = 256


def _step_indices(T: int, steps) -> np.ndarray:
    idx = np.arange(T) if steps is None else np.arange(T)[steps]
    return np.atleast_1d(idx)


def _previous(values: np.ndarray, initial: np.ndarray, direction: int) -> np.ndarray:
    """State that precedes each t (t−1 forward, t+1 backward); `initial` where there is none."""
    if direction == 0:
        return np.concatenate([initial[None], values[:-1]])
    return np.concatenate([values[1:], initial[None]])


def step_jacobians(tr, layer: int = 0, direction: int = 0, steps=None, batch_index: int = 0) -> torch.Tensor:
    """(S, n, n) float64 Jacobians of the state update of one layer and direction."""
    if not (0 <= layer < tr.num_layers and 0 <= direction < tr.num_directions):
        raise ValueError(f"layer must be in 0..{tr.num_layers - 1} and direction in 0..{tr.num_directions - 1}; "
                         f"got layer={layer}, direction={direction}")
    pick = (lambda a: a[batch_index, :, layer, direction]) if tr.batched else (lambda a: a[:, layer, direction])
    idx = _step_indices(tr.steps, steps)
    h = pick(tr.hidden).astype(np.float64)
    zeros = np.zeros_like(h[0])
    h_prev = _previous(h, zeros, direction)[idx]
    W = torch.as_tensor(tr.weight_hh[(layer, direction)], dtype=torch.float64)
    H = tr.hidden_size
    if tr.kind == "rnn":
        a = h[idx]
        slope = (1 - a ** 2) if tr.nonlinearity == "tanh" else (a > 0).astype(np.float64)
        return torch.as_tensor(slope)[:, :, None] * W
    gates = {name: torch.as_tensor(pick(v)[idx], dtype=torch.float64) for name, v in tr.gates.items()}
    if tr.kind == "gru":
        b = tr.bias_hh[(layer, direction)]
        b_hn = torch.zeros(H, dtype=torch.float64) if b is None else torch.as_tensor(b[2 * H:], dtype=torch.float64)
        return _gru_jacobian(gates, torch.as_tensor(h_prev), W, b_hn)
    c = pick(tr.cell).astype(np.float64)
    c_prev = _previous(c, zeros, direction)[idx]
    return _lstm_jacobian(gates, torch.as_tensor(c[idx]), torch.as_tensor(c_prev), W)


def _gru_jacobian(gates, h_prev, W, b_hn) -> torch.Tensor:
    H = h_prev.shape[-1]
    W_hr, W_hz, W_hn = W.split(H)
    r, z, n = gates["r"], gates["z"], gates["n"]
    dn = (1 - z) * (1 - n ** 2)
    gh_n = h_prev @ W_hn.T + b_hn
    J = (dn * r)[:, :, None] * W_hn + (dn * r * (1 - r) * gh_n)[:, :, None] * W_hr
    J = J + ((h_prev - n) * z * (1 - z))[:, :, None] * W_hz
    return J + torch.diag_embed(z)


def _lstm_jacobian(gates, c, c_prev, W) -> torch.Tensor:
    H = c.shape[-1]
    W_hi, W_hf, W_hg, W_ho = W.split(H)
    i, f, g, o = gates["i"], gates["f"], gates["g"], gates["o"]
    tc = c.tanh()
    dc_dh = ((c_prev * f * (1 - f))[:, :, None] * W_hf + (g * i * (1 - i))[:, :, None] * W_hi
             + (i * (1 - g ** 2))[:, :, None] * W_hg)
    expose = o * (1 - tc ** 2)
    dh_dh = (tc * o * (1 - o))[:, :, None] * W_ho + expose[:, :, None] * dc_dh
    top = torch.cat([dh_dh, torch.diag_embed(expose * f)], dim=2)
    bottom = torch.cat([dc_dh, torch.diag_embed(f)], dim=2)
    return torch.cat([top, bottom], dim=1)


def singular_values(tr, layer: int = 0, direction: int = 0, steps=None, batch_index: int = 0) -> np.ndarray:
    """(S, n) singular values of every step's Jacobian, largest first, computed chunk by chunk."""
    idx = _step_indices(tr.steps, steps)
    chunks = []
    for start in range(0, len(idx), CHUNK):
        J = step_jacobians(tr, layer, direction, idx[start:start + CHUNK], batch_index)
        J = torch.nan_to_num(J, nan=0.0, posinf=0.0, neginf=0.0)
        chunks.append(torch.linalg.svdvals(J).numpy())
    return np.concatenate(chunks)

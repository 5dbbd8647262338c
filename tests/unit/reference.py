"""Independent references for the tests: PyTorch's own cells run one step at a time."""
from __future__ import annotations

import torch
from torch import nn

_CELLS = {nn.RNN: nn.RNNCell, nn.LSTM: nn.LSTMCell, nn.GRU: nn.GRUCell}


def _cell_like(module, l, k, input_size):
    options = {"nonlinearity": module.nonlinearity} if type(module) is nn.RNN else {}
    dtype = next(module.parameters()).dtype
    cell = _CELLS[type(module)](input_size, module.hidden_size, bias=module.bias, dtype=dtype, **options)
    suffix = f"_l{l}" + ("_reverse" if k else "")
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if module.bias else ()):
            getattr(cell, name).copy_(getattr(module, name + suffix))
    return cell


def naive_unroll(module, x, loss="last"):
    """Step-by-step forward of every layer and direction with nn.*Cell, then autograd with retain_grad.

    Args:
        x: (T, I) one sequence.
    Returns:
        dict with hidden (T, L, D, H), cell (LSTM) or None, grad_hidden_norm (T, L, D),
        grad_input_norm (T,), output (T, D·H).
    """
    L, D, H = module.num_layers, 1 + module.bidirectional, module.hidden_size
    T = x.shape[0]
    is_lstm = type(module) is nn.LSTM
    x = x.detach().clone().requires_grad_(True)
    layer_in = x
    hs, cs = {}, {}
    for l in range(L):
        outs = []
        for k in range(D):
            cell = _cell_like(module, l, k, layer_in.shape[-1])
            h = torch.zeros(H, dtype=x.dtype)
            c = torch.zeros(H, dtype=x.dtype)
            seq, cseq = [None] * T, [None] * T
            for t in (range(T) if k == 0 else range(T - 1, -1, -1)):
                if is_lstm:
                    h, c = cell(layer_in[t], (h, c))
                    cseq[t] = c
                else:
                    h = cell(layer_in[t], h)
                h.retain_grad()
                seq[t] = h
            hs[(l, k)], cs[(l, k)] = seq, cseq
            outs.append(torch.stack(seq))
        layer_in = torch.cat(outs, dim=-1)
    (layer_in[-1].sum() if loss == "last" else layer_in.sum()).backward()
    grab = lambda store, f: torch.stack([torch.stack([torch.stack([f(store[(l, k)][t]) for k in range(D)])
                                                      for l in range(L)]) for t in range(T)])
    return {
        "hidden": grab(hs, lambda h: h.detach()).numpy(),
        "cell": grab(cs, lambda c: c.detach()).numpy() if is_lstm else None,
        "grad_hidden_norm": grab(hs, lambda h: h.grad.double().norm()).numpy(),  # float32's own norm underflows
        "grad_input_norm": x.grad.double().norm(dim=-1).numpy(),
        "output": layer_in.detach().numpy(),
    }

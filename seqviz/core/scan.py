"""First-order linear recurrences x_t = a_t ⊙ x_{t−1} + b_t, solved in O(log T) parallel rounds.

Used for the LSTM cell state (c_t = f_t c_{t−1} + i_t g_t) and the GRU's direct gradient path
(δ_t = z_{t+1} δ_{t+1} + …); Mamba's selective scan has its own chunked scan (`seqviz.ssm.mamba`).
`linear_recurrence_reference` is the obvious sequential loop the tests compare against.
"""
from __future__ import annotations

import torch


def linear_recurrence(a: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None) -> torch.Tensor:
    """Solve x_t = a_t ⊙ x_{t−1} + b_t along dim 0 with x_{−1} = x0 (zeros when None).

    Args:
        a, b: (T, ...) tensors of the same shape.
        x0: (...) initial state, or None.
    Returns:
        x: (T, ...), every x_t.

    Hillis–Steele doubling: after round k each position holds the composition of the last 2^k
    steps, so ⌈log2 T⌉ rounds of elementwise work replace T sequential steps. Only products of
    the a_t are formed (never divisions), so gates in (0, 1) underflow gracefully to 0.
    """
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[0] == 0:
        return b.clone()
    A, X = a, b
    if x0 is not None:
        X = X.clone()
        X[0] = X[0] + A[0] * x0
    span = 1
    while span < a.shape[0]:
        X = torch.cat([X[:span], X[span:] + A[span:] * X[:-span]])
        A = torch.cat([A[:span], A[span:] * A[:-span]])
        span *= 2
    return X


def linear_recurrence_reference(a: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None) -> torch.Tensor:
    """The same recurrence as `linear_recurrence`, one step at a time (the test reference)."""
    x = torch.zeros_like(b[0]) if x0 is None else x0
    out = []
    for a_t, b_t in zip(a, b):
        x = a_t * x + b_t
        out.append(x)
    return torch.stack(out) if out else b.clone()

"""Mamba's selective state-space model (S6): selective scan, hidden attention, a single-layer block.

Glossary (as in mamba-minimal)
    b   batch size        l   sequence length       d   channels (d_inner)     n   state size
    u   input (b, l, d)   Δ (delta) step sizes (b, l, d), Δ_t = softplus(W_Δ x_t + b_Δ)
    A   (d, n) = −exp(A_log), fixed per channel      B, C (b, l, n), linear in x_t (input-dependent)
    Ā_t = exp(Δ_t A)      B̄_t = Δ_t B_t (the simplified ZOH Mamba uses for B)
    h_t = Ā_t ⊙ h_{t−1} + B̄_t u_t   (b, d, n)       y_t = C_t · h_t + D u_t

Hidden attention (Ali et al. 2024, "The hidden attention of Mamba models")
    Unrolling the recurrence, y_t = Σ_{s ≤ t} α[t, s] u_s + D u_t with
    α[t, s] = C_t · (∏_{k=s+1..t} Ā_k) B̄_s, one (l, l) lower-triangular matrix per channel.

Departures from the official code: no hardware-aware fused kernel (the fast scan is a chunked scan
in plain PyTorch: √l steps within chunks, a parallel scan across them), a single block without stacking, and no inference cache.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqviz.budget import check_budget
from seqviz.scan import linear_recurrence


def _discretize(u, delta, A, B):
    """Ā (b, l, d, n) and B̄ u (b, l, d, n) of the selective SSM."""
    A_bar = torch.exp(delta[..., None] * A)
    B_bar_u = delta[..., None] * B[:, :, None, :] * u[..., None]
    return A_bar, B_bar_u


def _check_shapes(u, delta, A, B, C, D):
    b, l, d = u.shape
    n = A.shape[-1]
    expected = {"delta": (delta, (b, l, d)), "A": (A, (d, n)), "B": (B, (b, l, n)), "C": (C, (b, l, n)),
                "D": (D, (d,))}
    for name, (tensor, shape) in expected.items():
        if tuple(tensor.shape) != shape:
            raise ValueError(f"{name} must have shape {shape} for u of shape {(b, l, d)}; got {tuple(tensor.shape)}")


def selective_scan_reference(u, delta, A, B, C, D, return_states: bool = False):
    """The selective scan one step at a time (the reference `selective_scan` is tested against).

    Args:
        u, delta: (b, l, d); A: (d, n); B, C: (b, l, n); D: (d,).
    Returns:
        y: (b, l, d), and the states h: (b, l, d, n) when return_states.
    """
    _check_shapes(u, delta, A, B, C, D)
    A_bar, B_bar_u = _discretize(u, delta, A, B)
    h = torch.zeros_like(B_bar_u[:, 0])
    states = []
    for t in range(u.shape[1]):
        h = A_bar[:, t] * h + B_bar_u[:, t]
        states.append(h)
    h_all = torch.stack(states, dim=1)
    y = torch.einsum("bldn,bln->bld", h_all, C) + u * D
    return (y, h_all) if return_states else y


def chunked_linear_recurrence(a: torch.Tensor, b: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
    """x_t = a_t ⊙ x_{t−1} + b_t along dim 0 (x_{−1} = 0), in about 2√l vectorised steps instead of l.

    The sequence is cut into chunks of `chunk` steps (√l by default). 1) Every chunk is solved from a
    zero state at once, stepping through the chunk's positions with all chunks side by side. 2) The
    states at the chunk ends obey a short recurrence with each chunk's product of a_t, solved by
    the parallel scan. 3) Each chunk adds its incoming state times the cumulative product of a_t.

    Args:
        a, b: (l, ...) tensors of the same shape.
    Returns:
        x: (l, ...).
    """
    l, rest = a.shape[0], a.shape[1:]
    c = max(1, min(chunk or math.isqrt(max(l, 1)), l))
    chunks = math.ceil(l / c)
    pad = chunks * c - l
    if pad:
        a = torch.cat([a, a.new_ones((pad, *rest))])
        b = torch.cat([b, b.new_zeros((pad, *rest))])
    # (c, chunks, ...), contiguous so each step reads one dense slab
    a = a.reshape(chunks, c, *rest).transpose(0, 1).contiguous()
    b = b.reshape(chunks, c, *rest).transpose(0, 1).contiguous()
    local, x = [], torch.zeros_like(b[0])
    for a_k, b_k in zip(a, b):  # position k of every chunk at once
        x = a_k * x + b_k
        local.append(x)
    local = torch.stack(local)
    decay = torch.cumprod(a, dim=0)
    ends = linear_recurrence(decay[-1], local[-1])  # (chunks, ...) true state at each chunk's end
    incoming = torch.cat([torch.zeros_like(ends[:1]), ends[:-1]])
    x = local + decay * incoming
    return x.transpose(0, 1).reshape(chunks * c, *rest)[:l]


def selective_scan(u, delta, A, B, C, D, chunk: int | None = None, return_states: bool = False):
    """The selective scan by `chunked_linear_recurrence`; same arguments and results as the reference."""
    _check_shapes(u, delta, A, B, C, D)
    A_bar, B_bar_u = _discretize(u, delta, A, B)
    h_all = chunked_linear_recurrence(A_bar.transpose(0, 1).contiguous(), B_bar_u.transpose(0, 1).contiguous(),
                                      chunk).transpose(0, 1)
    y = torch.einsum("bldn,bln->bld", h_all, C) + u * D
    return (y, h_all) if return_states else y


def hidden_attention_bytes(b: int, l: int, d: int, n: int, itemsize: int = 4) -> int:
    """Peak memory of `hidden_attention`: the (b, d, n, l, l) decay tensor, a few times over."""
    return 3 * b * d * n * l * l * itemsize


def segment_sums(x: torch.Tensor) -> torch.Tensor:
    """(..., l, l) with [t, s] = Σ_{k=s+1..t} x_k for t ≥ s and −inf above the diagonal.

    Summed from masked copies, not as differences of a cumulative sum, so long segments of large
    negative log-decays keep full precision.
    """
    l = x.shape[-1]
    repeated = x[..., :, None].expand(*x.shape, l)  # [k, s] = x_k
    below = torch.tril(torch.ones(l, l, dtype=torch.bool, device=x.device), diagonal=-1)
    sums = torch.cumsum(repeated.masked_fill(~below, 0), dim=-2)
    keep = torch.tril(torch.ones(l, l, dtype=torch.bool, device=x.device))
    return sums.masked_fill(~keep, float("-inf"))


def hidden_attention(delta, A, B, C) -> torch.Tensor:
    """The implicit attention α[t, s] = C_t · (∏_{k=s+1..t} Ā_k) B̄_s of a selective SSM.

    Args:
        delta: (b, l, d); A: (d, n); B, C: (b, l, n).
    Returns:
        α: (b, d, l, l), lower-triangular; y = α @ u + D u per channel, i.e.
        y[b, t, c] = Σ_s α[b, c, t, s] u[b, s, c] + D[c] u[b, t, c].
    """
    b, l, d = delta.shape
    n = A.shape[-1]
    check_budget(hidden_attention_bytes(b, l, d, n, delta.element_size()),
                 f"a hidden attention matrix for l={l}, d={d}, n={n}", "sequence length")
    log_A_bar = (delta[..., None] * A).permute(0, 2, 3, 1)  # (b, d, n, l)
    decay = torch.exp(segment_sums(log_A_bar))  # (b, d, n, l, l)
    B_bar = delta[..., None] * B[:, :, None, :]  # (b, l, d, n)
    return torch.einsum("btn,bdnts,bsdn->bdts", C, decay, B_bar)


@dataclass(frozen=True)
class SelectionTrace:
    """What a Mamba block computed on one batch (all detached).

    Attributes:
        delta: (b, l, d) step sizes Δ_t; large Δ writes the token into the state, small Δ ignores it.
        states: (b, l, d, n) h_t.
        hidden_attention: (b, d, l, l) α[t, s], or None when not requested.
        output: (b, l, d_model) the block's output.
    """

    delta: torch.Tensor
    states: torch.Tensor
    hidden_attention: torch.Tensor | None
    output: torch.Tensor


class MambaBlock(nn.Module):
    """One Mamba block (Gu & Dao 2023, Fig. 3): gated, with a short causal convolution and an S6 SSM.

    Args:
        d_model: width of the residual stream; d_inner = expand · d_model channels run the SSM.
        d_state: n, the SSM state size per channel.
        d_conv: width of the depthwise causal convolution before the SSM.
        dt_rank: rank of the Δ projection (⌈d_model/16⌉ by default).
    """

    def __init__(self, d_model: int, d_state: int = 16, expand: int = 2, d_conv: int = 4,
                 dt_rank: int | None = None, dt_min: float = 1e-3, dt_max: float = 1e-1):
        super().__init__()
        self.d_inner = expand * d_model
        self.d_state = d_state
        self.dt_rank = dt_rank or math.ceil(d_model / 16)
        self.in_proj = nn.Linear(d_model, 2 * self.d_inner, bias=False)
        self.conv1d = nn.Conv1d(self.d_inner, self.d_inner, d_conv, groups=self.d_inner, padding=d_conv - 1)
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner)
        dt = torch.exp(torch.rand(self.d_inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus⁻¹(dt)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, d_state + 1, dtype=torch.float32)).repeat(self.d_inner, 1))
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=False)

    def _ssm_inputs(self, x):
        """u, Δ, A, B, C of the SSM and the gate branch res, for x (b, l, d_model)."""
        u, res = self.in_proj(x).chunk(2, dim=-1)  # (b, l, d_inner) each
        u = self.conv1d(u.transpose(1, 2))[..., : x.shape[1]].transpose(1, 2)
        u = F.silu(u)
        dt, B, C = self.x_proj(u).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))  # (b, l, d_inner)
        return u, delta, -torch.exp(self.A_log), B, C, res

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (b, l, d_model) -> (b, l, d_model)."""
        u, delta, A, B, C, res = self._ssm_inputs(x)
        y = selective_scan(u, delta, A, B, C, self.D)
        return self.out_proj(y * F.silu(res))

    @torch.no_grad()
    def inspect(self, x: torch.Tensor, with_attention: bool = True) -> SelectionTrace:
        """Run the block on x (b, l, d_model) and keep Δ, the states and the hidden attention."""
        u, delta, A, B, C, res = self._ssm_inputs(x)
        y, states = selective_scan(u, delta, A, B, C, self.D, return_states=True)
        alpha = hidden_attention(delta, A, B, C) if with_attention else None
        return SelectionTrace(delta, states, alpha, self.out_proj(y * F.silu(res)))

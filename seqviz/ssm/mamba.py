"""Mamba's selective state-space model (S6): selective scan, hidden attention, a single-layer block.

Glossary (as in mamba-minimal)
    b   batch size        l   sequence length       d   channels (d_inner)     n   state size
    u   input (b, l, d)   Δ (delta) step sizes (b, l, d), Δ_t = softplus(W_Δ x_t + b_Δ)
    A   (d, n) = −exp(A_log), fixed per channel      B, C (b, l, n), linear in x_t (input-dependent)
    Ā_t = exp(Δ_t A)      B̄_t = Δ_t B_t (an Euler step: Mamba keeps ZOH for Ā only)
    h_t = Ā_t ⊙ h_{t−1} + B̄_t u_t   (b, d, n)       y_t = C_t · h_t + D u_t

Hidden attention (Ali et al. 2024, "The hidden attention of Mamba models")
    Unrolling the recurrence, y_t = Σ_{s ≤ t} α[t, s] u_s + D u_t with
    α[t, s] = C_t · (∏_{k=s+1..t} Ā_k) B̄_s, one (l, l) lower-triangular matrix per channel.

Departures from the official code: no hardware-aware fused kernel, a single block without stacking,
and no inference cache. The fast `selective_scan` is a chunked scan in plain PyTorch: the sequence is
cut into chunks of c ≈ √l steps, stored position first (c, chunks, b, d, n) so that one step of all
chunks at once is one contiguous slab. 1) c steps solve every chunk from a zero state and multiply
up P_t = ∏ Ā_k since the chunk's start. 2) l/c small steps give the true state at each chunk's end,
H_j = P_j H_{j−1} + (chunk j's own end state). 3) One broadcast adds P_t H_{j−1} inside chunk j. P_t is
a product of factors in (0, 1], never exp of a difference of cumulative sums, so any Δ·A ≤ 0 is
stable (large ones underflow to 0). Without autograd all of this runs in place on Ā and B̄u; with it,
on new tensors at every step. Mamba-2's SSD form (a masked matmul inside each chunk) is not used:
with A (d, n) the decay differs per state, so its (c, c) decay matrices would cost c times the states.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqviz.core import seeding
from seqviz.core.budget import check_budget
from seqviz.core.seeding import seeded


def _discretize(u, delta, A, B):
    """Ā (..., d, n) and B̄ u (..., d, n) of the selective SSM, for u, delta (..., d) and B (..., n)."""
    A_bar = (delta[..., None] * A).exp_()
    B_bar_u = (delta * u)[..., None] * B[..., None, :]
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


def _to_chunks(x: torch.Tensor, c: int) -> torch.Tensor:
    """(b, l, ...) -> (c, ⌈l/c⌉, b, ...): position k of chunk j at [k, j], zero-padded at the end.

    Position first, so one step inside every chunk at once reads and writes one contiguous slab.
    """
    b, l = x.shape[:2]
    chunks = -(-l // c)
    if chunks * c > l:
        x = F.pad(x, (0, 0) * (x.dim() - 2) + (0, chunks * c - l))
    return x.reshape(b, chunks, c, *x.shape[2:]).transpose(0, 2).contiguous()


def _from_chunks(x: torch.Tensor, l: int) -> torch.Tensor:
    """(c, chunks, b, ...) -> (b, l, ...), undoing `_to_chunks`."""
    c, chunks, b = x.shape[:3]
    return x.transpose(0, 2).reshape(b, chunks * c, *x.shape[3:])[:, :l]


def _states_in_place(A_bar: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """The states h_t from Ā and B̄u in chunks (c, chunks, b, d, n), overwriting both; no autograd.

    1) Every chunk from a zero state, all chunks side by side (c steps), while Ā becomes P, the
    decay ∏ Ā since the chunk's start. 2) The true states at the chunk ends, H_j = P_j H_{j−1} + h_j
    (one step per chunk). 3) Inside chunk j, h_t += P_t H_{j−1}. P ∈ [0, 1]: no overflow for any Δ.
    """
    c, chunks = h.shape[:2]
    for k in range(1, c):
        h[k].addcmul_(A_bar[k], h[k - 1])
        A_bar[k].mul_(A_bar[k - 1])
    for j in range(1, chunks):
        h[-1, j].addcmul_(A_bar[-1, j], h[-1, j - 1])
    h[:-1, 1:].addcmul_(A_bar[:-1, 1:], h[-1:, :-1])
    return h


def _states_out_of_place(A_bar: torch.Tensor, B_bar_u: torch.Tensor) -> torch.Tensor:
    """`_states_in_place` with new tensors at every step, so autograd can differentiate it."""
    local, decay = [B_bar_u[0]], [A_bar[0]]
    for A_bar_k, B_bar_u_k in zip(A_bar[1:], B_bar_u[1:]):
        local.append(torch.addcmul(B_bar_u_k, A_bar_k, local[-1]))
        decay.append(decay[-1] * A_bar_k)
    ends = [local[-1][0]]
    for h_j, P_j in zip(local[-1][1:], decay[-1][1:]):
        ends.append(torch.addcmul(h_j, P_j, ends[-1]))
    incoming = torch.stack([torch.zeros_like(ends[0]), *ends[:-1]])
    return torch.stack([torch.addcmul(h_k, P_k, incoming) for h_k, P_k in zip(local, decay)])


def selective_scan(u, delta, A, B, C, D, chunk: int | None = None, return_states: bool = False):
    """The selective scan in chunks of `chunk` steps (√l by default); same arguments and results as the reference.

    About 2c + l/c vectorised steps instead of l (see the module docstring). The states stay in the
    chunked layout, where y is read out; they are put back in order (b, l, d, n) only when return_states.
    """
    _check_shapes(u, delta, A, B, C, D)
    l = u.shape[1]
    c = max(1, min(chunk or math.isqrt(l), l))
    A_bar, B_bar_u = _discretize(_to_chunks(u, c), _to_chunks(delta, c), A, _to_chunks(B, c))
    needs_graph = torch.is_grad_enabled() and (A_bar.requires_grad or B_bar_u.requires_grad)
    h = (_states_out_of_place if needs_graph else _states_in_place)(A_bar, B_bar_u)
    y = _from_chunks((h * _to_chunks(C, c)[..., None, :]).sum(-1), l) + u * D
    return (y, _from_chunks(h, l)) if return_states else y


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
                 f"a hidden attention matrix for l={l}, d={d}, n={n}", "sequence length", device=delta.device)
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
        generator: where the weights are drawn from (seed 0 when None), never the global RNG.
    """

    def __init__(self, d_model: int, d_state: int = 16, expand: int = 2, d_conv: int = 4,
                 dt_rank: int | None = None, dt_min: float = 1e-3, dt_max: float = 1e-1,
                 generator: torch.Generator | None = None):
        super().__init__()
        g = seeding.generator(0) if generator is None else generator
        self.d_inner = expand * d_model
        self.d_state = d_state
        self.dt_rank = dt_rank or math.ceil(d_model / 16)
        self.in_proj = seeded(nn.Linear, d_model, 2 * self.d_inner, bias=False, generator=g)
        self.conv1d = seeded(nn.Conv1d, self.d_inner, self.d_inner, d_conv, groups=self.d_inner,
                             padding=d_conv - 1, generator=g)
        self.x_proj = seeded(nn.Linear, self.d_inner, self.dt_rank + 2 * d_state, bias=False, generator=g)
        self.dt_proj = seeded(nn.Linear, self.dt_rank, self.d_inner, generator=g)
        log_dt = torch.rand(self.d_inner, generator=g) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        dt = torch.exp(log_dt)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus⁻¹(dt)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, d_state + 1, dtype=torch.float32)).repeat(self.d_inner, 1))
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = seeded(nn.Linear, self.d_inner, d_model, bias=False, generator=g)

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

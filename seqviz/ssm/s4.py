"""Linear state-space models (S4, S4D): HiPPO matrices, discretisation, kernels, FFT convolution, scan,
and the S4D layer (learned Δ, diagonal complex A) that the task comparison trains.

Glossary
    N   state size               L   sequence (kernel) length        H   channels (independent SSMs)
    u   input u_k (L,)           x   state x_k (N,)                  y   output y_k (L,)
    A, B, C, D   continuous SSM   x'(t) = A x(t) + B u(t),  y(t) = C x(t) + D u(t)
    Δ (dt)       step size        Ā, B̄   discrete SSM  x_k = Ā x_{k−1} + B̄ u_k,  y_k = C x_k + D u_k
    K   kernel K_l = C Ā^l B̄ (l < L), so that y = K ∗ u + D u (causal convolution)

Discretisation (`method`)
    zoh       zero-order hold: Ā = exp(ΔA), B̄ = A⁻¹(exp(ΔA) − I) B  (exact for piecewise-constant u)
    bilinear  Tustin: Ā = (I − Δ/2 A)⁻¹(I + Δ/2 A), B̄ = (I − Δ/2 A)⁻¹ Δ B

Diagonal initialisations (`s4d_init`, Gu et al. 2022, "On the parameterization and initialization
of diagonal state space models")
    legs   eigenvalues of the normal part of HiPPO-LegS, A + P Pᵀ with P_n = √(n + ½): real part −½;
           B = ½ V⁻¹ B_LegS in the eigenbasis V
    inv    A_n = −½ + i (N/π)(N/(2n+1) − 1), B_n = 1
    lin    A_n = −½ + i π n, B_n = 1
    real   A_n = −(n + 1), B_n = 1 (real, N entries)

Conjugate pairs
    A real SSM with complex diagonal A has its eigenvalues in conjugate pairs. As in the S4D code, a
    complex A stores one member of each pair (N/2 entries for state size N) and every output is
    2·Re(Σ_n …) over the stored half, which is exactly the sum over all N modes. A real-valued A
    (S4D-Real, or a dense matrix) is summed as it is.

HiPPO-LegS online memory (Gu et al. 2020)
    The coefficients c(t) of u's whole history on [0, t] in the scaled Legendre basis obey
    c'(t) = (1/t) A c(t) + (1/t) B u(t), and u(s) ≈ Σ_n c_n(t) √(2n+1) P_n(2s/t − 1) for s in [0, t].
    `legs_memory` integrates this ODE with the trapezoid rule at unit steps t = 1, 2, …
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.budget import check_budget
from seqviz.core.checks import check_choice

METHODS = ("zoh", "bilinear")
S4D_INITS = ("legs", "inv", "lin", "real")
COMPLEX_DTYPE = torch.complex128


def _check_state_size(N: int, lo: int = 1) -> None:
    if isinstance(N, bool) or not isinstance(N, int) or N < lo:
        raise ValueError(f"state size N must be an integer ≥ {lo}; got {N!r}")


def hippo_legs(N: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The HiPPO-LegS matrices, float64.

    Returns:
        A: (N, N), A[n, k] = −√(2n+1)√(2k+1) for n > k, −(n+1) for n = k, 0 for n < k.
        B: (N,), B[n] = √(2n+1).
    """
    _check_state_size(N)
    n = torch.arange(N, dtype=torch.float64)
    r = torch.sqrt(2 * n + 1)
    A = -torch.tril(r[:, None] * r[None, :], diagonal=-1) - torch.diag(n + 1)
    return A, r.clone()


def hippo_legs_normal(N: int) -> torch.Tensor:
    """(N, N) normal part of HiPPO-LegS, A + P Pᵀ with P_n = √(n + ½): −½ I plus a skew-symmetric matrix."""
    A, _ = hippo_legs(N)
    P = torch.sqrt(torch.arange(N, dtype=torch.float64) + 0.5)
    return A + P[:, None] * P[None, :]


def s4d_init(init: str, N: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Diagonal A and input vector B of an S4D initialisation (see the module docstring).

    Args:
        init: "legs", "inv", "lin" or "real".
        N: state size; even for the complex inits (they store N/2 conjugate-pair representatives).
    Returns:
        A, B: (N/2,) complex128 for legs/inv/lin (imaginary parts ≥ 0), (N,) float64 for real.
    """
    check_choice("init", init, S4D_INITS)
    _check_state_size(N, lo=2 if init != "real" else 1)
    if init == "real":
        return -(torch.arange(N, dtype=torch.float64) + 1), torch.ones(N, dtype=torch.float64)
    if N % 2:
        raise ValueError(f"state size N must be even for the complex init {init!r} (N/2 conjugate pairs); got {N}")
    n = torch.arange(N // 2, dtype=torch.float64)
    if init == "legs":
        return _legs_diagonal(N)
    imag = math.pi * n if init == "lin" else (N / math.pi) * (N / (2 * n + 1) - 1)
    A = torch.complex(torch.full_like(n, -0.5), imag)
    return A, torch.ones_like(A)


def legs_eigenbasis(N: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """S4D-LegS in the eigenbasis of the LegS normal part A + P Pᵀ = V diag(Λ) Vᴴ (V unitary).

    Returns the N/2 members with Im Λ ≥ 0 of: Λ (N/2,), ½ Vᴴ B_LegS (N/2,), and V's matching
    columns (N, N/2), so that a dense C maps to the diagonal system as C V.
    """
    A_normal = hippo_legs_normal(N)
    # A_normal + ½I is skew-symmetric, so i(A_normal + ½I) is Hermitian: eigh gives a unitary V.
    omega, V = torch.linalg.eigh(1j * (A_normal + 0.5 * torch.eye(N, dtype=torch.float64)).to(COMPLEX_DTYPE))
    eigenvalues = -0.5 - 1j * omega
    keep = torch.argsort(eigenvalues.imag, descending=True)[: N // 2]
    _, B = hippo_legs(N)
    B_eig = 0.5 * (V.conj().T @ B.to(COMPLEX_DTYPE))
    return eigenvalues[keep], B_eig[keep], V[:, keep]


def _legs_diagonal(N: int) -> tuple[torch.Tensor, torch.Tensor]:
    A, B, _ = legs_eigenbasis(N)
    return A, B


def _is_dense(A: torch.Tensor) -> bool:
    return A.dim() == 2 and A.shape[0] == A.shape[1] and A.shape[0] > 1


def discretize(A: torch.Tensor, B: torch.Tensor, dt: float | torch.Tensor, method: str = "zoh"):
    """Discrete (Ā, B̄) of the continuous (A, B) with step Δ = dt.

    Args:
        A: dense (N, N), or diagonal entries (..., N) (real or complex).
        B: (N,) for dense A, else (..., N) broadcastable with A.
        dt: Δ > 0, a float or a tensor broadcastable to A's leading dims (one Δ per channel: (..., 1)).
        method: "zoh" or "bilinear".
    Returns:
        Ā, B̄ with the shapes of A and B.
    """
    check_choice("method", method, METHODS)
    dt = torch.as_tensor(dt, dtype=torch.float64 if not torch.is_tensor(dt) else dt.dtype)
    if torch.any(dt <= 0):
        raise ValueError(f"step Δ must be positive; got {dt.min().item()}")
    if _is_dense(A):
        return _discretize_dense(A, B, dt, method)
    if method == "zoh":
        A_bar = torch.exp(dt * A)
        return A_bar, (A_bar - 1) / A * B
    denominator = 1 - dt / 2 * A
    return (1 + dt / 2 * A) / denominator, dt * B / denominator


def _discretize_dense(A, B, dt, method):
    identity = torch.eye(A.shape[0], dtype=A.dtype)
    if method == "zoh":
        A_bar = torch.linalg.matrix_exp(dt * A)
        return A_bar, torch.linalg.solve(A, (A_bar - identity) @ B)
    left = identity - dt / 2 * A
    return torch.linalg.solve(left, identity + dt / 2 * A), torch.linalg.solve(left, dt * B)


def _real_output(values: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """Sum over the state (last dim) with the conjugate-pair convention of the module docstring."""
    total = values.sum(-1)
    return 2 * total.real if A.is_complex() else total


def kernel_bytes(N: int, L: int, channels: int = 1) -> int:
    """Memory of the Vandermonde matrix Ā_n^l (complex128) for `channels` SSMs."""
    return channels * N * L * 16


def kernel(A, B, C, dt, L: int, method: str = "zoh") -> torch.Tensor:
    """SSM convolution kernel K_l = C Ā^l B̄ for l = 0 … L−1.

    Args:
        A: diagonal entries (..., N) (complex: one per conjugate pair, see module docstring), or a
            dense (N, N) matrix (single-input single-output reference, computed by repeated products).
        B, C: (..., N) for diagonal A, (N,) for dense A.
        dt: Δ, float or tensor (..., 1) with one step per channel.
        L: kernel length.
    Returns:
        K: (..., L) real, float64 for float64/complex128 inputs.
    """
    if isinstance(L, bool) or not isinstance(L, int) or L < 1:
        raise ValueError(f"kernel length L must be a positive integer; got {L!r}")
    A_bar, B_bar = discretize(A, B, dt, method)
    if _is_dense(A):
        return _dense_power_kernel(A_bar, B_bar, C, L)
    check_budget(kernel_bytes(A.shape[-1], L, int(np.prod(A.shape[:-1]))), f"an SSM kernel of length L={L}",
                 "kernel length L, state size N or number of channels")
    # Vandermonde product: Ā_n^l = exp(l log Ā_n), all powers at once; Ā_n^0 = 1 even where Ā_n = 0.
    log_A_bar = torch.log(A_bar.to(COMPLEX_DTYPE) if not A_bar.is_complex() else A_bar)
    l = torch.arange(L, dtype=torch.float64)
    powers = torch.where(l == 0, 1, torch.exp(log_A_bar[..., None] * l))  # (..., N, L)
    weights = (C * B_bar).to(powers.dtype)
    K = torch.einsum("...n,...nl->...l", weights, powers)
    return 2 * K.real if A.is_complex() else K.real


def _dense_power_kernel(A_bar, B_bar, C, L):
    """K_l = C Ā^l B̄ by L repeated matrix-vector products (the reference for dense A)."""
    K = torch.empty(L, dtype=torch.promote_types(B_bar.dtype, C.dtype))
    x = B_bar
    for l in range(L):
        K[l] = C @ x
        x = A_bar @ x
    return K


def fft_conv(u: torch.Tensor, K: torch.Tensor, D: float | torch.Tensor = 0.0) -> torch.Tensor:
    """Causal convolution y_k = Σ_{j ≤ k} K_j u_{k−j} + D u_k by FFT (zero-padded to 2L, no wrap-around).

    Args:
        u: (..., L) input; K: (..., L) kernel broadcastable with u; D: skip term.
    Returns:
        y: (..., L).
    """
    L = u.shape[-1]
    n = 2 * L
    y = torch.fft.irfft(torch.fft.rfft(u, n=n) * torch.fft.rfft(K, n=n), n=n)[..., :L]
    return y + D * u


def scan(A, B, C, dt, u: torch.Tensor, method: str = "zoh", D: float = 0.0) -> torch.Tensor:
    """The same SSM run as a recurrence x_k = Ā x_{k−1} + B̄ u_k, y_k = C x_k + D u_k, one step at a time.

    Args:
        A, B, C, dt, method: as in `kernel` (single input, single output).
        u: (L,) input.
    Returns:
        y: (L,) real.
    """
    A_bar, B_bar = discretize(A, B, dt, method)
    u = u.to(torch.float64)
    states = torch.empty((u.shape[0], B_bar.shape[-1]), dtype=B_bar.dtype)
    x = torch.zeros_like(B_bar)
    if _is_dense(A):
        for k, u_k in enumerate(u):
            x = A_bar @ x + B_bar * u_k
            states[k] = x
        return states @ C + D * u
    for k, u_k in enumerate(u):
        x = A_bar * x + B_bar * u_k
        states[k] = x
    return _real_output(states * C, A) + D * u


def legendre(N: int, z: torch.Tensor) -> torch.Tensor:
    """(N, *z.shape) Legendre polynomials P_0 … P_{N−1} at z in [−1, 1] (three-term recurrence)."""
    P = [torch.ones_like(z), z]
    for n in range(1, N - 1):
        P.append(((2 * n + 1) * z * P[n] - n * P[n - 1]) / (n + 1))
    return torch.stack(P[:N])


def legs_memory_bytes(N: int, T: int) -> int:
    """Memory of `legs_memory`'s stored coefficients (float64) plus its per-step matrices."""
    return 8 * (T * N + 4 * N * N)


def legs_memory(u: torch.Tensor, N: int) -> torch.Tensor:
    """HiPPO-LegS coefficients of u's history, online, at every time t = 0 … T−1.

    The trapezoid rule for c'(t) = (1/t)(A c + B u(t)) between t = k−1 and k,
        (I − A/(2k)) c_k = (I + A/(2(k−1))) c_{k−1} + (B/2)(u_k/k + u_{k−1}/(k−1)),
    started at t = 1 from the exact coefficients of the straight line through u_0 and u_1.

    Args:
        u: (T,) samples u(0), u(1), …; N: number of coefficients.
    Returns:
        c: (T, N) float64; c[t] describes u on [0, t] (c[0] is u_0 times e_0).
    """
    _check_state_size(N)
    T = u.shape[0]
    check_budget(legs_memory_bytes(N, T), f"HiPPO-LegS memory with N={N} over T={T} steps", "state size N or length T")
    u = u.to(torch.float64)
    A, B = hippo_legs(N)
    identity = torch.eye(N, dtype=torch.float64)
    c = torch.zeros((T, N), dtype=torch.float64)
    c[0, 0] = u[0]
    if T > 1:
        c[1, 0] = (u[0] + u[1]) / 2
        if N > 1:
            c[1, 1] = (u[1] - u[0]) / (2 * math.sqrt(3))
    for k in range(2, T):
        rhs = (identity + A / (2 * (k - 1))) @ c[k - 1] + B / 2 * (u[k] / k + u[k - 1] / (k - 1))
        c[k] = torch.linalg.solve_triangular(identity - A / (2 * k), rhs[:, None], upper=False)[:, 0]
    return c


def legs_reconstruct(c: torch.Tensor, t: float, s: torch.Tensor) -> torch.Tensor:
    """u(s) ≈ Σ_n c_n √(2n+1) P_n(2s/t − 1) for s in [0, t] from the LegS coefficients c (N,) at time t."""
    if t <= 0:
        return torch.full_like(s, float(c[0]), dtype=torch.float64)
    N = c.shape[0]
    scale = torch.sqrt(2 * torch.arange(N, dtype=torch.float64) + 1)
    return torch.einsum("n,n...->...", c * scale, legendre(N, 2 * s.to(torch.float64) / t - 1))


# ---------------------------------------------------------------- the S4D layer, trained on the page's tasks

class S4DLayer(nn.Module):
    """d independent single-input single-output S4D SSMs, applied as FFT convolutions.

    Args:
        d: channels; N: state size (even: N/2 complex conjugate-pair representatives per channel).
        generator: where the weights are drawn from (seed 0 when None), never the global RNG.
    """

    def __init__(self, d: int, N: int = 32, dt_min: float = 1e-3, dt_max: float = 1e-1,
                 generator: torch.Generator | None = None):
        super().__init__()
        g = seeding.generator(0) if generator is None else generator
        A, _ = s4d_init("lin", N)
        log_dt = torch.rand(d, generator=g) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        self.log_dt = nn.Parameter(log_dt)
        self.log_neg_A_real = nn.Parameter(torch.log(-A.real).float().repeat(d, 1))  # (d, N/2)
        self.A_imag = nn.Parameter(A.imag.float().repeat(d, 1))
        self.C = nn.Parameter(torch.randn(d, N // 2, 2, generator=g) * 0.5**0.5)
        self.D = nn.Parameter(torch.randn(d, generator=g))

    def kernel(self, L: int) -> torch.Tensor:
        """(d, L) convolution kernels, ZOH with each channel's learned Δ."""
        A = torch.complex(-torch.exp(self.log_neg_A_real), self.A_imag)
        C = torch.view_as_complex(self.C)
        return kernel(A, torch.ones_like(A), C, torch.exp(self.log_dt)[:, None], L, "zoh").float()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (b, l, d) -> (b, l, d)."""
        u = x.transpose(1, 2)  # (b, d, l)
        y = fft_conv(u, self.kernel(x.shape[1]), self.D[:, None])
        return y.transpose(1, 2)

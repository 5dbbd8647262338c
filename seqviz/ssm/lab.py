"""What each view of the state-space page computes: a frozen config in, a result dataclass out.

Glossary as in seqviz.ssm.s4 (N state size, L length, Δ step, K kernel) and seqviz.ssm.mamba
(b, l, d, n, Δ_t, α). Arrays in results are numpy, float32 where they are only drawn.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from seqviz.core.budget import check_budget
from seqviz.core.tracing import trace
from seqviz.ssm import s4
from seqviz.ssm.compare import SequenceModel
from seqviz.ssm.tasks import decode, encode

KERNEL_INITS = ("legs", "inv", "lin", "real", "hippo_dense")
SIGNALS = ("sines", "random_walk", "square", "polynomial")
DT_GRID = tuple(float(d) for d in np.logspace(-4, 0, 13))
LEGS_COMPARE_N = (8, 16, 32, 64, 128, 256, 512)
LEGS_BASIS = (0, 1, 2, 3)
DENSE_MAX_N = 64


@dataclass(frozen=True)
class SSMConfig:
    """A single-input single-output SSM: initialisation, state size N, step Δ, discretisation, length L."""

    init: str = "legs"
    N: int = 64
    dt: float = 0.01
    method: str = "zoh"
    L: int = 1024
    channels: int = 3
    seed: int = 0


def state_matrices(config: SSMConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, B) of the configured initialisation: diagonal (S4D) or the dense HiPPO-LegS pair."""
    if config.init == "hippo_dense":
        if config.N > DENSE_MAX_N:
            raise ValueError(f"the dense HiPPO-LegS reference is limited to N ≤ {DENSE_MAX_N} "
                             f"(L repeated N×N products); got N={config.N}")
        return s4.hippo_legs(config.N)
    if config.init in KERNEL_INITS:
        return s4.s4d_init(config.init, config.N)
    raise ValueError(f"init must be one of {', '.join(KERNEL_INITS)}; got {config.init!r}")


def readout(config: SSMConfig, A: torch.Tensor, B: torch.Tensor, channel: int = 0) -> torch.Tensor:
    """A seeded random C for channel `channel`, shaped like B (complex for complex A)."""
    g = torch.Generator().manual_seed(config.seed * 1000 + channel)
    size = B.shape[0]
    C = torch.randn(size, generator=g, dtype=torch.float64)
    if A.is_complex():
        C = torch.complex(C, torch.randn(size, generator=g, dtype=torch.float64)) * 0.5**0.5
    return C


def _full_spectrum(A: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of A, both members of each conjugate pair for a complex diagonal A."""
    if A.dim() == 2:
        return torch.linalg.eigvals(A)
    return torch.cat([A, A.conj()]) if A.is_complex() else A.to(s4.COMPLEX_DTYPE)


@dataclass(frozen=True)
class KernelResult:
    K: np.ndarray                       # (channels, L)
    eig_A: np.ndarray                   # (N,) complex
    eig_A_bar: dict[float, np.ndarray]  # Δ -> (N,) complex, for DT_GRID and the chosen Δ
    max_abs_eig_A_bar: float
    seconds: float  # to compute


def ssm_kernels(config: SSMConfig) -> KernelResult:
    """Kernels of `channels` SSMs (random C each) and the eigenvalues of A and Ā over a Δ grid."""
    start = time.perf_counter()
    A, B = state_matrices(config)  # once: S4D-LegS diagonalises an N × N matrix
    K = np.stack([s4.kernel(A, B, readout(config, A, B, c), config.dt, config.L, config.method).numpy()
                  for c in range(config.channels)]).astype(np.float32)
    eig_A = _full_spectrum(A)
    eig_A_bar = {}
    for dt in sorted(set(DT_GRID) | {config.dt}):
        A_bar, _ = s4.discretize(A, B, dt, config.method)
        eig_A_bar[dt] = _full_spectrum(A_bar).numpy()
    return KernelResult(K, eig_A.numpy(), eig_A_bar, float(np.abs(eig_A_bar[config.dt]).max()),
                        time.perf_counter() - start)


def radius_text(r: float) -> str:
    """A spectral radius as text that does not round a stable 0.9999999 up to 1: "1 − 4.6e-07" when
    it is within 1e-4 of 1, else six decimals."""
    return f"1 − {1 - r:.1e}" if 0 < 1 - r < 1e-4 else f"{r:.6f}"


def large_step_limit(method: str) -> str:
    """Where a stable eigenvalue of Ā goes as Δ grows: e^(Δλ) → 0 (zoh), (1 + Δλ/2)/(1 − Δλ/2) → −1 (bilinear)."""
    return {"zoh": "pulls them toward 0", "bilinear": "sends them toward −1"}[method]


@dataclass(frozen=True)
class LegsComparison:
    t: np.ndarray
    dense: np.ndarray
    diagonal: dict[int, np.ndarray]
    relative_difference: dict[int, float]

    @property
    def order(self) -> float:
        """p in relative difference ∝ N^(−p), least-squares over the four largest N."""
        N = np.array(list(self.relative_difference))[-4:]
        d = np.array(list(self.relative_difference.values()))[-4:]
        return float(-np.polyfit(np.log(N), np.log(d), 1)[0])


def legs_comparison(dt: float = 0.02, L: int = 500, coefficient: int = 0) -> LegsComparison:
    """Basis kernel `coefficient` (C = e_n) of the dense HiPPO-LegS SSM and of S4D-LegS for N in LEGS_COMPARE_N.

    The S4D-LegS kernel uses the diagonalised normal part (Λ, ½VᴴB) read out with C V. HiPPO-LegS's
    A is lower-triangular, so x_n(t) depends only on the states 0 … n: the dense kernel of basis n is
    the same for every N ≥ n + 1 and is computed exactly from that (n+1)-state block, which keeps the
    reference well conditioned where a large dense e^{ΔA} would not be. Both by ZOH with step Δ, so
    K_l is the continuous kernel integrated over [lΔ, (l+1)Δ].
    """
    if coefficient not in LEGS_BASIS:
        raise ValueError(f"basis kernel n must be one of {LEGS_BASIS}; got {coefficient!r}")
    t = np.arange(L) * dt
    block = max(coefficient + 1, 2)  # a (1, 1) matrix would read as one diagonal entry
    C = torch.zeros(block, dtype=torch.float64)
    C[coefficient] = 1
    A, B = s4.hippo_legs(block)
    dense = s4.kernel(A, B, C, dt, L).numpy()
    diagonal, difference = {}, {}
    for N in LEGS_COMPARE_N:
        Lam, B_eig, V = s4.legs_eigenbasis(N)
        K = s4.kernel(Lam, B_eig, V[coefficient].to(s4.COMPLEX_DTYPE), dt, L).numpy()
        diagonal[N] = K
        difference[N] = float(np.linalg.norm(K - dense) / np.linalg.norm(dense))
    return LegsComparison(t, dense, diagonal, difference)


@dataclass(frozen=True)
class MemoryConfig:
    signal: str = "sines"
    T: int = 1000
    N: int = 32
    seed: int = 0


def make_signal(kind: str, T: int, seed: int) -> torch.Tensor:
    """(T,) float64 test signal: "sines", "random_walk", "square" or "polynomial" (degree 5)."""
    g = torch.Generator().manual_seed(seed)
    s = torch.arange(T, dtype=torch.float64) / T
    if kind == "sines":
        freqs = torch.randint(1, 8, (3,), generator=g).double()
        phases = torch.rand(3, generator=g, dtype=torch.float64) * 6.3
        return sum(torch.sin(2 * np.pi * f * s + p) / (i + 1) for i, (f, p) in enumerate(zip(freqs, phases)))
    if kind == "random_walk":
        steps = torch.randn(T, generator=g, dtype=torch.float64)
        return torch.cumsum(steps, 0) / T**0.5
    if kind == "square":
        return torch.sign(torch.sin(2 * np.pi * 3 * s + 0.1))
    if kind == "polynomial":
        roots = torch.rand(5, generator=g, dtype=torch.float64)
        return torch.prod(s[:, None] - roots, dim=1) * 50
    raise ValueError(f"signal must be one of {', '.join(SIGNALS)}; got {kind!r}")


@dataclass(frozen=True)
class MemoryResult:
    u: np.ndarray                           # (T,)
    coefficients: np.ndarray                # (T, N) c(t)
    error_times: np.ndarray                 # (k,) times t at which the error was measured
    errors: dict[int, np.ndarray]           # N' -> (k,) RMS error of the history [0, t]

    def history_at(self, t: int) -> tuple[np.ndarray, float]:
        """(t + 1,) the history u[0..t] rebuilt from c(t) alone, and its RMS error."""
        rebuilt, rms = reconstruct_history(torch.from_numpy(self.u), torch.from_numpy(self.coefficients[t]), t)
        return rebuilt.numpy(), rms


def reconstruct_history(u: torch.Tensor, c_t: torch.Tensor, t: int) -> tuple[torch.Tensor, float]:
    """u on [0, t] rebuilt from the LegS coefficients c_t = c(t), and the RMS error against u."""
    rebuilt = s4.legs_reconstruct(c_t, float(t), torch.arange(t + 1, dtype=torch.float64))
    return rebuilt, float(torch.sqrt(torch.mean((rebuilt - u[: t + 1]) ** 2)))


def history_errors(u: torch.Tensor, c: torch.Tensor, times: np.ndarray) -> np.ndarray:
    """RMS error of the reconstruction of u on [0, t] from c[t], for each t in `times`."""
    return np.asarray([reconstruct_history(u, c[t], int(t))[1] for t in times])


def hippo_memory(config: MemoryConfig) -> MemoryResult:
    """HiPPO-LegS coefficients of a signal at every t, and the history error vs t for several N."""
    u = make_signal(config.signal, config.T, config.seed)
    times = np.unique(np.linspace(1, config.T - 1, 40).astype(int))
    c = s4.legs_memory(u, config.N)
    # LegS's A is lower-triangular: the first n coefficients of the N-state memory are the n-state memory.
    sizes = sorted({n for n in (4, 16, 64) if n < config.N} | {config.N})
    errors = {n: history_errors(u, c[:, :n], times) for n in sizes}
    return MemoryResult(u.numpy(), c.numpy(), times, errors)


@dataclass(frozen=True)
class ConvScanResult:
    y_conv: np.ndarray
    y_scan: np.ndarray
    max_difference: float
    lengths: list[int]
    seconds: dict[str, list[float]]


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def conv_and_scan(config: SSMConfig, timing_lengths=(256, 1024, 4096, 16384)) -> ConvScanResult:
    """One channel run by kernel + FFT convolution and by the recurrence, and both timed vs L."""
    check_budget(s4.kernel_bytes(config.N, config.L, 2), f"an SSM of length L={config.L}, N={config.N}",
                 "sequence length L or state size N")
    A, B = state_matrices(config)
    C = readout(config, A, B)
    g = torch.Generator().manual_seed(config.seed)
    u = torch.randn(config.L, generator=g, dtype=torch.float64)
    lengths = sorted({L for L in timing_lengths if L < config.L} | {config.L})
    seconds = {"kernel + FFT conv": [], "sequential scan": []}
    y_conv = y_scan = None
    for L in lengths:
        y_conv, t_conv = _timed(lambda: s4.fft_conv(u[:L], s4.kernel(A, B, C, config.dt, L, config.method)))
        y_scan, t_scan = _timed(lambda: s4.scan(A, B, C, config.dt, u[:L], config.method))
        seconds["kernel + FFT conv"].append(t_conv)
        seconds["sequential scan"].append(t_scan)
    difference = float((y_conv - y_scan).abs().max())
    return ConvScanResult(y_conv.numpy(), y_scan.numpy(), difference, lengths, seconds)


@dataclass(frozen=True)
class SelectionResult:
    chars: list[str]
    delta: np.ndarray           # (d, l) Δ_t per channel
    state_norm: np.ndarray      # (d, l) ‖h_t‖ per channel
    alpha: np.ndarray           # (d, l, l) hidden attention per channel
    forget: np.ndarray          # (H, l) LSTM forget gate
    input_gate: np.ndarray      # (H, l) LSTM input gate
    predictions: dict[str, str]  # model kind -> predicted characters at every position

    def hidden_attention(self, channel: int | None = None) -> np.ndarray:
        """(l, l) α[t, s] of `channel`, or its mean over the channels (None)."""
        return self.alpha.mean(0) if channel is None else self.alpha[channel]


MAX_SELECTION_LENGTH = 128


def inspect_selection(text: str, mamba_model: SequenceModel, lstm_model: SequenceModel) -> SelectionResult:
    """Inside a trained Mamba model and a trained LSTM on the same typed token sequence."""
    tokens = encode(text)
    if tokens.shape[0] > MAX_SELECTION_LENGTH:
        raise ValueError(f"sequences are limited to {MAX_SELECTION_LENGTH} tokens here (the hidden attention "
                         f"is l×l per channel); got {tokens.shape[0]}")
    with torch.no_grad():
        x = mamba_model.norm(mamba_model.embedding(tokens[None]))
        inside = mamba_model.layer.inspect(x)
        lstm_trace = trace(lstm_model.layer, lstm_model.embedding(tokens))
        predictions = {kind: decode(m(tokens[None]).argmax(-1)[0]) for kind, m in
                       (("mamba", mamba_model), ("lstm", lstm_model))}
    gates = lstm_trace.gates
    return SelectionResult(
        chars=list(text),
        delta=inside.delta[0].T.numpy(),
        state_norm=inside.states[0].norm(dim=-1).T.numpy(),
        alpha=inside.hidden_attention[0].numpy(),
        forget=np.asarray(gates["f"][:, 0, 0, :]).T,
        input_gate=np.asarray(gates["i"][:, 0, 0, :]).T,
        predictions=predictions,
    )

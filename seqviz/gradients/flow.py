"""Vanishing and exploding gradients through time: per-step norms, Jacobian products, itemised
gradients and a (ρ, T) phase diagram, for stock nn.RNN / nn.LSTM / nn.GRU.

Glossary
    T  time steps          I  input size (INPUT_SIZE)     H  hidden size      L  layers
    n  state size: H (RNN, GRU) or 2H (LSTM, s = (h, c))
    δ_t = dL/dh_t          the total derivative of the loss w.r.t. the hidden state at step t
    J_t = ∂s_t/∂s_{t−1}    one step's Jacobian;  P_s = ∂s_{T−1}/∂s_s = J_{T−1} ⋯ J_{s+1}
    k = T − 1 − t          steps back from the last step
    λ                      decay rate: least-squares slope of log₁₀‖δ_t‖ against k, in decades per
                           step (negative: vanishing, positive: exploding); λ·ln 10 is the
                           empirical Lyapunov exponent in nats per step
    M = 6 / (−λ)           effective memory: steps back until ‖δ‖ has fallen by 10⁶ (∞ when λ ≥ 0)
    ρ  spectral radius of every recurrent gate block (init "normal")

A visitor's own model (`model`, see `FlowConfig.with_model`) replaces the three seeded models with one:
the views show its kind only, and x_t has its input size I.

Losses: "last" is L = Σ_j y_{T−1,j}, the sum of the top layer's outputs at the last step; "all" sums
that over every step. The itemised matrix uses L_t = Σ_j y_{t,j}, one loss per step.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch

from seqviz.core.budget import check_budget, trace_bytes
from seqviz.core.checks import check_choice
from seqviz.core.models import GATE_BLOCKS, KINDS, build_model
from seqviz.core.threads import single_threaded
from seqviz.core.tracing import DTYPES, LOSSES, trace
from seqviz.core.user_model import UserModel, check_limits, user_module

INPUT_SIZE = 32
MEMORY_DECADES = 6.0
MAX_HIDDEN, MAX_LAYERS = 256, 3  # the page's own model sizes; a visitor's model must fit them too


@dataclass(frozen=True)
class FlowConfig:
    """Settings shared by the gradient-through-time, spectrum and itemised views.

    `spectral_radius` is used only with init "normal"; `forget_bias` only by the LSTM (None keeps
    the init's bias); `nonlinearity` only by the RNN. `model`, a visitor's own (forward-only) model,
    fixes the sizes and the weights; the seed then draws the input only.
    """

    steps: int = 100
    hidden_size: int = 64
    num_layers: int = 1
    nonlinearity: str = "tanh"
    init: str = "default"
    spectral_radius: float = 1.0
    forget_bias: float | None = None
    input_scale: float = 1.0
    loss: str = "last"
    dtype: str = "float32"
    seed: int = 0
    device: str = "cpu"
    model: UserModel | None = None

    def __post_init__(self):
        check_choice("loss", self.loss, LOSSES)
        check_choice("dtype", self.dtype, tuple(DTYPES))
        if not self.input_scale > 0:
            raise ValueError(f"input_scale must be > 0; got {self.input_scale!r}")
        if self.model is not None:
            check_limits(self.model, MAX_HIDDEN, MAX_LAYERS, bidirectional=False)
            if any(getattr(self, name) != value for name, value in _user_model_fields(self.model).items()):
                raise ValueError("a config with a user model must describe it: build it with FlowConfig.with_model")

    def with_model(self, model: UserModel) -> FlowConfig:
        """This config tracing a visitor's own `model` (see _user_model_fields); the seed still draws x_t."""
        return replace(self, **_user_model_fields(model), model=model)


def _user_model_fields(model: UserModel) -> dict:
    """The FlowConfig fields a visitor's model fixes: its sizes and nonlinearity, and the settings that
    only make weights (init, ρ, forget bias) at their defaults, as they no longer change them."""
    return dict(hidden_size=model.hidden_size, num_layers=model.num_layers, nonlinearity=model.nonlinearity,
                init=FlowConfig.init, spectral_radius=FlowConfig.spectral_radius, forget_bias=FlowConfig.forget_bias)


def flow_kinds(config: FlowConfig) -> tuple[str, ...]:
    """The kinds the views compare: RNN, LSTM and GRU, or the visitor's model's kind alone."""
    return KINDS if config.model is None else (config.model.kind,)


def input_size(config: FlowConfig) -> int:
    """I of x_t: INPUT_SIZE, or the visitor's model's own."""
    return INPUT_SIZE if config.model is None else config.model.input_size


# The handbook's "gradient at step 0 vs step 99" experiment (its seed 004): nn.RNN(32, 64) and
# nn.LSTM(32, 64), PyTorch's default init, a 100-step N(0, 1) input, loss = sum of the last output, float32.
HANDBOOK_EXPERIMENT = FlowConfig(steps=100, hidden_size=64, num_layers=1, init="default", loss="last", dtype="float32")
HANDBOOK_QUOTED_RATIO = 400_000  # ‖dL/dx_99‖ ÷ ‖dL/dx_0‖ as the handbook quotes it, which the page checks
HANDBOOK_FREE_FIELDS = ("seed", "device", "dtype", "spectral_radius", "nonlinearity")  # it does not fix these


def is_handbook_experiment(config: FlowConfig) -> bool:
    """Whether `config` is the handbook's experiment, whatever its HANDBOOK_FREE_FIELDS."""
    fixed = replace(config, **{name: getattr(HANDBOOK_EXPERIMENT, name) for name in HANDBOOK_FREE_FIELDS})
    return fixed == HANDBOOK_EXPERIMENT


def flow_model(config: FlowConfig, kind: str) -> torch.nn.Module:
    """The stock module of `kind` that `config` describes (same seed for every kind), or a fresh copy of
    the visitor's own model."""
    if config.model is not None:
        if kind != config.model.kind:
            raise ValueError(f"{config.model.label} is an {config.model.kind.upper()}; got kind {kind!r}")
        return user_module(config.model).to(config.device)
    return build_model(**_model_arguments(config, kind))


def traced_model(config: FlowConfig, kind: str) -> torch.nn.Module:
    """`flow_model`, built once per model and shared by the traces of every setting it ignores (T, loss,
    dtype, input scale, the other kinds' options). Only for callers that never modify it: `trace`
    computes on copies of its weights. A visitor's model is copied in fresh each time: a process-wide
    cache would keep its weights after the visitor's session let them go."""
    if config.model is not None:
        return flow_model(config, kind)
    return _shared_model(tuple(_model_arguments(config, kind).items()))


def _model_arguments(config: FlowConfig, kind: str) -> dict:
    """build_model's arguments for `kind`: only the settings that kind's module uses."""
    return dict(kind=kind, input_size=INPUT_SIZE, hidden_size=config.hidden_size, num_layers=config.num_layers,
                nonlinearity=config.nonlinearity if kind == "rnn" else "tanh", init=config.init,
                forget_bias=config.forget_bias if kind == "lstm" else None,
                spectral_radius=config.spectral_radius if config.init == "normal" else None,
                seed=config.seed, device=config.device)


@lru_cache(maxsize=24)
def _shared_model(arguments: tuple) -> torch.nn.Module:
    return build_model(**dict(arguments)).requires_grad_(False)


def flow_input(config: FlowConfig, steps: int | None = None) -> torch.Tensor:
    """(T, I) input x_t ~ N(0, input_scale²), drawn on the CPU from `seed` (same for every kind)."""
    generator = torch.Generator().manual_seed(config.seed)
    T = config.steps if steps is None else steps
    return torch.randn(T, input_size(config), generator=generator, dtype=torch.float64) * config.input_scale


def _check_trace_budget(config: FlowConfig, kind: str, batch: int = 1) -> None:
    itemsize = 8 if config.dtype == "float64" else 4
    need = trace_bytes(config.steps, config.hidden_size, config.num_layers, 1, GATE_BLOCKS[kind], batch, itemsize)
    check_budget(need, f"a {kind.upper()} trace of T={config.steps}, H={config.hidden_size} (batch {batch})",
                 "sequence length or hidden size", device=config.device)


# ---------------------------------------------------------------- decay rate and effective memory

@dataclass(frozen=True)
class DecayFit:
    """Least-squares fit log₁₀‖δ_t‖ ≈ intercept + λ·k over the finite, nonzero steps (k = T−1−t)."""

    slope: float  # λ, decades per step back
    intercept: float
    points: int  # steps used in the fit

    @property
    def lyapunov(self) -> float:
        """λ·ln 10: the empirical Lyapunov exponent in nats per step."""
        return self.slope * math.log(10)

    @property
    def effective_memory(self) -> float:
        """M = 6 / (−λ) steps: how far back ‖δ‖ falls by 10⁶; ∞ when it does not decay."""
        return MEMORY_DECADES / -self.slope if self.slope < 0 else math.inf


def decay_fit(norms: np.ndarray) -> DecayFit:
    """Fit λ to (T,) per-step norms ‖δ_t‖; zero (underflowed) and inf/NaN steps are left out.

    Returns NaN slope when fewer than two steps are usable.
    """
    norms = np.asarray(norms, dtype=np.float64)
    k = (len(norms) - 1 - np.arange(len(norms))).astype(np.float64)
    usable = np.isfinite(norms) & (norms > 0)
    if usable.sum() < 2:
        return DecayFit(math.nan, math.nan, int(usable.sum()))
    slope, intercept = np.polyfit(k[usable], np.log10(norms[usable]), 1)
    return DecayFit(float(slope), float(intercept), int(usable.sum()))


# ---------------------------------------------------------------- view 1: gradient through time

@dataclass(frozen=True)
class KindFlow:
    """One kind's per-step gradients. Arrays are (T, L) for hidden states, (T,) for inputs."""

    kind: str
    grad_hidden_norm: np.ndarray
    grad_input_norm: np.ndarray
    fits: tuple[DecayFit, ...]  # one per layer

    @property
    def underflow(self) -> np.ndarray:
        """(T, L) True where ‖δ_t‖ is exactly 0: it underflowed (or no path reaches it)."""
        return self.grad_hidden_norm == 0

    @property
    def nonfinite(self) -> np.ndarray:
        """(T, L) True where ‖δ_t‖ is inf or NaN: it overflowed."""
        return ~np.isfinite(self.grad_hidden_norm)

    def input_ratio(self) -> float:
        """‖dL/dx_{T−1}‖ ÷ ‖dL/dx_0‖ (the handbook's ratio); inf when ‖dL/dx_0‖ is exactly 0."""
        first, last = float(self.grad_input_norm[0]), float(self.grad_input_norm[-1])
        return math.inf if first == 0 else last / first


@dataclass(frozen=True)
class FlowResult:
    config: FlowConfig
    kinds: dict[str, KindFlow]
    seconds: float

    def float32_underflow(self, layer: int) -> bool:
        """Whether some ‖δ_t‖ of `layer` is exactly 0 in a float32 run: float64 would show its true size."""
        return self.config.dtype == "float32" and any(f.underflow[:, layer].any() for f in self.kinds.values())


def gradient_through_time(config: FlowConfig, kinds: tuple[str, ...] | None = None) -> FlowResult:
    """Trace RNN, LSTM and GRU (default: `flow_kinds`) on the same input and seed and collect ‖dL/dh_t‖,
    ‖dL/dx_t‖, λ and M."""
    start = time.perf_counter()
    x = flow_input(config)
    flows = {}
    for kind in kinds or flow_kinds(config):
        _check_trace_budget(config, kind)
        with single_threaded():
            tr = trace(traced_model(config, kind), x, loss=config.loss, dtype=config.dtype)
        grad_hidden = tr.grad_hidden_norm[:, :, 0].astype(np.float64)  # (T, L), forward direction
        flows[kind] = KindFlow(
            kind=kind,
            grad_hidden_norm=grad_hidden,
            grad_input_norm=tr.grad_input_norm.astype(np.float64),
            fits=tuple(decay_fit(grad_hidden[:, l]) for l in range(grad_hidden.shape[1])),
        )
    return FlowResult(config, flows, time.perf_counter() - start)


# ---------------------------------------------------------------- view 2: Jacobian spectrum

SPECTRUM_WORK_LIMIT = 2e9  # T·n³: about T = 5000 steps of 64×64 Jacobians, some seconds on one core


@dataclass(frozen=True)
class SpectrumResult:
    """Per-step singular values and the running product's largest singular value (layer `layer`).

    singular_values: (T, n) of J_t, largest first (J_0 is ∂s_0/∂s_{−1}, the step from the initial state).
    log10_product_norm: (T,) log₁₀ σ_max(P_s), P_s = J_{T−1} ⋯ J_{s+1} (P_{T−1} = I), computed stably.
    naive_failure_step: the step s at which the plain product in `dtype` left the representable
        range (None if it never did); naive_failure: "underflow" (every entry below the smallest
        normal number) or "overflow" (an entry inf or NaN).
    """

    kind: str
    layer: int
    dtype: str
    singular_values: np.ndarray
    log10_product_norm: np.ndarray
    naive_failure_step: int | None
    naive_failure: str | None
    seconds: float


class RunningProduct:
    """P_s = J_{T−1} ⋯ J_{s+1}, fed one Jacobian at a time from the end (J_{T−1} first).

    Tracks log₁₀ σ_max(P_s) stably by QR re-orthonormalisation: P_s = 10^c · Q · R with ‖R‖_F = 1.
    Multiplying on the right by the next Jacobian, R·J = Q′R′, so σ_max(P_s) = 10^c ‖R′‖₂; R′ is
    renormalised and c accumulated, so nothing ever under- or overflows (the ‖R′‖₂ are taken in
    batches of `chunk` steps, one batched SVD instead of one per step). A product that becomes
    exactly singular gives −inf from there on.
    Alongside, the plain product formed in `dtype` records the first s where it leaves the
    representable range: "underflow" (every entry below the smallest normal number) or
    "overflow" (an entry inf or NaN).
    """

    def __init__(self, steps: int, n: int, dtype: str = "float64", chunk: int = 256):
        self.log10_norms = np.full(steps, -np.inf)
        self.log10_norms[steps - 1] = 0.0
        self.s = steps - 1
        self.R, self.c, self.exact = torch.eye(n, dtype=torch.float64), 0.0, True
        self.plain = torch.eye(n, dtype=DTYPES[dtype])
        self.failure_step: int | None = None
        self.failure: str | None = None
        self.chunk, self._buffer = chunk, ([], [], [])

    def push(self, J: torch.Tensor) -> None:
        """Multiply by J_{s} (float64, (n, n)) to go from P_s to P_{s−1}."""
        self.s -= 1
        if self.failure is None:
            self._plain_step(J)
        if not self.exact:
            return
        _, R = torch.linalg.qr(self.R @ torch.nan_to_num(J, nan=0.0, posinf=0.0, neginf=0.0))
        scale = float(torch.linalg.matrix_norm(R))
        if not (math.isfinite(scale) and scale > 0):
            self.exact = False
            return
        self.c += math.log10(scale)
        self.R = R / scale
        for store, value in zip(self._buffer, (self.s, self.c, self.R)):
            store.append(value)
        if len(self._buffer[0]) == self.chunk:
            self._flush()

    def _plain_step(self, J: torch.Tensor) -> None:
        self.plain = self.plain @ J.to(self.plain.dtype)
        if not torch.isfinite(self.plain).all():
            self.failure_step, self.failure = self.s, "overflow"
        elif float(self.plain.abs().max()) < torch.finfo(self.plain.dtype).tiny:
            self.failure_step, self.failure = self.s, "underflow"

    def _flush(self) -> None:
        steps, scales, factors = self._buffer
        if factors:
            norms = torch.linalg.matrix_norm(torch.stack(factors), 2).numpy()
            self.log10_norms[np.array(steps)] = np.array(scales) + np.log10(norms)
        self._buffer = ([], [], [])

    def result(self) -> tuple[np.ndarray, int | None, str | None]:
        """(log₁₀ σ_max(P_s) for every s, the plain product's failure step, its kind)."""
        self._flush()
        return self.log10_norms, self.failure_step, self.failure


def _run_product(jacobians: torch.Tensor, dtype: str) -> tuple[np.ndarray, int | None, str | None]:
    product = RunningProduct(jacobians.shape[0], jacobians.shape[-1], dtype)
    for t in range(jacobians.shape[0] - 1, 0, -1):
        product.push(jacobians[t])
    return product.result()


def product_log10_norms(jacobians: torch.Tensor) -> np.ndarray:
    """log₁₀ σ_max(J_{T−1} ⋯ J_{s+1}) for s = T−1 … 0 from (T, n, n) float64 Jacobians, stably."""
    return _run_product(jacobians, "float64")[0]


def naive_product_failure(jacobians: torch.Tensor, dtype: str) -> tuple[int | None, str | None]:
    """First s where the plain product J_{T−1} ⋯ J_{s+1}, formed in `dtype`, under- or overflows."""
    return _run_product(jacobians, dtype)[1:]


def jacobian_spectrum(config: FlowConfig, kind: str, layer: int = 0, chunk: int = 256) -> SpectrumResult:
    """Singular values of every ∂s_t/∂s_{t−1} and the stable running product, for one kind.

    The Jacobians are formed `chunk` steps at a time, from the last step back, so T × n × n
    never sits in memory at once.
    """
    if not 0 <= layer < config.num_layers:
        raise ValueError(f"layer must be in 0..{config.num_layers - 1}; got {layer}")
    n = config.hidden_size * (2 if kind == "lstm" else 1)
    if config.steps * n ** 3 > SPECTRUM_WORK_LIMIT:
        raise ValueError(f"the spectrum of T={config.steps} Jacobians of size {n}×{n} is too much work "
                         f"(T·n³ > {SPECTRUM_WORK_LIMIT:.0e}); reduce the sequence length or hidden size")
    start = time.perf_counter()
    _check_trace_budget(config, kind)
    T = config.steps
    singular_values = np.empty((T, n))
    product = RunningProduct(T, n, config.dtype)
    with single_threaded():
        tr = trace(traced_model(config, kind), flow_input(config), loss=config.loss, dtype=config.dtype)
        for stop in range(T, 0, -chunk):
            first = max(0, stop - chunk)
            J = torch.as_tensor(tr.jacobians(layer, steps=slice(first, stop)))  # (stop − first, n, n)
            singular_values[first:stop] = torch.linalg.svdvals(
                torch.nan_to_num(J, nan=0.0, posinf=0.0, neginf=0.0)).numpy()
            for t in range(stop - 1, max(first, 1) - 1, -1):
                product.push(J[t - first])
    log10_product_norm, failure_step, failure = product.result()
    return SpectrumResult(
        kind=kind, layer=layer, dtype=config.dtype, singular_values=singular_values,
        log10_product_norm=log10_product_norm, naive_failure_step=failure_step, naive_failure=failure,
        seconds=time.perf_counter() - start,
    )


# ---------------------------------------------------------------- view 3: itemised gradients

ITEMISED_MAX_STEPS = 300


def itemised_gradients(config: FlowConfig, kind: str, layer: int = 0) -> np.ndarray:
    """(T, T) matrix G[t, s] = ‖dL_t/dh_s‖ for s ≤ t (NaN above the diagonal, where s > t).

    One batched trace: copy b of the input carries the loss L_b = Σ_j y_{b,j} only, so row b of
    the batch's ‖dL/dh_s‖ is ‖∂L_b/∂h_s‖. Every row comes from the same single backward pass.
    """
    T = config.steps
    if T > ITEMISED_MAX_STEPS:
        raise ValueError(f"the itemised matrix takes T ≤ {ITEMISED_MAX_STEPS}; got T={T}")
    if not 0 <= layer < config.num_layers:
        raise ValueError(f"layer must be in 0..{config.num_layers - 1}; got {layer}")
    _check_trace_budget(config, kind, batch=T)
    x = flow_input(config).expand(T, T, input_size(config))  # (B = T copies, T, I)
    diagonal = torch.arange(T)

    def per_step_losses(output: torch.Tensor) -> torch.Tensor:  # output (B, T, H)
        return output[diagonal, diagonal].sum()

    with single_threaded():
        tr = trace(traced_model(config, kind), x, loss=per_step_losses, dtype=config.dtype)
    G = tr.grad_hidden_norm[:, :, layer, 0].astype(np.float64)  # (t, s)
    return np.where(np.tril(np.ones((T, T), dtype=bool)), G, np.nan)


# ---------------------------------------------------------------- view 4: phase diagram

LOWEST_RHO, HIGHEST_RHO = 0.1, 3.0  # the spectral radii a phase diagram spans
PHASE_LENGTHS = 10  # sequence lengths in a phase diagram (fewer where rounding merges short ones)


def radius_grid(count: int) -> tuple[float, ...]:
    """`count` spectral radii evenly spaced from LOWEST_RHO to HIGHEST_RHO, rounded to 3 decimals."""
    return tuple(np.round(np.linspace(LOWEST_RHO, HIGHEST_RHO, count), 3).tolist())


def length_grid(longest: int) -> tuple[int, ...]:
    """Sequence lengths from 2 to `longest`, PHASE_LENGTHS of them evenly spaced on a log scale and
    rounded to whole steps: increasing and distinct (rounding merges some when `longest` is small)."""
    return tuple(sorted(set(np.geomspace(2, longest, PHASE_LENGTHS).round().astype(int).tolist())))


@dataclass(frozen=True)
class PhaseConfig:
    """A sweep over spectral radii ρ and sequence lengths T for one kind (init "normal")."""

    kind: str = "rnn"
    hidden_size: int = 16
    rhos: tuple[float, ...] = radius_grid(30)
    lengths: tuple[int, ...] = length_grid(500)
    input_scale: float = 0.1
    seed: int = 0

    def __post_init__(self):
        check_choice("kind", self.kind, KINDS)
        if not self.rhos or min(self.rhos) <= 0:
            raise ValueError(f"rhos must be positive spectral radii; got {self.rhos!r}")
        if not self.lengths or min(self.lengths) < 1:
            raise ValueError(f"lengths must be positive sequence lengths; got {self.lengths!r}")
        if not self.input_scale >= 0:
            raise ValueError(f"input_scale must be ≥ 0; got {self.input_scale!r}")


@dataclass(frozen=True)
class PhaseResult:
    """log10_ratio[r, k] = log₁₀(‖dL/dh_0‖ ÷ ‖dL/dh_{T−1}‖) for ρ = rhos[r], T = lengths[k].

    −inf where dL/dh_0 is exactly 0 even in float64 (every unit saturated).
    """

    config: PhaseConfig
    log10_ratio: np.ndarray
    seconds: float


@dataclass(frozen=True)
class PhaseVerdict:
    """How the radii above 1 end at the longest T of a sweep: counts of exploding (ratio > 10),
    vanishing (ratio < 1/10) and in-between radii, so a page can say what its colours show."""

    kind: str
    longest: int
    above_one: int
    exploding: int
    vanishing: int

    @property
    def in_between(self) -> int:
        return self.above_one - self.exploding - self.vanishing


def phase_verdict(result: PhaseResult) -> PhaseVerdict:
    """Classify the radii ρ > 1 by log₁₀ ratio at the sweep's longest T (−inf counts as vanishing)."""
    last = result.log10_ratio[np.asarray(result.config.rhos) > 1, int(np.argmax(result.config.lengths))]
    return PhaseVerdict(result.config.kind, max(result.config.lengths), len(last),
                        int((last > 1).sum()), int((last < -1).sum()))


def _stacked_weights(config: PhaseConfig) -> dict[str, torch.Tensor]:
    """(R, G·H, ·) float64 weights of one model per ρ (same seed, so the same shape of W_hh)."""
    models = [build_model(config.kind, INPUT_SIZE, config.hidden_size, init="normal", spectral_radius=rho,
                          seed=config.seed).double() for rho in config.rhos]
    return {name: torch.stack([getattr(m, name + "_l0").detach() for m in models])
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


def _cell_step(kind: str, w: dict[str, torch.Tensor], u_t: torch.Tensor, s_prev: torch.Tensor) -> torch.Tensor:
    """One step for R models at once: u_t (R, G·H) pre-projected input, s_prev (R, K, n) → (R, K, n)."""
    H = w["weight_hh"].shape[-1]
    h_prev = s_prev[..., :H]
    a = u_t[:, None] + torch.einsum("rkh,rgh->rkg", h_prev, w["weight_hh"]) + w["bias_hh"][:, None]
    if kind == "rnn":
        return a.tanh()
    if kind == "lstm":
        i, f, g, o = a.split(H, dim=-1)
        c = f.sigmoid() * s_prev[..., H:] + i.sigmoid() * g.tanh()
        return torch.cat([o.sigmoid() * c.tanh(), c], dim=-1)
    gh = a - u_t[:, None]
    r = (u_t[:, None, :H] + gh[..., :H]).sigmoid()
    z = (u_t[:, None, H:2 * H] + gh[..., H:2 * H]).sigmoid()
    n = (u_t[:, None, 2 * H:] + r * gh[..., 2 * H:]).tanh()
    return (1 - z) * n + z * h_prev


def phase_sweep(config: PhaseConfig) -> PhaseResult:
    """log₁₀ ‖dL/dh_0‖/‖dL/dh_{T−1}‖ over the whole (ρ, T) grid in one vectorised pass, float64.

    All R models run together in one forward pass to T_max = max(lengths). The backward pass is a
    single loop t = T_max−1 … 1 over an (R, K, n) batch of cotangents: copy k starts with
    dL/dh_{T_k−1} = 1 (L = Σ_j h_{T_k−1,j}) when t reaches T_k − 1, and every step applies one
    vector-Jacobian product to all copies at once, renormalising each and accumulating log₁₀ of the
    scale, so no ratio under- or overflows.
    """
    start = time.perf_counter()
    T_max, H = max(config.lengths), config.hidden_size
    n = 2 * H if config.kind == "lstm" else H
    R, K = len(config.rhos), len(config.lengths)
    check_budget(8 * T_max * R * n * 3, f"a phase sweep of {R} radii to T={T_max}", "sequence length or radii")
    w = _stacked_weights(config)
    x = torch.randn(T_max, INPUT_SIZE, generator=torch.Generator().manual_seed(config.seed), dtype=torch.float64)
    u = torch.einsum("ti,rgi->trg", x * config.input_scale, w["weight_ih"]) + w["bias_ih"]  # (T, R, G·H)
    with single_threaded():
        log_scale, delta = _sweep_backward(config, w, u, T_max, n, R, K)
    with np.errstate(divide="ignore"):
        head = np.log10(delta[..., :H].norm(dim=-1).numpy())
    ratio = log_scale.numpy() + head - 0.5 * math.log10(H)
    return PhaseResult(config, ratio, time.perf_counter() - start)


def _sweep_backward(config: PhaseConfig, w, u, T_max: int, n: int, R: int, K: int):
    """Run all R models to T_max, then the renormalised backward loop.

    Returns log₁₀ of each copy's accumulated scale (R, K) and the unit-norm direction of dL/ds_0 (R, K, n).
    """
    H = config.hidden_size
    states = [torch.zeros(R, 1, n, dtype=torch.float64)]  # s_{−1}, then s_0 … s_{T−1}
    with torch.no_grad():
        for t in range(T_max):
            states.append(_cell_step(config.kind, w, u[t], states[-1]))
    lengths = torch.tensor(config.lengths)
    delta = torch.zeros(R, K, n, dtype=torch.float64)
    log_scale = torch.zeros(R, K, dtype=torch.float64)
    for t in range(T_max - 1, -1, -1):
        delta[:, lengths == t + 1, :H] = 1.0
        if t == 0:
            break
        s_prev = states[t].expand(R, K, n).clone().requires_grad_(True)  # s_{t−1}
        with torch.enable_grad():
            s_t = _cell_step(config.kind, w, u[t], s_prev)
            (delta,) = torch.autograd.grad(s_t, s_prev, grad_outputs=delta)
        norm = delta.norm(dim=-1)
        safe = norm > 0
        delta = torch.where(safe[..., None], delta / norm.clamp_min(1e-300)[..., None], delta)
        log_scale = log_scale + torch.where(safe, norm.clamp_min(1e-300).log10(), torch.zeros_like(norm))
    return log_scale, delta

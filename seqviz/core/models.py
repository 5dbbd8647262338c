"""Build stock torch.nn.RNN / LSTM / GRU modules with named, seeded initialisations.

Glossary
    I   input size          H   hidden size
    L   number of layers    D   directions (1, or 2 when bidirectional)
    G   gate blocks per weight matrix: RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o)
    ρ   spectral radius: the largest |eigenvalue| of a recurrent gate block W_h·

PyTorch stacks the gate blocks of one layer and direction row-wise: `weight_hh_l0` is (G·H, H),
`weight_ih_l0` is (G·H, I) for layer 0 and (G·H, D·H) above it. Initialisations act on each
(H, ·) gate block separately, so "orthogonal" means every recurrent gate block is orthogonal.

Initialisations (`init`)
    default     PyTorch's own: U(−1/√H, 1/√H) for every weight and bias.
    xavier      Glorot-uniform input and recurrent gate blocks, zero biases.
    orthogonal  orthogonal recurrent gate blocks, Glorot-uniform input blocks, zero biases.
    identity    IRNN (Le et al., 2015): identity recurrent gate blocks, N(0, 0.001²) input
                blocks, zero biases.
    normal      N(0, 1/H) recurrent gate blocks rescaled to spectral radius ρ (1.0 unless
                `spectral_radius` is given), Glorot-uniform input blocks, zero biases.

`spectral_radius`, when given, rescales every recurrent gate block to that ρ after any init.
`forget_bias` (LSTM only) makes the forget gate's total bias b_if + b_hf equal to it.
"""
from __future__ import annotations

import torch
from torch import nn

from seqviz.core import seeding
from seqviz.core.checks import check_choice, check_positive
from seqviz.core.seeding import seeded

KINDS = ("rnn", "lstm", "gru")
KIND_LABELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
INITS = ("default", "xavier", "orthogonal", "identity", "normal")
NONLINEARITIES = ("tanh", "relu")
GATE_NAMES = {"rnn": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
GATE_BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}
_MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def kind_of(module: nn.Module) -> str:
    """Return "rnn", "lstm" or "gru" for a stock recurrent module; TypeError for anything else."""
    for kind, cls in _MODULES.items():
        if type(module) is cls:
            return kind
    raise TypeError(
        f"expected a torch.nn.RNN, nn.LSTM or nn.GRU module; got {type(module).__name__}"
    )


def build_model(
    kind: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    nonlinearity: str = "tanh",
    init: str = "default",
    forget_bias: float | None = None,
    spectral_radius: float | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """Return a stock nn.RNN, nn.LSTM or nn.GRU (sequence-first), initialised by name.

    The same arguments give the same weights on every device and in every thread: weights are
    drawn on the CPU from generators of its own seeded with `seed` (PyTorch's default draws, then
    the named init's), never from the global RNG, then moved.
    """
    check_choice("kind", kind, KINDS)
    check_choice("init", init, INITS)
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        check_positive(name, value)
    if kind != "rnn" and nonlinearity != "tanh":
        raise ValueError(f"nonlinearity applies to kind 'rnn' only; {kind} has fixed gate functions")
    if forget_bias is not None and kind != "lstm":
        raise ValueError(f"forget_bias applies to kind 'lstm' only; got kind {kind!r}")
    if spectral_radius is not None and not spectral_radius > 0:
        raise ValueError(f"spectral_radius must be > 0; got {spectral_radius!r}")
    options = {"nonlinearity": nonlinearity} if kind == "rnn" else {}
    module = seeded(_MODULES[kind], input_size, hidden_size, num_layers, bidirectional=bidirectional,
                    generator=seeding.generator(seed), **options)
    with torch.no_grad():
        _initialise(module, kind, init, spectral_radius, seeding.generator(seed))
        if forget_bias is not None:
            _set_forget_bias(module, forget_bias)
    return module.to(device)


def _weight_blocks(module: nn.Module, kind: str, prefix: str):
    """Yield every (H, ·) gate block view of the weights named `prefix*` (e.g. weight_hh)."""
    H = module.hidden_size
    for name, param in module.named_parameters():
        if name.startswith(prefix):
            for k in range(GATE_BLOCKS[kind]):
                yield param[k * H:(k + 1) * H]


def _initialise(module, kind, init, spectral_radius, generator) -> None:
    if init != "default":
        for block in _weight_blocks(module, kind, "weight_ih"):
            if init == "identity":
                block.normal_(0.0, 1e-3, generator=generator)
            else:
                nn.init.xavier_uniform_(block, generator=generator)
        for name, param in module.named_parameters():
            if name.startswith("bias"):
                param.zero_()
        for block in _weight_blocks(module, kind, "weight_hh"):
            _init_recurrent_block(block, init, generator)
    rho = spectral_radius if spectral_radius is not None else (1.0 if init == "normal" else None)
    if rho is not None:
        for block in _weight_blocks(module, kind, "weight_hh"):
            block.mul_(rho / spectral_radius_of(block))


def _init_recurrent_block(block: torch.Tensor, init: str, generator: torch.Generator) -> None:
    if init == "xavier":
        nn.init.xavier_uniform_(block, generator=generator)
    elif init == "orthogonal":
        nn.init.orthogonal_(block, generator=generator)
    elif init == "identity":
        block.copy_(torch.eye(block.shape[0]))
    else:  # normal
        block.normal_(0.0, block.shape[0] ** -0.5, generator=generator)


def spectral_radius_of(matrix: torch.Tensor) -> float:
    """Largest |eigenvalue| of a square matrix (computed in float64)."""
    return float(torch.linalg.eigvals(matrix.detach().double().cpu()).abs().max())


def _set_forget_bias(module: nn.Module, forget_bias: float) -> None:
    H = module.hidden_size
    for name, param in module.named_parameters():
        if name.startswith("bias_ih"):
            param[H:2 * H] = forget_bias
        elif name.startswith("bias_hh"):
            param[H:2 * H] = 0.0

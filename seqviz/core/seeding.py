"""Seeded modules without the global random number generator.

Streamlit runs every session in a thread of one process, so `torch.manual_seed` in one session
would change the weights another session is drawing. Every random number in seqviz comes from a
local `torch.Generator` made from the visitor's seed; modules are built on the meta device (which
draws nothing) and then initialised here, in the order and with the distributions PyTorch's own
`reset_parameters` uses, so a seed gives the weights `torch.manual_seed(seed)` gave before.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import init


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with `seed`: the stream `torch.manual_seed(seed)` starts."""
    return torch.Generator().manual_seed(seed)


def seeded(cls: type[nn.Module], *args, generator: torch.Generator, **kwargs) -> nn.Module:
    """`cls(*args, **kwargs)` on the CPU, initialised as PyTorch does but drawing from `generator`.

    `cls` is one of the stock layers `reset_` knows; the global generator is not touched.
    """
    return reset_(blank(cls, *args, **kwargs), generator)


def blank(cls: type[nn.Module], *args, device: str | torch.device = "cpu", **kwargs) -> nn.Module:
    """`cls(*args, **kwargs)` built on the meta device (no random draws), its values left unset.

    `nn.utils.skip_init` does this for modules whose signature names `device`; nn.RNN's does not.
    """
    return cls(*args, device="meta", **kwargs).to_empty(device=device)


@torch.no_grad()
def reset_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """PyTorch's default initialisation of a stock layer, drawn from `generator`; in place.

    TypeError for a layer whose initialisation is not reproduced here (it would stay uninitialised).
    """
    if isinstance(module, (nn.Linear, nn.Conv1d)):
        _reset_fan_in(module, generator)
    elif isinstance(module, nn.Embedding):
        module.weight.normal_(generator=generator)
        if module.padding_idx is not None:
            module.weight[module.padding_idx].fill_(0)
    elif isinstance(module, nn.LayerNorm):
        if module.elementwise_affine:
            module.weight.fill_(1.0)
            if module.bias is not None:
                module.bias.zero_()
    elif isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
        bound = 1.0 / math.sqrt(module.hidden_size)
        for param in module.parameters():
            param.uniform_(-bound, bound, generator=generator)
    else:
        raise TypeError(f"no seeded initialisation for {type(module).__name__}")
    return module


def _reset_fan_in(module: nn.Linear | nn.Conv1d, generator: torch.Generator) -> None:
    """U(−1/√fan_in, 1/√fan_in) for weight and bias, as Linear and Conv layers draw them."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        module.bias.uniform_(-bound, bound, generator=generator)

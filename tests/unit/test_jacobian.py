"""Closed-form step Jacobians equal autograd Jacobians of PyTorch's own cells."""
import numpy as np
import pytest
import torch
from torch import nn
from torch.autograd.functional import jacobian

import seqviz


def autograd_jacobians(module, tr, layer_input, direction):
    """Jacobian of one step of nn.*Cell w.r.t. the previous state, at every step of the trace."""
    kind = tr.kind
    options = {"nonlinearity": module.nonlinearity} if kind == "rnn" else {}
    cell = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[kind](
        layer_input.shape[-1], module.hidden_size, dtype=torch.float64, **options)
    suffix = "_l0" + ("_reverse" if direction else "")
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(module, name + suffix))
    T, H = tr.steps, module.hidden_size
    out = []
    for t in range(T):
        prev = t - 1 if direction == 0 else t + 1
        h_prev = torch.zeros(H, dtype=torch.float64) if not 0 <= prev < T else torch.tensor(tr.hidden[prev, 0, direction])
        x = layer_input[t]
        if kind == "lstm":
            c_prev = torch.zeros(H, dtype=torch.float64) if not 0 <= prev < T else torch.tensor(tr.cell[prev, 0, direction])
            step = lambda s: torch.cat(cell(x, (s[:H], s[H:])))
            out.append(jacobian(step, torch.cat([h_prev, c_prev])))
        else:
            out.append(jacobian(lambda h: cell(x, h), h_prev))
    return torch.stack(out).numpy()


@pytest.mark.parametrize("kind, nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
@pytest.mark.parametrize("direction", [0, 1])
def test_step_jacobians_equal_autograd(kind, nonlinearity, direction):
    module = seqviz.build_model(kind, 3, 5, bidirectional=True, nonlinearity=nonlinearity, seed=1).double()
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    tr = seqviz.trace(module, x)
    np.testing.assert_allclose(tr.jacobians(0, direction), autograd_jacobians(module, tr, x, direction), atol=1e-12)


def test_singular_values_and_spectral_norm_equal_svdvals_of_autograd_jacobians():
    module = seqviz.build_model("lstm", 3, 4, seed=2).double()
    x = torch.randn(7, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    tr = seqviz.trace(module, x)
    expected = torch.linalg.svdvals(torch.as_tensor(autograd_jacobians(module, tr, x, 0))).numpy()
    np.testing.assert_allclose(tr.jacobian_singular_values(), expected, atol=1e-12)
    np.testing.assert_allclose(tr.jacobian_norm(), expected[:, 0], atol=1e-12)
    assert tr.jacobian_singular_values().shape == (7, 8)


def test_jacobians_of_an_upper_layer_use_that_layers_weights():
    module = seqviz.build_model("gru", 3, 4, num_layers=2, seed=3).double()
    tr = seqviz.trace(module, torch.randn(5, 3, dtype=torch.float64))
    upper = nn.GRU(4, 4).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(upper, name + "_l0").copy_(getattr(module, name + "_l1"))
    upper_trace = seqviz.trace(upper, tr.hidden[:, 0, 0])  # a read-only trace array is valid input
    np.testing.assert_allclose(tr.jacobians(layer=1), upper_trace.jacobians(), atol=1e-12)


def test_steps_selects_a_subset():
    tr = seqviz.trace(seqviz.build_model("rnn", 2, 3), torch.randn(10, 2))
    np.testing.assert_allclose(tr.jacobians(steps=slice(2, 8, 3)), tr.jacobians()[2:8:3])


def test_bad_layer_is_rejected():
    tr = seqviz.trace(seqviz.build_model("rnn", 2, 3), torch.randn(4, 2))
    with pytest.raises(ValueError, match="layer must be in 0..0"):
        tr.jacobians(layer=1)

"""build_model: stock modules, named initialisations that do what they say, seeded and validated."""
import numpy as np
import pytest
import torch
from torch import nn

import seqviz
from seqviz.core.models import spectral_radius_of


def recurrent_blocks(module, gate_blocks):
    H = module.hidden_size
    for name, p in module.named_parameters():
        if name.startswith("weight_hh"):
            for k in range(gate_blocks):
                yield p.detach()[k * H:(k + 1) * H]


@pytest.mark.parametrize("kind, cls", [("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)])
def test_build_model_returns_the_stock_module(kind, cls):
    module = seqviz.build_model(kind, 3, 5, num_layers=2, bidirectional=True)
    assert type(module) is cls
    assert (module.input_size, module.hidden_size, module.num_layers, module.bidirectional) == (3, 5, 2, True)


def test_same_seed_same_weights_other_seed_other_weights():
    a = seqviz.build_model("lstm", 3, 5, seed=4, init="orthogonal")
    b = seqviz.build_model("lstm", 3, 5, seed=4, init="orthogonal")
    c = seqviz.build_model("lstm", 3, 5, seed=5, init="orthogonal")
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.weight_hh_l0, c.weight_hh_l0)


def test_building_does_not_touch_the_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    seqviz.build_model("gru", 3, 5, init="normal", seed=9)
    assert torch.equal(torch.rand(3), expected)


def test_default_init_is_pytorchs_own_uniform():
    H = 16
    module = seqviz.build_model("lstm", 3, H, init="default")
    bound = 1 / H ** 0.5
    for p in module.parameters():
        assert p.abs().max() <= bound


@pytest.mark.parametrize("kind, blocks", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_orthogonal_init_makes_every_recurrent_gate_block_orthogonal(kind, blocks):
    module = seqviz.build_model(kind, 3, 8, num_layers=2, init="orthogonal")
    for W in recurrent_blocks(module, blocks):
        np.testing.assert_allclose((W.T @ W).numpy(), np.eye(8), atol=1e-5)


@pytest.mark.parametrize("rho", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("kind, blocks", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_normal_init_has_the_requested_spectral_radius(kind, blocks, rho):
    module = seqviz.build_model(kind, 3, 12, init="normal", spectral_radius=rho, seed=2)
    for W in recurrent_blocks(module, blocks):
        eigenvalues = np.linalg.eigvals(W.double().numpy())
        assert np.abs(eigenvalues).max() == pytest.approx(rho, rel=1e-5)


def test_normal_init_defaults_to_spectral_radius_one():
    module = seqviz.build_model("rnn", 3, 12, init="normal")
    assert spectral_radius_of(module.weight_hh_l0) == pytest.approx(1.0, rel=1e-5)


def test_identity_init_is_irnn():
    module = seqviz.build_model("rnn", 3, 6, init="identity", nonlinearity="relu")
    assert torch.equal(module.weight_hh_l0, torch.eye(6))
    assert module.bias_ih_l0.abs().max() == 0 and module.bias_hh_l0.abs().max() == 0
    assert module.weight_ih_l0.std() < 0.01


def test_xavier_init_respects_glorot_bound_and_zero_biases():
    module = seqviz.build_model("gru", 10, 6, init="xavier")
    bound = (6 / (6 + 10)) ** 0.5
    assert module.weight_ih_l0.abs().max() <= bound
    assert module.bias_ih_l0.abs().max() == 0


def test_forget_bias_sets_the_total_forget_gate_bias():
    module = seqviz.build_model("lstm", 3, 4, num_layers=2, bidirectional=True, forget_bias=1.0)
    for suffix in ("_l0", "_l0_reverse", "_l1", "_l1_reverse"):
        total = getattr(module, "bias_ih" + suffix) + getattr(module, "bias_hh" + suffix)
        np.testing.assert_allclose(total[4:8].detach().numpy(), 1.0)


def test_forget_bias_is_seen_by_the_trace():
    module = seqviz.build_model("lstm", 2, 4, init="orthogonal", forget_bias=3.0)
    tr = seqviz.trace(module, torch.zeros(3, 2))
    np.testing.assert_allclose(tr.gates["f"][0], 1 / (1 + np.exp(-3.0)), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "transformer"}, "kind must be one of rnn, lstm, gru; got 'transformer'"),
        ({"init": "orthogonl"}, "init must be one of default, xavier, orthogonal, identity, normal; got 'orthogonl'"),
        ({"hidden_size": 0}, "hidden_size must be a positive integer"),
        ({"input_size": -1}, "input_size must be a positive integer"),
        ({"num_layers": 0}, "num_layers must be a positive integer"),
        ({"nonlinearity": "sigmoid"}, "nonlinearity must be one of tanh, relu"),
        ({"kind": "gru", "forget_bias": 1.0}, "forget_bias applies to kind 'lstm' only"),
        ({"kind": "lstm", "nonlinearity": "relu"}, "nonlinearity applies to kind 'rnn' only"),
        ({"spectral_radius": 0.0}, "spectral_radius must be > 0"),
    ],
)
def test_bad_arguments_name_the_problem_and_the_accepted_values(kwargs, message):
    args = {"kind": "rnn", "input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        seqviz.build_model(**args)


def test_unavailable_device_is_reported_and_falls_back_to_cpu():
    resolved = seqviz.resolve_device("cuda")
    if torch.cuda.is_available():
        assert resolved.name == "cuda" and resolved.message is None
    else:
        assert resolved.name == "cpu" and "not available" in resolved.message


def test_auto_device_picks_something_that_exists():
    assert seqviz.resolve_device("auto").name in ("cpu", "cuda", "mps")


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda, mps; got 'tpu'"):
        seqviz.resolve_device("tpu")

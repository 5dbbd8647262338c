"""seqviz.trace agrees with PyTorch's own modules and a naive step-by-step autograd reference."""
import itertools

import numpy as np
import pytest
import torch
from torch import nn

import seqviz
from tests.unit.reference import naive_unroll

CASES = list(itertools.product(("rnn", "lstm", "gru"), (1, 2, 3), (False, True)))


def make(kind, layers=1, bidirectional=False, hidden=6, inputs=4, seed=3, **kw):
    return seqviz.build_model(kind, inputs, hidden, layers, bidirectional, seed=seed, **kw)


def sequence(T=9, inputs=4, seed=0, dtype=torch.float32):
    return torch.randn(T, inputs, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("kind,layers,bidirectional", CASES)
def test_states_and_gradients_match_naive_reference_in_float64(kind, layers, bidirectional):
    module = make(kind, layers, bidirectional).double()
    x = sequence(dtype=torch.float64)
    tr = seqviz.trace(module, x, loss="all")
    ref = naive_unroll(module, x, loss="all")
    np.testing.assert_allclose(tr.hidden, ref["hidden"], atol=1e-12)
    if kind == "lstm":
        np.testing.assert_allclose(tr.cell, ref["cell"], atol=1e-12)
    np.testing.assert_allclose(tr.grad_hidden_norm, ref["grad_hidden_norm"], rtol=1e-10)
    np.testing.assert_allclose(tr.grad_input_norm, ref["grad_input_norm"], rtol=1e-10)


@pytest.mark.parametrize("kind,layers,bidirectional", CASES)
def test_float32_trace_matches_the_module_to_1e5_and_gradients_to_1e4(kind, layers, bidirectional):
    module = make(kind, layers, bidirectional)
    x = sequence(T=30)
    tr = seqviz.trace(module, x, loss="last")
    out, state = module(x)
    np.testing.assert_allclose(tr.output, out.detach().numpy(), atol=1e-5)
    h_n = (state[0] if kind == "lstm" else state).detach().numpy().reshape(layers, 1 + bidirectional, -1)
    last = np.stack([tr.hidden[-1, :, 0], tr.hidden[0, :, -1]], axis=1) if bidirectional else tr.hidden[-1]
    np.testing.assert_allclose(last, h_n, atol=1e-5)
    if kind == "lstm":
        c_n = state[1].detach().numpy().reshape(layers, 1 + bidirectional, -1)
        c_last = np.stack([tr.cell[-1, :, 0], tr.cell[0, :, -1]], axis=1) if bidirectional else tr.cell[-1]
        np.testing.assert_allclose(c_last, c_n, atol=1e-5)
    ref = naive_unroll(module.double(), x.double(), loss="last")
    np.testing.assert_allclose(tr.grad_hidden_norm, ref["grad_hidden_norm"], rtol=1e-4, atol=1e-30)


def test_lstm_gates_reproduce_cell_and_hidden_updates():
    module = make("lstm", 2, True)
    tr = seqviz.trace(module, sequence(T=12), dtype="float64")
    i, f, g, o = (tr.gates[n] for n in "ifgo")
    c_prev_fwd = np.concatenate([np.zeros_like(tr.cell[:1, :, 0]), tr.cell[:-1, :, 0]])
    np.testing.assert_allclose(tr.cell[:, :, 0], f[:, :, 0] * c_prev_fwd + i[:, :, 0] * g[:, :, 0], atol=1e-12)
    c_prev_bwd = np.concatenate([tr.cell[1:, :, 1], np.zeros_like(tr.cell[:1, :, 1])])
    np.testing.assert_allclose(tr.cell[:, :, 1], f[:, :, 1] * c_prev_bwd + i[:, :, 1] * g[:, :, 1], atol=1e-12)
    np.testing.assert_allclose(tr.hidden, o * np.tanh(tr.cell), atol=1e-12)


def test_gru_gates_follow_pytorch_convention_z_keeps_the_old_state():
    module = make("gru", 1, False)
    tr = seqviz.trace(module, sequence(T=10), dtype="float64")
    h = tr.hidden[:, 0, 0]
    h_prev = np.concatenate([np.zeros_like(h[:1]), h[:-1]])
    z, n = tr.gates["z"][:, 0, 0], tr.gates["n"][:, 0, 0]
    np.testing.assert_allclose(h, (1 - z) * n + z * h_prev, atol=1e-12)


def test_gru_gate_values_equal_a_hand_computation_of_one_step():
    module = make("gru", 1, False, hidden=3, inputs=2).double()
    x = sequence(T=1, inputs=2, dtype=torch.float64)
    tr = seqviz.trace(module, x)
    W_ir, W_iz, W_in = module.weight_ih_l0.detach().split(3)
    b_ir, b_iz, b_in = module.bias_ih_l0.detach().split(3)
    b_hr, b_hz, b_hn = module.bias_hh_l0.detach().split(3)
    r = torch.sigmoid(W_ir @ x[0] + b_ir + b_hr)
    z = torch.sigmoid(W_iz @ x[0] + b_iz + b_hz)
    n = torch.tanh(W_in @ x[0] + b_in + r * b_hn)
    for name, value in (("r", r), ("z", z), ("n", n)):
        np.testing.assert_allclose(tr.gates[name][0, 0, 0], value.numpy(), atol=1e-12)


def test_batch_first_module_and_batched_input_give_per_sequence_traces():
    module = seqviz.build_model("lstm", 4, 5, 2, True, seed=1)
    batch_first = nn.LSTM(4, 5, 2, bidirectional=True, batch_first=True)
    batch_first.load_state_dict(module.state_dict())
    xb = torch.randn(3, 8, 4, generator=torch.Generator().manual_seed(2))
    tb = seqviz.trace(batch_first, xb, loss="all")
    assert tb.hidden.shape == (3, 8, 2, 2, 5) and tb.grad_hidden_norm.shape == (3, 8, 2, 2)
    assert tb.grad_input_norm.shape == (3, 8)
    out, _ = batch_first(xb)
    np.testing.assert_allclose(tb.output, out.detach().numpy(), atol=1e-5)
    for b in range(3):
        single = seqviz.trace(module, xb[b], loss="all")
        np.testing.assert_allclose(tb.hidden[b], single.hidden, atol=1e-6)
        np.testing.assert_allclose(tb.grad_hidden_norm[b], single.grad_hidden_norm, rtol=1e-5)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_modules_without_bias_are_traced_exactly(kind):
    module = getattr(nn, kind.upper())(3, 4, 2, bias=False).double()
    x = sequence(T=6, inputs=3, dtype=torch.float64)
    tr = seqviz.trace(module, x, loss="all")
    ref = naive_unroll(module, x, loss="all")
    np.testing.assert_allclose(tr.hidden, ref["hidden"], atol=1e-12)
    np.testing.assert_allclose(tr.grad_hidden_norm, ref["grad_hidden_norm"], rtol=1e-10)


def test_relu_rnn_is_traced_exactly():
    module = make("rnn", 2, True, nonlinearity="relu").double()
    x = sequence(dtype=torch.float64)
    tr = seqviz.trace(module, x, loss="all")
    ref = naive_unroll(module, x, loss="all")
    np.testing.assert_allclose(tr.grad_hidden_norm, ref["grad_hidden_norm"], rtol=1e-10)


def test_initial_state_is_used():
    module = make("lstm", 2, False).double()
    x = sequence(T=5, dtype=torch.float64)
    h0 = torch.randn(2, 6, dtype=torch.float64)
    c0 = torch.randn(2, 6, dtype=torch.float64)
    tr = seqviz.trace(module, x, h0=(h0, c0))
    out, _ = module(x, (h0, c0))
    np.testing.assert_allclose(tr.output, out.detach().numpy(), atol=1e-12)


def test_callable_loss_is_differentiated():
    module = make("gru").double()
    x = sequence(T=5, dtype=torch.float64)
    tr = seqviz.trace(module, x, loss=lambda out: (out[2] ** 2).sum())
    assert tr.grad_hidden_norm[3:, 0, 0].max() == 0
    assert tr.grad_hidden_norm[2, 0, 0] > 0
    assert tr.loss_value == pytest.approx(float((module(x)[0][2] ** 2).sum().detach()))


def test_trace_leaves_the_module_untouched():
    module = make("lstm", 2, True)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    seqviz.trace(module, sequence(), dtype="float64")
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())
    assert all(p.grad is None for p in module.parameters())
    assert next(module.parameters()).dtype == torch.float32


def test_trace_arrays_are_read_only():
    tr = seqviz.trace(make("lstm"), sequence())
    with pytest.raises(ValueError):
        tr.hidden[0, 0, 0, 0] = 1.0


def test_a_tiny_float32_gradient_keeps_its_norm_and_only_a_zero_one_counts_as_underflow():
    """At T = 100 the float32 dL/dh_0 is ~7e-31: float32's own .norm() would give 0, the trace gives the
    float64 value to float32 precision. At T = 200 it is ~1e-63 in float64, below anything float32 holds:
    there the float32 gradient is exactly 0 and marked underflowed, and float64 still shows it."""
    torch.manual_seed(0)
    module = nn.RNN(32, 64)
    x = torch.randn(200, 32)
    t32, t64 = (seqviz.trace(module, x[:100], dtype=d) for d in ("float32", "float64"))
    assert t32.grad_hidden_norm[0, 0, 0] == pytest.approx(t64.grad_hidden_norm[0, 0, 0], rel=1e-4)
    assert 0 < t32.grad_hidden_norm[0, 0, 0] < 1e-29 and not t32.grad_underflow.any()
    t32, t64 = (seqviz.trace(module, x, dtype=d) for d in ("float32", "float64"))
    assert t32.grad_hidden_norm[0, 0, 0] == 0 and t32.grad_underflow[0, 0, 0]
    assert 0 < t64.grad_hidden_norm[0, 0, 0] < 1e-60 and not t64.grad_underflow.any()


def test_exploding_configuration_records_first_nonfinite_step_without_crashing():
    module = seqviz.build_model("rnn", 2, 8, nonlinearity="relu", init="normal", spectral_radius=50.0, seed=0)
    x = torch.ones(400, 2)
    tr = seqviz.trace(module, x)
    assert tr.first_nonfinite_step is not None
    assert np.isfinite(tr.hidden[: tr.first_nonfinite_step]).all()
    assert not np.isfinite(tr.hidden[tr.first_nonfinite_step]).all()


def test_finite_trace_reports_no_nonfinite_step():
    assert seqviz.trace(make("gru"), sequence()).first_nonfinite_step is None


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.zeros(5), "shape"),
        (torch.zeros(5, 3), "input_size"),
        (torch.zeros(0, 4), "at least one step"),
        (torch.zeros(1, 2, 3, 4), "shape"),
    ],
)
def test_bad_input_shapes_are_rejected_with_a_clear_message(x, message):
    with pytest.raises(ValueError, match=message):
        seqviz.trace(make("rnn"), x)


def test_non_recurrent_module_is_rejected():
    with pytest.raises(TypeError, match="nn.RNN, nn.LSTM or nn.GRU"):
        seqviz.trace(nn.Linear(3, 3), torch.zeros(4, 3))


def test_lstm_with_projection_is_refused():
    with pytest.raises(ValueError, match="proj_size"):
        seqviz.trace(nn.LSTM(3, 4, proj_size=2), torch.zeros(4, 3))


@pytest.mark.parametrize("kwargs, message", [({"loss": "first"}, "loss must be one of"),
                                             ({"dtype": "float16"}, "dtype must be one of"),
                                             ({"h0": torch.zeros(3, 6)}, "h0 must have shape"),
                                             ({"loss": lambda out: out}, "scalar")])
def test_bad_options_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        seqviz.trace(make("gru"), sequence(), **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_trace_on_cuda_matches_cpu():
    module = make("lstm", 2, True)
    x = sequence()
    cpu = seqviz.trace(module, x)
    gpu = seqviz.trace(make("lstm", 2, True, device="cuda"), x.cuda())
    np.testing.assert_allclose(gpu.hidden, cpu.hidden, atol=1e-5)
    np.testing.assert_allclose(gpu.grad_hidden_norm, cpu.grad_hidden_norm, rtol=1e-4)

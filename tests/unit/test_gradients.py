"""seqviz.gradients.flow against independent references: stepwise stock modules, autograd Jacobians,
explicit matrix products and seqviz.trace itself."""
import math

import numpy as np
import pytest
import torch

from seqviz import build_model, trace
from seqviz.gradients.flow import (
    HANDBOOK_EXPERIMENT,
    INPUT_SIZE,
    FlowConfig,
    PhaseConfig,
    decay_fit,
    flow_input,
    flow_model,
    gradient_through_time,
    is_handbook_experiment,
    itemised_gradients,
    jacobian_spectrum,
    length_grid,
    naive_product_failure,
    PhaseResult,
    phase_sweep,
    phase_verdict,
    product_log10_norms,
    radius_grid,
)

KINDS = ("rnn", "lstm", "gru")


def stepwise_hidden_gradients(module, x, loss_steps) -> torch.Tensor:
    """(T, T) [t, s] = ‖dL_t/dh_s‖ by stepping the stock module one step at a time, one backward per t.

    L_t = Σ_j h_{t,j} (one layer). The slow, obvious reference for batched and fused code.
    """
    T = x.shape[0]
    out = torch.zeros(T, T, dtype=torch.float64)
    for t in loss_steps:
        state, hs = None, []
        for s in range(t + 1):
            y, state = module(x[s:s + 1], state)
            h = state[0] if isinstance(state, tuple) else state
            h.retain_grad()
            hs.append(h)
        hs[-1].sum().backward()
        for s, h in enumerate(hs):
            out[t, s] = h.grad.norm()
    return out


def small_config(**changes) -> FlowConfig:
    return FlowConfig(**{**dict(steps=12, hidden_size=5, init="orthogonal", dtype="float64", seed=3), **changes})


def test_decay_fit_recovers_the_slope_and_ignores_zero_and_infinite_steps():
    k = np.arange(40)[::-1].astype(float)  # steps back for t = 0 … 39
    norms = 10.0 ** (1.0 - 0.3 * k)
    norms[:3] = 0.0
    norms[5] = np.inf
    fit = decay_fit(norms)
    assert fit.slope == pytest.approx(-0.3)
    assert fit.intercept == pytest.approx(1.0)
    assert fit.points == 36
    assert fit.effective_memory == pytest.approx(20.0)
    assert fit.lyapunov == pytest.approx(-0.3 * math.log(10))


def test_effective_memory_is_infinite_when_the_norm_does_not_decay():
    assert decay_fit(10.0 ** (0.1 * np.arange(10)[::-1])).effective_memory == math.inf


def test_decay_fit_needs_two_usable_steps():
    assert math.isnan(decay_fit(np.array([0.0, 1.0, 0.0])).slope)


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_through_time_matches_a_stepwise_stock_module(kind):
    config = small_config()
    module = flow_model(config, kind).double()
    x = flow_input(config)
    reference = stepwise_hidden_gradients(module, x, [config.steps - 1])[-1]
    result = gradient_through_time(config, kinds=(kind,))
    np.testing.assert_allclose(result.kinds[kind].grad_hidden_norm[:, 0], reference.numpy(), rtol=1e-9)


def test_every_kind_sees_the_same_input_and_seed():
    config = small_config()
    assert torch.equal(flow_input(config), flow_input(config))
    a, b = flow_model(config, "rnn"), flow_model(config, "rnn")
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_seed_004_float32_rnn_gradient_at_x0_is_tiny_not_zero_though_float32_norm_says_zero():
    """PyTorch's own float32 gradient reaching x_0 has every component nonzero; only float32's sum of
    squares in .norm() underflows. The trace reports the vector's true norm and no underflow."""
    rnn = gradient_through_time(HANDBOOK_EXPERIMENT).kinds["rnn"]
    module = flow_model(HANDBOOK_EXPERIMENT, "rnn")  # the handbook's code, verbatim in spirit
    x = flow_input(HANDBOOK_EXPERIMENT).float()[None].requires_grad_(True)
    module.batch_first = True
    output, _ = module(x, torch.zeros(1, 1, 64))
    output[0, -1].sum().backward()
    g = x.grad[0, 0]
    assert float(g.norm()) == 0.0 and bool((g != 0).all())
    assert rnn.grad_input_norm[0] == pytest.approx(float(g.double().norm()), rel=1e-4)
    assert 1e30 < rnn.input_ratio() < 1e34 and not rnn.underflow.any()


def test_seed_004_lstm_ratio_is_astronomical_not_400000():
    lstm = gradient_through_time(HANDBOOK_EXPERIMENT).kinds["lstm"]
    assert 1e18 < lstm.input_ratio() < 1e25


def test_the_handbook_experiment_is_recognised_whatever_its_seed_device_and_precision():
    assert is_handbook_experiment(FlowConfig(seed=7, dtype="float64", nonlinearity="relu"))
    assert not is_handbook_experiment(FlowConfig(steps=99)) and not is_handbook_experiment(FlowConfig(loss="all"))


def test_float32_underflow_is_flagged_where_float32_gradients_reach_zero_and_never_in_float64():
    at_200 = FlowConfig(steps=200)  # the RNN's dL/dh_t falls below float32's smallest number, ~1e-45
    assert gradient_through_time(at_200, ("rnn",)).float32_underflow(0)
    assert not gradient_through_time(FlowConfig(steps=200, dtype="float64"), ("rnn",)).float32_underflow(0)
    assert not gradient_through_time(FlowConfig(steps=20), ("rnn",)).float32_underflow(0)


def test_seed_004_float64_rnn_gradient_at_x0_is_tiny_but_nonzero():
    in_float64 = FlowConfig(**{**HANDBOOK_EXPERIMENT.__dict__, "dtype": "float64"})
    rnn = gradient_through_time(in_float64, kinds=("rnn",)).kinds["rnn"]
    assert 0 < rnn.grad_input_norm[0] < 1e-20
    assert not rnn.underflow.any()


def test_exploding_relu_rnn_marks_overflowed_steps():
    config = FlowConfig(steps=400, hidden_size=8, init="normal", spectral_radius=3.0, nonlinearity="relu")
    rnn = gradient_through_time(config, kinds=("rnn",)).kinds["rnn"]
    assert rnn.nonfinite.any()


def one_step_jacobian(module, kind, x_t, state) -> torch.Tensor:
    """∂s_t/∂s_{t−1} by torch.autograd.functional.jacobian through the stock module."""
    H = module.hidden_size

    def step(s):
        prev = (s[:H].view(1, H), s[H:].view(1, H)) if kind == "lstm" else s.view(1, H)
        _, new = module(x_t.view(1, -1), prev)
        return torch.cat([new[0].view(-1), new[1].view(-1)]) if kind == "lstm" else new.view(-1)

    return torch.autograd.functional.jacobian(step, state)


@pytest.mark.parametrize("kind", KINDS)
def test_jacobian_singular_values_match_svdvals_of_an_autograd_jacobian(kind):
    config = small_config()
    module = flow_model(config, kind).double()
    x = flow_input(config)
    spectrum = jacobian_spectrum(config, kind)
    state = torch.zeros(2 * config.hidden_size if kind == "lstm" else config.hidden_size, dtype=torch.float64)
    for t in range(config.steps):
        J = one_step_jacobian(module, kind, x[t], state)
        np.testing.assert_allclose(spectrum.singular_values[t], torch.linalg.svdvals(J).numpy(), atol=1e-10)
        with torch.no_grad():
            state = torch.as_tensor(_next_state(module, kind, x[t], state))


def _next_state(module, kind, x_t, state):
    H = module.hidden_size
    prev = (state[:H].view(1, H), state[H:].view(1, H)) if kind == "lstm" else state.view(1, H)
    _, new = module(x_t.view(1, -1), prev)
    return torch.cat([new[0].view(-1), new[1].view(-1)]) if kind == "lstm" else new.view(-1)


def test_running_product_norm_matches_the_explicit_product():
    generator = torch.Generator().manual_seed(0)
    J = torch.randn(15, 6, 6, generator=generator, dtype=torch.float64) * 0.5
    logs = product_log10_norms(J)
    for s in range(15):
        P = torch.eye(6, dtype=torch.float64)
        for t in range(14, s, -1):
            P = P @ J[t]
        assert logs[s] == pytest.approx(math.log10(float(torch.linalg.matrix_norm(P, 2))), abs=1e-10)


def test_running_product_norm_stays_finite_where_a_plain_product_underflows():
    J = torch.eye(3, dtype=torch.float64).expand(500, 3, 3) * 1e-2
    logs = product_log10_norms(J)
    assert logs[0] == pytest.approx(-2.0 * 499)
    assert np.isfinite(logs).all()


@pytest.mark.parametrize("scale, expected", [(1e-2, "underflow"), (1e2, "overflow")])
def test_plain_float32_product_failure_step_is_where_float32_runs_out(scale, expected):
    T = 60
    J = torch.eye(3, dtype=torch.float64).expand(T, 3, 3) * scale
    step, kind = naive_product_failure(J, "float32")
    assert kind == expected
    factors = T - 1 - step  # factors J_{T−1} … J_{step+1} multiplied so far
    tiny, huge = torch.finfo(torch.float32).tiny, torch.finfo(torch.float32).max
    assert (scale ** factors < tiny) if expected == "underflow" else (scale ** factors > huge)
    assert (scale ** (factors - 1) >= tiny) if expected == "underflow" else (scale ** (factors - 1) <= huge)


def test_plain_float64_product_does_not_fail_where_float32_does():
    J = torch.eye(3, dtype=torch.float64).expand(30, 3, 3) * 1e-2
    assert naive_product_failure(J, "float32")[1] == "underflow"
    assert naive_product_failure(J, "float64") == (None, None)


def test_spectrum_refuses_too_much_work_with_advice():
    with pytest.raises(ValueError, match="reduce the sequence length or hidden size"):
        jacobian_spectrum(FlowConfig(steps=5000, hidden_size=256), "lstm")


@pytest.mark.parametrize("kind", KINDS)
def test_itemised_gradients_match_one_backward_per_step(kind):
    config = small_config(steps=10)
    module = flow_model(config, kind).double()
    reference = stepwise_hidden_gradients(module, flow_input(config), range(config.steps)).numpy()
    G = itemised_gradients(config, kind)
    lower = np.tril(np.ones_like(reference, dtype=bool))
    np.testing.assert_allclose(G[lower], reference[lower], rtol=1e-9, atol=1e-300)
    assert np.isnan(G[~lower]).all()


def test_itemised_gradients_refuse_more_than_300_steps():
    with pytest.raises(ValueError, match="T ≤ 300"):
        itemised_gradients(FlowConfig(steps=301), "rnn")


@pytest.mark.parametrize("kind", KINDS)
def test_phase_sweep_matches_traces_of_each_model(kind):
    config = PhaseConfig(kind=kind, hidden_size=6, rhos=(0.5, 1.0, 2.5), lengths=(1, 3, 17), seed=2)
    result = phase_sweep(config)
    x = torch.randn(max(config.lengths), INPUT_SIZE, generator=torch.Generator().manual_seed(config.seed),
                    dtype=torch.float64) * config.input_scale
    for r, rho in enumerate(config.rhos):
        module = build_model(kind, INPUT_SIZE, 6, init="normal", spectral_radius=rho, seed=config.seed)
        for k, T in enumerate(config.lengths):
            g = trace(module, x[:T], loss="last", dtype="float64").grad_hidden_norm[:, 0, 0]
            assert result.log10_ratio[r, k] == pytest.approx(math.log10(g[0] / g[T - 1]), abs=1e-9)


def test_radius_grid_spans_0_1_to_3_evenly_in_count_steps():
    rhos = radius_grid(30)
    assert len(rhos) == 30 and rhos[0] == 0.1 and rhos[-1] == 3.0
    assert np.allclose(np.diff(rhos), 0.1, atol=1e-3)


def test_length_grid_runs_from_2_to_the_longest_on_a_log_scale_without_repeats():
    lengths = length_grid(500)
    assert lengths == (2, 4, 7, 13, 23, 43, 79, 147, 271, 500)
    assert length_grid(10) == (2, 3, 4, 5, 6, 7, 8, 10)  # 10 points, two merged by rounding


def test_phase_config_defaults_are_the_grids_of_30_radii_and_lengths_to_500():
    assert PhaseConfig().rhos == radius_grid(30) and PhaseConfig().lengths == length_grid(500)


def test_phase_sweep_resolves_ratios_far_below_float64_range():
    result = phase_sweep(PhaseConfig(kind="rnn", hidden_size=4, rhos=(0.1,), lengths=(2000,)))
    assert result.log10_ratio[0, 0] < -330  # below the smallest float64 (≈ 10^−324)
    assert np.isfinite(result.log10_ratio).all()


def test_phase_verdict_counts_the_radii_above_one_at_the_longest_length_by_hand():
    config = PhaseConfig(kind="rnn", hidden_size=4, rhos=(0.5, 1.5, 2.0, 2.5, 3.0), lengths=(30, 10))
    ratio = np.array([[9.0, 0.0], [2.0, 0.0], [-np.inf, 0.0], [0.5, 0.0], [-1.5, 0.0]])  # column 0: T = 30
    verdict = phase_verdict(PhaseResult(config, ratio, 0.0))
    assert (verdict.longest, verdict.above_one, verdict.exploding, verdict.vanishing, verdict.in_between) == \
        (30, 4, 1, 2, 1)  # ρ = 0.5 is below 1 and not counted


@pytest.mark.parametrize("kind", KINDS)
def test_spectrum_in_chunks_equals_the_whole_trace_at_once(kind):
    config = small_config(steps=13, dtype="float32")
    chunked = jacobian_spectrum(config, kind, chunk=4)
    tr = trace(flow_model(config, kind), flow_input(config), dtype="float32")
    J = torch.as_tensor(tr.jacobians())
    np.testing.assert_allclose(chunked.singular_values, tr.jacobian_singular_values(), rtol=1e-12)
    np.testing.assert_allclose(chunked.log10_product_norm, product_log10_norms(J), rtol=1e-12)
    assert (chunked.naive_failure_step, chunked.naive_failure) == naive_product_failure(J, "float32")



def test_traced_models_are_shared_across_the_settings_a_kind_ignores_and_equal_fresh_ones():
    from dataclasses import replace

    from seqviz.gradients.flow import traced_model

    config = FlowConfig(steps=30, hidden_size=8)
    rnn = traced_model(config, "rnn")
    assert traced_model(replace(config, steps=90, forget_bias=2.0, dtype="float64", input_scale=3.0), "rnn") is rnn
    assert traced_model(replace(config, forget_bias=2.0), "lstm") is not traced_model(config, "lstm")
    assert traced_model(replace(config, nonlinearity="relu"), "rnn") is not rnn
    fresh = flow_model(config, "rnn")
    assert all(torch.equal(a, b) for a, b in zip(rnn.parameters(), fresh.parameters()))

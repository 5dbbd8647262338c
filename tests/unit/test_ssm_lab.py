"""What the state-space page computes, and its figures (no browser)."""
import numpy as np
import pytest
import torch

from seqviz.core.budget import BudgetError
from seqviz.figures import ssm as figures
from seqviz.ssm import lab as ssm_lab
from seqviz.ssm import s4 as ssm
from seqviz.ssm.compare import build_models


def test_ssm_kernels_at_the_largest_size_stays_in_budget_and_is_stable():
    result = ssm_lab.ssm_kernels(ssm_lab.SSMConfig(init="inv", N=256, dt=1e-3, L=16384))
    assert result.K.shape == (3, 16384) and np.isfinite(result.K).all()
    assert result.eig_A.shape == (256,) and result.max_abs_eig_A_bar < 1
    fig = figures.kernel_figure(result.K, ["a", "b", "c"], "K")
    assert len(fig.data[0].x) <= figures.MAX_POINTS and "every 5th sample" in fig.layout.title.text
    colours = [trace.line.color for trace in fig.data]
    assert len(set(colours)) == 3 and fig.layout.showlegend is False  # the title's colour key names each line
    assert all(f"<span style='color:{c}'>{name}</span>" in fig.layout.title.text for c, name in zip(colours, "abc"))


def test_eigenvalue_figure_has_a_frame_per_step_and_the_unit_circle():
    result = ssm_lab.ssm_kernels(ssm_lab.SSMConfig(init="lin", N=16, L=256))
    fig = figures.eigenvalue_figure(result.eig_A, result.eig_A_bar, 0.01)
    assert len(fig.frames) == len(result.eig_A_bar) >= 13
    assert fig.data[1].name == "unit circle" and len(fig.layout.sliders[0].steps) == len(fig.frames)


def test_eigenvalue_figure_labels_each_step_apart_and_keeps_a_in_every_frame():
    result = ssm_lab.ssm_kernels(ssm_lab.SSMConfig(init="lin", N=8, L=256, dt=10**-3.75))  # between grid steps
    fig = figures.eigenvalue_figure(result.eig_A, result.eig_A_bar, 10**-3.75)
    labels = [step.label for step in fig.layout.sliders[0].steps]
    assert len(set(labels)) == len(labels) and labels[:3] == ["1.0e-4", "1.8e-4", "2.2e-4"]
    assert all(list(frame.traces) == [0, 2] and np.allclose(frame.data[0].x, result.eig_A.real) for frame in fig.frames)


@pytest.mark.parametrize("method, limit", [("zoh", 0.0), ("bilinear", -1.0)])
def test_the_caption_says_where_a_large_step_sends_the_eigenvalues(method, limit):
    A, B = ssm_lab.state_matrices(ssm_lab.SSMConfig(init="legs", N=16))
    A_bar, _ = ssm.discretize(A, B, 1e4, method)
    assert np.abs(A_bar.numpy() - limit).max() < 1e-2
    assert ssm_lab.large_step_limit(method).endswith(f"toward {limit:g}".replace("-", "−"))


def test_a_radius_a_hair_under_one_is_not_rounded_up_to_one():
    assert ssm_lab.radius_text(0.99999954) == "1 − 4.6e-07"
    assert ssm_lab.radius_text(0.5) == "0.500000" and ssm_lab.radius_text(0.9998) == "0.999800"


def test_dense_reference_refuses_large_state_sizes():
    with pytest.raises(ValueError, match="N ≤ 64"):
        ssm_lab.ssm_kernels(ssm_lab.SSMConfig(init="hippo_dense", N=128))


def test_ssm_kernels_over_budget_is_refused():
    with pytest.raises(BudgetError):
        ssm_lab.ssm_kernels(ssm_lab.SSMConfig(N=256, L=10**7))


def test_legs_comparison_reference_is_the_closed_form_and_the_full_dense_system():
    dt, L = 0.02, 200
    l = np.arange(L)
    first = ssm_lab.legs_comparison(dt, L, coefficient=0)
    np.testing.assert_allclose(first.dense, np.exp(-l * dt) * (1 - np.exp(-dt)), rtol=1e-12)  # x_0' = −x_0 + u
    A, B = ssm.hippo_legs(32)
    C = torch.zeros(32, dtype=torch.float64)
    C[3] = 1
    np.testing.assert_allclose(ssm_lab.legs_comparison(dt, L, coefficient=3).dense,
                               ssm.kernel(A, B, C, dt, L).numpy(), atol=1e-12)


@pytest.mark.parametrize("n", ssm_lab.LEGS_BASIS)
def test_s4d_legs_converges_to_hippo_legs_like_one_over_n(n):
    result = ssm_lab.legs_comparison(coefficient=n)
    d = [result.relative_difference[N] for N in ssm_lab.LEGS_COMPARE_N if N >= 16]
    assert all(a > b for a, b in zip(d, d[1:]))
    assert d[-1] < 0.06 and 0.8 < result.order < 1.2


def test_s4d_legs_continuous_kernel_starts_at_half_the_dense_one():
    N, n = 64, 2
    Lam, B_eig, V = ssm.legs_eigenbasis(N)
    K0 = 2 * (V[n].to(ssm.COMPLEX_DTYPE) * B_eig).sum().real  # K(t = 0) = C B
    assert K0.item() == pytest.approx(ssm.hippo_legs(N)[1][n].item() / 2, rel=1e-12)


def test_legs_comparison_refuses_an_unknown_basis_kernel():
    with pytest.raises(ValueError, match="basis kernel"):
        ssm_lab.legs_comparison(coefficient=7)


def test_hippo_memory_errors_shrink_with_n_for_a_smooth_signal():
    result = ssm_lab.hippo_memory(ssm_lab.MemoryConfig("sines", 600, 64))
    assert result.coefficients.shape == (600, 64)
    final = {N: e[-1] for N, e in result.errors.items()}
    assert final[4] > final[16] > final[64]


def test_conv_and_scan_agrees_and_times_every_length():
    result = ssm_lab.conv_and_scan(ssm_lab.SSMConfig(init="legs", N=32, L=2048))
    assert result.max_difference < 1e-8
    assert result.lengths == [256, 1024, 2048]
    assert all(len(s) == 3 for s in result.seconds.values())


def test_inspect_selection_shapes_and_attention_matches_the_state_path():
    models = build_models(16, 8, 0)
    result = ssm_lab.inspect_selection("..a..b.??", models["mamba"], models["lstm"])
    l = 9
    assert result.delta.shape == (32, l) and result.alpha.shape == (32, l, l)
    assert result.forget.shape[1] == l and result.input_gate.shape == result.forget.shape
    assert len(result.predictions["mamba"]) == l
    with pytest.raises(ValueError, match="limited to 128 tokens"):
        ssm_lab.inspect_selection("." * 200, models["mamba"], models["lstm"])


def test_hidden_attention_is_one_channels_or_the_mean_over_channels():
    models = build_models(16, 8, 0)
    result = ssm_lab.inspect_selection("..a..b.??", models["mamba"], models["lstm"])
    np.testing.assert_array_equal(result.hidden_attention(3), result.alpha[3])
    np.testing.assert_allclose(result.hidden_attention(), result.alpha.sum(0) / result.alpha.shape[0])


def test_accuracy_figure_draws_the_paper_reference_lines():
    fig = figures.accuracy_figure({"mamba": {16: 0.9, 32: 0.8}, "s4d": {16: 0.3, 32: 0.2}}, {"mamba": 1, "s4d": 2},
                                  {"paper: S4, no gate ≈ 18 %": 18.0})
    assert [list(t.y) for t in fig.data] == [[90.0, 80.0], [30.0, 20.0]]
    assert fig.layout.shapes[0].y0 == 18.0


@pytest.mark.parametrize("steps, window", [(20, 4), (400, 20)])
def test_training_curves_are_moving_means_ending_at_the_last_step_even_for_a_short_run(steps, window):
    losses = np.linspace(2.0, 0.1, steps)
    fig = figures.training_figure({"mamba": {8: list(losses)}, "lstm": {8: list(losses[::-1])}})
    line = fig.data[0]
    assert list(line.x) == list(range(window, steps + 1)) and len(line.y) == steps - window + 1 >= 16
    assert line.y[0] == pytest.approx(losses[:window].mean()) and line.y[-1] == pytest.approx(losses[-window:].mean())
    assert fig.layout.yaxis.title.text == f"loss (mean of the last {window} steps)"


def test_memory_errors_for_smaller_n_equal_their_own_legs_memory():
    config = ssm_lab.MemoryConfig(T=300, N=32)
    result = ssm_lab.hippo_memory(config)
    u = ssm_lab.make_signal(config.signal, config.T, config.seed)
    assert sorted(result.errors) == [4, 16, 32]
    for n in (4, 16):
        direct = ssm_lab.history_errors(u, ssm.legs_memory(u, n), result.error_times)
        np.testing.assert_allclose(result.errors[n], direct, rtol=1e-12, atol=1e-15)

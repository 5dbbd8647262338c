"""seqviz.ssm.s4: HiPPO matrices, S4D inits, discretisation, kernels, FFT convolution = scan, LegS memory."""
import math

import pytest
import torch

from seqviz.core.budget import BudgetError
from seqviz.ssm import s4 as ssm


def random_C(A, seed=0):
    g = torch.Generator().manual_seed(seed)
    C = torch.randn(A.shape[-1], generator=g, dtype=torch.float64)
    if A.is_complex():
        C = torch.complex(C, torch.randn(A.shape[-1], generator=g, dtype=torch.float64))
    return C


def test_hippo_legs_matches_the_definition_for_n_equals_3():
    A, B = ssm.hippo_legs(3)
    s = math.sqrt
    expected = torch.tensor([[-1, 0, 0], [-s(3), -2, 0], [-s(5), -s(15), -3]], dtype=torch.float64)
    assert torch.allclose(A, expected)
    assert torch.allclose(B, torch.tensor([1, s(3), s(5)], dtype=torch.float64))


@pytest.mark.parametrize("N", [4, 16, 64])
def test_hippo_legs_is_lower_triangular_with_eigenvalues_minus_one_to_minus_n(N):
    A, _ = ssm.hippo_legs(N)
    assert torch.equal(A, torch.tril(A))
    eigenvalues = torch.sort(torch.linalg.eigvals(A).real).values
    assert torch.allclose(eigenvalues, -torch.arange(N, 0, -1, dtype=torch.float64))


@pytest.mark.parametrize("N", [4, 16, 64])
def test_adding_p_p_transpose_gives_eigenvalues_with_real_part_minus_half(N):
    eigenvalues = torch.linalg.eigvals(ssm.hippo_legs_normal(N))
    assert torch.allclose(eigenvalues.real, torch.full((N,), -0.5, dtype=torch.float64), atol=1e-9)


def test_s4d_legs_is_the_upper_half_of_the_normal_parts_spectrum():
    A, B = ssm.s4d_init("legs", 16)
    full = torch.linalg.eigvals(ssm.hippo_legs_normal(16))
    assert A.shape == B.shape == (8,)
    assert torch.all(A.imag >= 0)
    assert torch.allclose(torch.sort(A.imag).values, torch.sort(full.imag[full.imag > 0]).values, atol=1e-9)


def test_s4d_lin_imaginary_parts_are_pi_n_and_real_parts_minus_half():
    A, _ = ssm.s4d_init("lin", 8)
    assert torch.allclose(A.imag, math.pi * torch.arange(4, dtype=torch.float64))
    assert torch.allclose(A.real, torch.full((4,), -0.5, dtype=torch.float64))


def test_s4d_inv_follows_its_formula():
    N = 8
    A, _ = ssm.s4d_init("inv", N)
    n = torch.arange(N // 2, dtype=torch.float64)
    assert torch.allclose(A.imag, (N / math.pi) * (N / (2 * n + 1) - 1))
    assert torch.allclose(A.real, torch.full((N // 2,), -0.5, dtype=torch.float64))


def test_s4d_real_is_minus_n_plus_one():
    A, B = ssm.s4d_init("real", 5)
    assert torch.equal(A, -torch.arange(1, 6, dtype=torch.float64))
    assert torch.equal(B, torch.ones(5, dtype=torch.float64))


def test_bad_init_and_odd_complex_state_size_are_refused_with_the_accepted_values():
    with pytest.raises(ValueError, match="init must be one of legs, inv, lin, real; got 'leg'"):
        ssm.s4d_init("leg", 8)
    with pytest.raises(ValueError, match="must be even"):
        ssm.s4d_init("lin", 7)
    with pytest.raises(ValueError, match="method must be one of zoh, bilinear"):
        ssm.discretize(*ssm.s4d_init("lin", 8), 0.1, "euler")


def as_dense(A, B, C):
    """The full real-or-complex dense system of a diagonal one, conjugate partners included."""
    if A.is_complex():
        A, B, C = torch.cat([A, A.conj()]), torch.cat([B, B.conj()]), torch.cat([C, C.conj()])
    return torch.diag(A), B, C


@pytest.mark.parametrize("init", ssm.S4D_INITS)
@pytest.mark.parametrize("method", ssm.METHODS)
@pytest.mark.parametrize("N", [4, 16, 64])
def test_vandermonde_kernel_equals_dense_power_kernel(init, method, N):
    A, B = ssm.s4d_init(init, N)
    C = random_C(A)
    K = ssm.kernel(A, B, C, 0.05, 300, method)
    dense = ssm.kernel(*as_dense(A, B, C), 0.05, 300, method).real
    assert torch.linalg.norm(K - dense) <= 1e-5 * torch.linalg.norm(dense)


def test_dense_hippo_kernel_matches_explicit_matrix_powers():
    A, B = ssm.hippo_legs(8)
    C = torch.linspace(-1, 1, 8, dtype=torch.float64)
    A_bar, B_bar = ssm.discretize(A, B, 0.1, "bilinear")
    expected = torch.stack([C @ torch.linalg.matrix_power(A_bar, l) @ B_bar for l in range(20)])
    assert torch.allclose(ssm.kernel(A, B, C, 0.1, 20, "bilinear"), expected)


@pytest.mark.parametrize("init", ssm.S4D_INITS)
def test_zoh_with_tiny_step_is_euler_up_to_second_order(init):
    A, B = ssm.s4d_init(init, 16)
    dt = 1e-6
    A_bar, B_bar = ssm.discretize(A, B, dt, "zoh")
    step = torch.abs(dt * A)
    assert torch.all(torch.abs(A_bar - (1 + dt * A)) <= step**2)
    assert torch.all(torch.abs(B_bar - dt * B) <= step * torch.abs(dt * B))


def test_zoh_of_a_dense_matrix_matches_the_diagonal_formula():
    A = torch.tensor([-1.0, -3.0], dtype=torch.float64)
    B = torch.tensor([1.0, 2.0], dtype=torch.float64)
    A_bar, B_bar = ssm.discretize(torch.diag(A), B, 0.3, "zoh")
    A_bar_diag, B_bar_diag = ssm.discretize(A, B, 0.3, "zoh")
    assert torch.allclose(torch.diagonal(A_bar), A_bar_diag)
    assert torch.allclose(B_bar, B_bar_diag)


@pytest.mark.parametrize("init", ssm.S4D_INITS)
@pytest.mark.parametrize("method", ssm.METHODS)
def test_fft_convolution_equals_the_recurrence(init, method):
    A, B = ssm.s4d_init(init, 32)
    C = random_C(A)
    u = torch.randn(1000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y_conv = ssm.fft_conv(u, ssm.kernel(A, B, C, 0.01, 1000, method), D=0.5)
    y_scan = ssm.scan(A, B, C, 0.01, u, method, D=0.5)
    assert torch.allclose(y_conv, y_scan, atol=1e-8 * y_scan.abs().max())


def test_fft_convolution_equals_the_recurrence_for_dense_hippo():
    A, B = ssm.hippo_legs(16)
    C = torch.ones(16, dtype=torch.float64)
    u = torch.randn(400, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    y_conv = ssm.fft_conv(u, ssm.kernel(A, B, C, 0.02, 400))
    assert torch.allclose(y_conv, ssm.scan(A, B, C, 0.02, u), atol=1e-9)


def test_fft_conv_is_causal_direct_convolution():
    u = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    K = torch.tensor([1.0, 0.5, 0.25, 0.0], dtype=torch.float64)
    assert torch.allclose(ssm.fft_conv(u, K), torch.tensor([1.0, 2.5, 4.25, 6.0], dtype=torch.float64))


def test_oversized_kernel_is_refused_by_the_budget():
    A, B = ssm.s4d_init("lin", 256)
    with pytest.raises(BudgetError, match="kernel length L"):
        ssm.kernel(A.expand(512, 128), B, random_C(A), 0.01, 16384)


@pytest.mark.parametrize("N", [4, 8, 16])
def test_legs_memory_reconstructs_a_polynomial_of_degree_below_n(N):
    T = 1000
    t = torch.arange(T, dtype=torch.float64)
    g = torch.Generator().manual_seed(N)
    coefficients = torch.randn(N, generator=g, dtype=torch.float64)
    u = sum(a * (t / T) ** d for d, a in enumerate(coefficients))
    c = ssm.legs_memory(u, N)
    for k in (300, 999):
        s = torch.linspace(0, k, 200, dtype=torch.float64)
        truth = sum(a * (s / T) ** d for d, a in enumerate(coefficients))
        assert torch.max(torch.abs(ssm.legs_reconstruct(c[k], k, s) - truth)) < 1e-3


def test_legs_memory_error_shrinks_as_n_grows():
    T = 800
    u = torch.sin(torch.arange(T, dtype=torch.float64) / 40)
    s = torch.arange(T, dtype=torch.float64)
    errors = [torch.mean((ssm.legs_reconstruct(ssm.legs_memory(u, N)[-1], T - 1, s) - u) ** 2) for N in (4, 16, 64)]
    assert errors[0] > errors[1] > errors[2]

"""seqviz.ssm.mamba: the chunked selective scan equals the sequential one; hidden attention reproduces y."""
import pytest
import torch

from seqviz.ssm import mamba


def random_ssm(b=2, l=37, d=5, n=4, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(b, l, d, generator=g, dtype=dtype)
    delta = torch.nn.functional.softplus(torch.randn(b, l, d, generator=g, dtype=dtype))
    A = -torch.exp(torch.randn(d, n, generator=g, dtype=dtype))
    B = torch.randn(b, l, n, generator=g, dtype=dtype)
    C = torch.randn(b, l, n, generator=g, dtype=dtype)
    D = torch.randn(d, generator=g, dtype=dtype)
    return u, delta, A, B, C, D


def strong_decay_ssm(b=2, l=50, d=3, n=4, dtype=torch.float64):
    """Δ up to 10, A down to −16: Δ·A reaches −160, so Ā underflows to 0 (and exp(−Δ·A) overflows float32)."""
    u, _, _, B, C, D = random_ssm(b, l, d, n, seed=5, dtype=dtype)
    g = torch.Generator().manual_seed(6)
    delta = 10 * torch.rand(b, l, d, generator=g, dtype=dtype)
    A = -torch.linspace(0.01, 16, d * n, dtype=dtype).reshape(d, n)
    return u, delta, A, B, C, D


@pytest.mark.parametrize("l", [1, 37, 128])
def test_parallel_selective_scan_equals_sequential_scan(l):
    args = random_ssm(l=l)
    y_fast, h_fast = mamba.selective_scan(*args, return_states=True)
    y_ref, h_ref = mamba.selective_scan_reference(*args, return_states=True)
    assert torch.allclose(y_fast, y_ref, atol=1e-10)
    assert torch.allclose(h_fast, h_ref, atol=1e-10)


def test_parallel_scan_gradients_equal_the_sequential_ones():
    args = [t.requires_grad_() for t in random_ssm(l=20)]
    grads_fast = torch.autograd.grad(mamba.selective_scan(*args).square().sum(), args)
    grads_ref = torch.autograd.grad(mamba.selective_scan_reference(*args).square().sum(), args)
    for fast, ref in zip(grads_fast, grads_ref):
        assert torch.allclose(fast, ref, atol=1e-9)


SHAPES = [  # (b, l, d, n, chunk): l divisible by the chunk or not, l = 1, one chunk, one step per chunk
    (2, 37, 5, 4, None), (2, 1, 5, 4, None), (1, 64, 3, 2, 8), (3, 50, 2, 5, 7), (2, 20, 4, 3, 1),
    (2, 20, 4, 3, 20), (2, 20, 4, 3, 100), (1, 129, 2, 3, None)]


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "autograd"])
@pytest.mark.parametrize("b, l, d, n, chunk", SHAPES)
def test_chunked_scan_equals_the_reference_in_float64(b, l, d, n, chunk, grad):
    args = [t.requires_grad_(grad) for t in random_ssm(b, l, d, n)]
    copies = [t.detach().clone() for t in args]
    y, h = mamba.selective_scan(*args, chunk=chunk, return_states=True)
    y_ref, h_ref = mamba.selective_scan_reference(*args, return_states=True)
    assert y.shape == (b, l, d) and h.shape == (b, l, d, n)
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(h, h_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(mamba.selective_scan(*args, chunk=chunk), y, rtol=0, atol=0)
    assert all(torch.equal(t, c) for t, c in zip(args, copies))  # the in-place steps leave the inputs alone


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "autograd"])
@pytest.mark.parametrize("l, chunk", [(1, None), (100, None), (100, 7), (256, None)])
def test_chunked_scan_equals_the_reference_in_float32(l, chunk, grad):
    args = [t.requires_grad_(grad) for t in random_ssm(2, l, 8, 4, dtype=torch.float32)]
    y, h = mamba.selective_scan(*args, chunk=chunk, return_states=True)
    y_ref, h_ref = mamba.selective_scan_reference(*args, return_states=True)
    assert y.dtype == h.dtype == torch.float32
    torch.testing.assert_close(y, y_ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(h, h_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("chunk", [None, 9])
def test_chunked_scan_is_stable_for_large_steps(dtype, chunk):
    args = [t.requires_grad_() for t in strong_decay_ssm(dtype=dtype)]
    with torch.no_grad():
        y = mamba.selective_scan(*args, chunk=chunk)
    y_grad = mamba.selective_scan(*args, chunk=chunk)
    grads = torch.autograd.grad(y_grad.square().sum(), args)
    assert torch.isfinite(y).all() and all(torch.isfinite(g).all() for g in grads)
    y_ref = mamba.selective_scan_reference(*args)
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(y, y_ref.detach(), rtol=tol, atol=tol)
    torch.testing.assert_close(y_grad, y_ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("make", [random_ssm, strong_decay_ssm])
@pytest.mark.parametrize("l, chunk", [(20, None), (23, 5), (1, None)])
def test_chunked_scan_gradients_equal_the_reference_gradients(make, l, chunk):
    args = [t.requires_grad_() for t in make(l=l)]
    grads = torch.autograd.grad(mamba.selective_scan(*args, chunk=chunk).square().sum(), args)
    grads_ref = torch.autograd.grad(mamba.selective_scan_reference(*args).square().sum(), args)
    for name, grad, grad_ref in zip("u delta A B C D".split(), grads, grads_ref):
        torch.testing.assert_close(grad, grad_ref, rtol=1e-9, atol=1e-9, msg=lambda m: f"d{name}: {m}")


def test_gradients_for_c_and_d_alone_take_the_in_place_path_and_are_right():
    u, delta, A, B, C, D = random_ssm(l=30)
    C.requires_grad_(), D.requires_grad_()
    grads = torch.autograd.grad(mamba.selective_scan(u, delta, A, B, C, D).square().sum(), (C, D))
    grads_ref = torch.autograd.grad(mamba.selective_scan_reference(u, delta, A, B, C, D).square().sum(), (C, D))
    for grad, grad_ref in zip(grads, grads_ref):
        torch.testing.assert_close(grad, grad_ref, rtol=1e-10, atol=1e-10)


def test_hidden_attention_applied_to_u_reproduces_y():
    u, delta, A, B, C, D = random_ssm(l=40)
    alpha = mamba.hidden_attention(delta, A, B, C)
    assert alpha.shape == (2, 5, 40, 40)
    y_from_attention = torch.einsum("bdts,bsd->btd", alpha, u) + u * D
    assert torch.allclose(y_from_attention, mamba.selective_scan_reference(u, delta, A, B, C, D), atol=1e-10)


def test_hidden_attention_is_causal():
    _, delta, A, B, C, _ = random_ssm(l=12)
    alpha = mamba.hidden_attention(delta, A, B, C)
    assert torch.all(torch.triu(alpha, diagonal=1) == 0)


def test_hidden_attention_survives_long_strong_decay_in_float32():
    u, delta, A, B, C, D = random_ssm(l=200, dtype=torch.float32)
    alpha = mamba.hidden_attention(delta * 5, A, B, C)
    assert torch.isfinite(alpha).all()
    y = mamba.selective_scan_reference(u, delta * 5, A, B, C, D)
    assert torch.allclose(torch.einsum("bdts,bsd->btd", alpha, u) + u * D, y, atol=1e-4)


def test_wrong_shapes_name_the_argument_and_the_expected_shape():
    u, delta, A, B, C, D = random_ssm()
    with pytest.raises(ValueError, match=r"B must have shape \(2, 37, 4\)"):
        mamba.selective_scan(u, delta, A, B[:, :5], C, D)


def test_mamba_block_inspect_matches_forward_and_its_attention_reproduces_the_ssm():
    torch.manual_seed(0)
    block = mamba.MambaBlock(d_model=8, d_state=4)
    x = torch.randn(2, 15, 8)
    trace = block.inspect(x)
    assert torch.allclose(trace.output, block(x), atol=1e-6)
    assert trace.delta.shape == (2, 15, 16) and trace.states.shape == (2, 15, 16, 4)
    assert trace.hidden_attention.shape == (2, 16, 15, 15)
    assert torch.all(trace.delta > 0)

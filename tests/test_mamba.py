"""seqviz.mamba: the parallel selective scan equals the sequential one; hidden attention reproduces y."""
import pytest
import torch

from seqviz import mamba
from seqviz.scan import linear_recurrence_reference


def random_ssm(b=2, l=37, d=5, n=4, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(b, l, d, generator=g, dtype=dtype)
    delta = torch.nn.functional.softplus(torch.randn(b, l, d, generator=g, dtype=dtype))
    A = -torch.exp(torch.randn(d, n, generator=g, dtype=dtype))
    B = torch.randn(b, l, n, generator=g, dtype=dtype)
    C = torch.randn(b, l, n, generator=g, dtype=dtype)
    D = torch.randn(d, generator=g, dtype=dtype)
    return u, delta, A, B, C, D


@pytest.mark.parametrize("chunk", [None, 1, 4, 32, 100])
def test_chunked_recurrence_equals_the_sequential_reference(chunk):
    g = torch.Generator().manual_seed(3)
    a = torch.rand(53, 3, generator=g, dtype=torch.float64)
    b = torch.randn(53, 3, generator=g, dtype=torch.float64)
    assert torch.allclose(mamba.chunked_linear_recurrence(a, b, chunk), linear_recurrence_reference(a, b))


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

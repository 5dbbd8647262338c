"""The parallel linear recurrence equals the sequential loop."""
import pytest
import torch

from seqviz.core.scan import linear_recurrence, linear_recurrence_reference


@pytest.mark.parametrize("T", [1, 2, 3, 7, 64, 1000])
def test_parallel_scan_equals_sequential_loop(T):
    g = torch.Generator().manual_seed(T)
    a = torch.rand(T, 4, 3, generator=g, dtype=torch.float64)
    b = torch.randn(T, 4, 3, generator=g, dtype=torch.float64)
    x0 = torch.randn(4, 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(linear_recurrence(a, b, x0), linear_recurrence_reference(a, b, x0), rtol=1e-12, atol=1e-12)


def test_zero_initial_state_by_default():
    a, b = torch.full((5, 2), 0.5), torch.ones(5, 2)
    torch.testing.assert_close(linear_recurrence(a, b), linear_recurrence_reference(a, b))
    assert linear_recurrence(a, b)[0].tolist() == [1.0, 1.0]


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="same shape"):
        linear_recurrence(torch.ones(3, 2), torch.ones(3, 1))

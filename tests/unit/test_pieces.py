"""Running a stock recurrent module as pieces side by side gives the module's own outputs."""
import pytest
import torch

from seqviz.core import pieces
from seqviz.core.pieces import run_in_pieces
from seqviz.core.seeding import blank

KINDS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
ORIGINAL_IN_ORDER = pieces._in_order
SMALL = dict(pieces=8, block=64, warmup=128, tol=1e-12)


def module(kind, scale=1.0, seed=0):
    torch.manual_seed(seed)
    m = KINDS[kind](5, 16).double()
    with torch.no_grad():
        m.weight_hh_l0.mul_(scale)
    return m


def inputs(T=3000, seed=1):
    return torch.randn(T, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def plain(m, x, init=None):
    return m(x[:, None], init)[0][:, 0]


@pytest.mark.parametrize("kind", KINDS)
def test_pieces_equal_the_plain_module(kind):
    m, x = module(kind), inputs()
    torch.testing.assert_close(run_in_pieces(m, x, **SMALL), plain(m, x), rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_pieces_start_from_the_given_initial_state(kind):
    m, x = module(kind), inputs()
    h0 = torch.full((1, 1, 16), 0.5, dtype=torch.float64)
    init = (h0, 2 * h0) if kind == "lstm" else h0
    torch.testing.assert_close(run_in_pieces(m, x, init, **SMALL), plain(m, x, init), rtol=0, atol=1e-10)


def test_a_module_that_forgets_settles_without_running_in_order(monkeypatch):
    monkeypatch.setattr(pieces, "_in_order", lambda *a: pytest.fail("the pieces did not settle"))
    m, x = module("gru", scale=0.5), inputs()
    torch.testing.assert_close(run_in_pieces(m, x, **SMALL), plain(m, x), rtol=0, atol=1e-10)


def test_a_module_that_never_forgets_is_run_in_order_after_the_corrections(monkeypatch):
    m = blank(torch.nn.RNN, 5, 16, 1, nonlinearity="relu").double()
    with torch.no_grad():  # h_t = relu(h_{t−1} + W x_t): a unit's start is never forgotten while it is on
        m.weight_ih_l0.copy_(inputs(16, seed=2))
        m.weight_hh_l0.copy_(torch.eye(16))
        m.bias_ih_l0.zero_()
        m.bias_hh_l0.zero_()
    x, in_order = inputs(), []
    monkeypatch.setattr(pieces, "_in_order", lambda *a: in_order.append(a[4]) or ORIGINAL_IN_ORDER(*a))
    torch.testing.assert_close(run_in_pieces(m, x, **SMALL), plain(m, x), rtol=0, atol=1e-10)
    assert in_order and in_order[0] > 0  # piece 0 starts from the true state, so it is never rerun


def test_no_corrections_allowed_runs_every_piece_after_the_first_in_order():
    m, x = module("lstm"), inputs()
    torch.testing.assert_close(run_in_pieces(m, x, **SMALL | {"rounds": 0}), plain(m, x), rtol=0, atol=1e-10)


def test_a_sequence_too_short_for_two_pieces_runs_as_one():
    m, x = module("gru"), inputs(T=200)
    assert torch.equal(run_in_pieces(m, x, **SMALL), plain(m, x))


@pytest.mark.parametrize("kind", KINDS)
def test_float32_pieces_agree_with_the_plain_module_to_float_tolerance(kind):
    m, x = module(kind).float(), inputs().float()
    torch.testing.assert_close(run_in_pieces(m, x, pieces=8, block=64, warmup=128), plain(m, x),
                               rtol=0, atol=1e-4)

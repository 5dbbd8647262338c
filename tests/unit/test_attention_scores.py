"""Attention scores equal their formulas; the masked softmax puts all weight on valid positions."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqviz.seq2seq.attention import SCORES, Attention, masked_softmax

QUERY = [1.0, -1.0]
KEYS = [[0.5, 2.0], [1.0, 0.0], [-1.5, 0.25]]


def module(score, **weights):
    attention = Attention(score, 2, 2, 2).double()
    with torch.no_grad():
        for name, value in weights.items():
            target = getattr(attention, name)
            (target.weight if hasattr(target, "weight") else target).copy_(torch.tensor(value, dtype=torch.float64))
    return attention


def scores_of(attention):
    query = torch.tensor([QUERY], dtype=torch.float64)
    keys = torch.tensor([KEYS], dtype=torch.float64)
    return attention.scores(query, attention.prepare(keys))[0].tolist()


def matvec(M, x):
    return [sum(m * xi for m, xi in zip(row, x)) for row in M]


def test_bahdanau_score_is_v_tanh_of_ws_s_plus_wh_h():
    W_s, W_h, v = [[1.0, 0.0], [0.0, 2.0]], [[0.5, 1.0], [-1.0, 0.0]], [1.0, -2.0]
    expected = [sum(va * math.tanh(a + b) for va, a, b in zip(v, matvec(W_s, QUERY), matvec(W_h, k))) for k in KEYS]
    assert scores_of(module("bahdanau", W_s=W_s, W_h=W_h, v=v)) == pytest.approx(expected, abs=1e-12)


def test_luong_dot_score_is_s_dot_h():
    # s·h for s = (1, −1): 0.5 − 2 = −1.5, 1 − 0 = 1, −1.5 − 0.25 = −1.75
    assert scores_of(module("luong-dot")) == pytest.approx([-1.5, 1.0, -1.75], abs=1e-12)


def test_luong_general_score_is_s_transpose_W_h():
    W_a = [[2.0, 1.0], [0.0, -1.0]]
    expected = [sum(q * w for q, w in zip(QUERY, matvec(W_a, k))) for k in KEYS]
    assert expected == pytest.approx([5.0, 2.0, -2.5])  # by hand: W_a h = (3, −2), (2, 0), (−2.75, −0.25)
    assert scores_of(module("luong-general", W_a=W_a)) == pytest.approx(expected, abs=1e-12)


def test_luong_concat_score_is_v_tanh_of_W_on_concatenation():
    W_a, v = [[1.0, 0.5, -1.0, 2.0], [0.0, 1.0, 1.0, -0.5]], [0.5, 1.5]
    expected = [sum(va * math.tanh(pre) for va, pre in zip(v, matvec(W_a, QUERY + k))) for k in KEYS]
    assert scores_of(module("luong-concat", W_a=W_a, v=v)) == pytest.approx(expected, abs=1e-12)


def test_scaled_dot_score_is_dot_over_root_key_size():
    assert scores_of(module("scaled-dot")) == pytest.approx([-1.5 / math.sqrt(2), 1 / math.sqrt(2), -1.75 / math.sqrt(2)])


def test_unknown_score_names_the_accepted_ones():
    with pytest.raises(ValueError, match="luong-general.*got 'luong'"):
        Attention("luong", 2, 2, 2)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 9), st.integers(0, 10_000))
def test_masked_softmax_sums_to_one_over_valid_positions_and_zero_on_padding(batch, length, seed):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(batch, length, generator=g) * 10
    lengths = torch.randint(1, length + 1, (batch,), generator=g)
    mask = torch.arange(length) < lengths.unsqueeze(1)
    weights = masked_softmax(scores, mask)
    assert torch.allclose(weights.sum(-1), torch.ones(batch), atol=1e-6)
    assert bool((weights[~mask] == 0.0).all())
    assert bool((weights[mask] > 0).all())


def test_masked_softmax_refuses_a_row_without_valid_positions():
    with pytest.raises(ValueError, match="at least one valid position"):
        masked_softmax(torch.zeros(2, 3), torch.tensor([[True, False, False], [False, False, False]]))


@pytest.mark.parametrize("score", SCORES)
def test_context_is_the_weighted_sum_of_keys_and_padding_gets_no_weight(score):
    torch.manual_seed(0)
    attention = Attention(score, 4, 4, 3)
    keys, query = torch.randn(2, 5, 4), torch.randn(2, 4)
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    context, weights = attention(query, keys, mask)
    assert torch.allclose(context, torch.einsum("bs,bsk->bk", weights, keys), atol=1e-6)
    assert bool((weights[1, 2:] == 0).all())
    assert torch.allclose(weights.sum(-1), torch.ones(2))

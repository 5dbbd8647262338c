"""The handbook's worked examples (seed 002), reproduced through seqviz's public API."""
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

import seqviz
from seqviz.gradients.clipping import clip_gradients

EVENTS = torch.eye(3)  # error logged, reproduction confirmed, rollback requested


def incident_rnn() -> nn.RNN:
    module = nn.RNN(3, 2, bias=False)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.tensor([[0.8, 0.2, 0.1], [0.1, 0.7, 0.4]]))
        module.weight_hh_l0.copy_(torch.tensor([[0.5, 0.1], [0.0, 0.6]]))
    return module


def test_vector_rnn_incident_trace():
    tr = seqviz.trace(incident_rnn(), EVENTS)
    np.testing.assert_allclose(tr.hidden[:, 0, 0], [[0.664, 0.100], [0.494, 0.641], [0.390, 0.655]], atol=5e-4)


def test_action_head_on_the_final_state_prefers_rollback():
    # The handbook feeds the head the state as printed, rounded to three decimals.
    h_3 = np.round(seqviz.trace(incident_rnn(), EVENTS).hidden[-1, 0, 0], 3)
    W_out = np.array([[0.7, -0.3], [-0.4, 0.8], [0.1, 0.2]])
    logits = W_out @ h_3
    probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(probabilities, [0.291, 0.389, 0.320], atol=5e-4)
    assert probabilities.argmax() == 1


def _logit(p):
    return math.log(p / (1 - p))


def test_one_cell_lstm_keep_write_expose_trace():
    # (forget, write, candidate, expose) per step; forget 0.00 is approached by a very negative bias.
    steps = [(1e-9, 0.95, 0.90, 0.80), (0.98, 0.02, 0.10, 0.80), (0.97, 0.15, 0.50, 0.90)]
    module = nn.LSTM(4, 1, bias=False)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.eye(4))  # input = gate pre-activations in order i, f, g, o
        module.weight_hh_l0.zero_()
    x = torch.tensor([[_logit(i), _logit(f), math.atanh(g), _logit(o)] for f, i, g, o in steps], dtype=torch.float64)
    tr = seqviz.trace(module, x, dtype="float64")
    np.testing.assert_allclose(tr.cell[:, 0, 0, 0], [0.855, 0.840, 0.890], atol=5e-4)
    np.testing.assert_allclose(tr.hidden[:, 0, 0, 0], [0.555, 0.549, 0.640], atol=5e-4)
    np.testing.assert_allclose(tr.gates["f"][1:, 0, 0, 0], [0.98, 0.97], atol=1e-9)


@pytest.mark.parametrize("keep, expected", [(0.95, 0.750), (0.50, 0.300), (0.05, -0.150)])
def test_gru_keep_gate_mixes_old_state_and_candidate(keep, expected):
    module = nn.GRU(3, 1, bias=False)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.eye(3))  # input = pre-activations of r, z, n
        module.weight_hh_l0.zero_()
    x = torch.tensor([[0.0, _logit(keep), math.atanh(-0.20)]], dtype=torch.float64)
    tr = seqviz.trace(module, x, h0=torch.tensor([[0.80]], dtype=torch.float64), dtype="float64")
    assert tr.gates["z"][0, 0, 0, 0] == pytest.approx(keep)
    assert tr.hidden[0, 0, 0, 0] == pytest.approx(expected, abs=5e-4)


def test_gradient_clipping_scales_72_604_down_to_5():
    parameter = nn.Parameter(torch.zeros(2))
    parameter.grad = torch.tensor([1.4 ** 12, -0.8 * 1.4 ** 12])
    result = clip_gradients([parameter], mode="norm", threshold=5.0)
    assert result.raw_norm == pytest.approx(72.604, abs=5e-4)
    assert result.clipped_norm == pytest.approx(5.0, abs=1e-5)
    np.testing.assert_allclose(parameter.grad.numpy(), [3.904, -3.123], atol=5e-4)


def test_clipping_by_norm_equals_torch_clip_grad_norm():
    ours = [nn.Parameter(torch.zeros(3, 2)), nn.Parameter(torch.zeros(4))]
    theirs = [nn.Parameter(torch.zeros(3, 2)), nn.Parameter(torch.zeros(4))]
    for p, q in zip(ours, theirs):
        p.grad = torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 10
        q.grad = p.grad.clone()
    result = clip_gradients(ours, "norm", 1.5)
    torch_norm = torch.nn.utils.clip_grad_norm_(theirs, 1.5)
    assert result.raw_norm == pytest.approx(float(torch_norm), rel=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_clipping_by_value_equals_torch_clip_grad_value():
    p, q = nn.Parameter(torch.zeros(5)), nn.Parameter(torch.zeros(5))
    p.grad = torch.tensor([-3.0, -0.5, 0.0, 0.7, 9.0])
    q.grad = p.grad.clone()
    clip_gradients([p], "value", 1.0)
    torch.nn.utils.clip_grad_value_([q], 1.0)
    assert torch.equal(p.grad, q.grad)


def test_nonfinite_gradients_are_reported_not_clipped():
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([float("inf"), 1.0])
    result = clip_gradients([p], "norm", 1.0)
    assert math.isinf(result.raw_norm) and not result.clipped


def test_packing_makes_the_gru_final_state_independent_of_padding():
    gru = seqviz.build_model("gru", 3, 2, seed=7)
    lengths = torch.tensor([3, 2])
    base = torch.stack([torch.eye(3), torch.cat([torch.eye(3)[:2], torch.zeros(1, 3)])])  # (B=2, T=3, 3)
    changed = base.clone()
    changed[1, 2] = torch.tensor([9.0, -9.0, 9.0])

    def packed_final(batch):
        return gru(pack_padded_sequence(batch.transpose(0, 1), lengths, enforce_sorted=False))[1][-1]

    assert torch.allclose(packed_final(base), packed_final(changed))
    # The packed final state of the short history is the traced state after its two real events ...
    np.testing.assert_allclose(packed_final(base)[1].detach().numpy(),
                               seqviz.trace(gru, base[1, :2]).hidden[-1, 0, 0], atol=1e-6)
    # ... while running over the padding row treats it as another event.
    padded = seqviz.trace(gru, changed[1]).hidden[-1, 0, 0]
    assert not np.allclose(padded, packed_final(changed)[1].detach().numpy(), atol=1e-3)

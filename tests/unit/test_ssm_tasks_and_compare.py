"""Task generators, the three comparison models and their training loop."""
import pytest
import torch

from seqviz.ssm import compare as ssm_compare
from seqviz.ssm import s4 as ssm
from seqviz.ssm.tasks import IGNORE, MARKER, NOISE, decode, encode, induction_heads, selective_copying


def test_selective_copying_answers_are_the_data_tokens_in_order():
    inputs, targets = selective_copying(50, 20, 4, torch.Generator().manual_seed(0))
    assert inputs.shape == targets.shape == (50, 24)
    for x, y in zip(inputs, targets):
        data = x[:20][x[:20] != NOISE]
        assert len(data) == 4
        assert torch.equal(y[20:], data)
        assert torch.all(x[20:] == MARKER) and torch.all(y[:20] == IGNORE)


def test_induction_heads_answer_is_the_token_after_the_first_trigger():
    inputs, targets = induction_heads(50, 16, torch.Generator().manual_seed(1))
    for x, y in zip(inputs, targets):
        first = int((x == MARKER).nonzero()[0])
        assert x[-1] == MARKER and int((x == MARKER).sum()) == 2
        assert y[-1] == x[first + 1] and torch.all(y[:-1] == IGNORE)


def test_encode_decode_round_trip_and_bad_characters_are_named():
    assert decode(encode("..a.b??")) == "..a.b??"
    with pytest.raises(ValueError, match="got 'xz'"):
        encode("a.x.z")


def test_models_have_similar_parameter_counts():
    models = ssm_compare.build_models(16, 8, seed=0)
    counts = {k: ssm_compare.parameter_count(m) for k, m in models.items()}
    assert max(counts.values()) / min(counts.values()) < 1.15


def test_s4d_layer_convolution_equals_its_recurrence():
    layer = ssm.S4DLayer(3, N=8).double()
    u = torch.randn(1, 50, 3, dtype=torch.float64)
    y = layer(u)
    A = torch.complex(-torch.exp(layer.log_neg_A_real), layer.A_imag).detach()
    C = torch.view_as_complex(layer.C.detach().contiguous())

    for c in range(3):
        dt = float(torch.exp(layer.log_dt[c].detach()))
        expected = ssm.scan(A[c], torch.ones_like(A[c]), C[c], dt, u[0, :, c], D=float(layer.D[c].detach()))
        assert torch.allclose(y[0, :, c].detach(), expected, atol=1e-8)


def test_compare_trains_every_model_and_reports_progress():
    calls = []
    config = ssm_compare.CompareConfig(lengths=(8,), steps=5, batch=8)
    result, kept = ssm_compare.compare(config, lambda *args: calls.append(args), keep_models_at=8)
    assert set(result.accuracy) == set(ssm_compare.MODEL_KINDS) == set(kept)
    assert all(len(result.losses[k][8]) == 5 for k in ssm_compare.MODEL_KINDS)
    assert len(calls) == 15 and calls[-1][:4] == ("lstm", 8, 4, 5)
    assert all(0 <= result.accuracy[k][8] <= 1 for k in ssm_compare.MODEL_KINDS)


def test_fraction_done_counts_the_steps_of_every_model_trained_before_in_compares_order():
    config = ssm_compare.CompareConfig(lengths=(8, 16), steps=5)
    calls = [(kind, length, step) for length in config.lengths for kind in ssm_compare.MODEL_KINDS
             for step in range(config.steps)]
    fractions = [config.fraction_done(*call) for call in calls]
    assert fractions == pytest.approx([(k + 1) / len(calls) for k in range(len(calls))])


def test_mamba_learns_selective_copying_beyond_chance_quickly():
    config = ssm_compare.CompareConfig(lengths=(8,), steps=60, batch=16, n_memorize=2)
    model = ssm_compare.build_models(config.d_model, config.d_state, 0)["mamba"]
    losses = ssm_compare.train_one(model, config, 8)
    assert sum(losses[-15:]) / 15 < 0.7 * sum(losses[:15]) / 15


def test_ranking_and_closing_losses_by_hand():
    from seqviz.ssm.compare import CompareConfig, CompareResult, closing_losses, ranked_at

    result = CompareResult(CompareConfig(lengths=(8,)))
    result.accuracy = {"mamba": {8: 0.2}, "s4d": {8: 0.9}, "lstm": {8: 0.5}}
    assert ranked_at(result, 8) == [("s4d", 0.9), ("lstm", 0.5), ("mamba", 0.2)]
    assert closing_losses([9, 9, 9, 9, 9, 9, 4, 4, 2, 2]) == (4.0, 2.0)  # fifths of two: (4, 4) then (2, 2)
    assert closing_losses([3.0]) == (3.0, 3.0)

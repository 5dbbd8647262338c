"""Parameter counts come from real modules and follow the n², 4n², 3n² pattern."""
import pytest
from torch import nn

from seqviz.cell.params import compare_kinds, count_parameters

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def closed_form(G, I, H, L, D):
    return sum(D * G * (H * (I if l == 0 else D * H) + H * H + 2 * H) for l in range(L))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("sizes", [(3, 2, 1, False), (5, 16, 2, True), (1, 256, 3, False)])
def test_count_matches_the_real_module_and_the_closed_form(kind, sizes):
    I, H, L, bidirectional = sizes
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](I, H, L, bidirectional=bidirectional)
    count = count_parameters(kind, I, H, L, bidirectional)
    assert count.total == sum(p.numel() for p in module.parameters())
    assert count.total == closed_form(GATES[kind], I, H, L, 1 + bidirectional)


def test_seeds_example_has_fourteen_cell_parameters_with_both_torch_biases():
    # The seeds count 6 + 4 + 2 = 12 with one bias; torch keeps b_ih and b_hh, so 14.
    count = count_parameters("rnn", 3, 2)
    assert (count.input_weights, count.recurrent_weights, count.biases) == (6, 4, 4)


def test_lstm_is_four_and_gru_three_times_the_rnn_for_large_hidden_size():
    counts = compare_kinds(input_size=4, hidden_size=256)
    assert counts["lstm"].total == 4 * counts["rnn"].total
    assert counts["gru"].total == 3 * counts["rnn"].total
    assert counts["rnn"].recurrent_weights == 256 ** 2


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="rnn, lstm, gru"):
        count_parameters("transformer", 3, 2)

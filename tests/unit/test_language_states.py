"""Reading a character model's states and gates, pattern search, and gradient reach, against
seqviz.trace (itself checked against torch) and autograd on the plain model."""
import numpy as np
import pytest
import torch

import seqviz
from seqviz.language.corpus import Vocabulary
from seqviz.language.model import CharModel, CharModelConfig
from seqviz.language.patterns import CorpusStates, corpus_states, pattern_units, search
from seqviz.language.reading import gate_saturation, gradient_reach, quantities, read

VOCABULARY = Vocabulary("\ufffdabc\n (")
TEXT = "abc (ab)\nca b(c)\n" * 12
LONG_TEXT = TEXT * 25  # long enough to run as pieces side by side (seqviz.core.pieces)


def model(kind, layers=2):
    return CharModel(CharModelConfig(kind=kind, embed_size=4, hidden_size=8, num_layers=layers, seed=2), VOCABULARY)


def reference(m, text):
    return seqviz.trace(m.rnn, m.embed(torch.as_tensor(VOCABULARY.encode(text))).detach().double(), dtype="float64")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_every_state_and_gate_of_every_layer_matches_the_trace(kind):
    m = model(kind)
    tr = reference(m, TEXT)
    for layer in (0, 1):
        for quantity in quantities(kind):
            expected = {"hidden": tr.hidden, "cell": tr.cell}.get(quantity)
            expected = (tr.gates[quantity] if expected is None else expected)[:, layer, 0]
            np.testing.assert_allclose(read(m, TEXT, layer, quantity), expected, atol=1e-6)


@pytest.mark.parametrize("kind, state", [("lstm", "hidden"), ("lstm", "cell"), ("gru", "hidden"), ("rnn", "hidden")])
def test_corpus_states_equal_the_trace_to_int8_resolution(kind, state):
    m = model(kind)
    tr = reference(m, LONG_TEXT)
    expected = (tr.cell if state == "cell" else tr.hidden)[:, 1, 0]
    states = corpus_states(m, LONG_TEXT, layer=1, state=state, chunk=370)
    error = np.abs(states.unit_values(range(8)) - expected)
    assert (error <= 0.5 / states.scales[:, None] + 1e-6).all()


def test_a_cell_state_is_refused_for_a_gru():
    with pytest.raises(ValueError, match="only an LSTM has a cell state"):
        corpus_states(model("gru"), TEXT, state="cell")


def planted_states():
    """Units 3 and 5 switch on together over three spans; unit 3 alone over a fourth; noise elsewhere."""
    rng = np.random.default_rng(1)
    values = rng.uniform(-0.9, 0.2, size=(400, 8)).astype(np.float32)
    for start, stop in ((50, 60), (200, 210), (300, 307)):
        values[start:stop, [3, 5]] = 0.8
    values[100:110, 3] = 0.8
    codes = np.round(values * 127).astype(np.int8)
    return CorpusStates("x" * 400, codes, np.full(400, 127.0, dtype=np.float32))


def test_the_pattern_is_the_units_on_over_the_span_and_off_just_before():
    states = planted_states()
    assert pattern_units(states.unit_values(range(8)), 50, 60, 0.5) == [3, 5]


def test_search_finds_the_patterns_other_occurrences_closest_in_length_first():
    matches = search(planted_states(), [3, 5], 0.5, length=10, exclude=(50, 60))
    assert [(m.start, m.stop) for m in matches] == [(200, 210), (300, 307)]
    assert all(m.share == 1.0 for m in matches)


def test_a_looser_share_also_finds_partial_matches():
    found = {(m.start, m.stop) for m in search(planted_states(), [3, 5], 0.5, length=10, min_share=0.5)}
    assert (100, 110) in found


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_gradient_reach_is_the_autograd_gradient_of_the_next_character_loss(kind):
    m = model(kind).double()
    t = 30
    ids = torch.as_tensor(VOCABULARY.encode(TEXT[:t + 2]))
    x = m.embed(ids[:-1]).detach().requires_grad_(True)
    out, _ = m.rnn(x)
    loss = torch.nn.functional.cross_entropy(m.readout(out[-1:]), ids[-1:])
    loss.backward()
    reach_x, reach_h = gradient_reach(m, TEXT, t)
    np.testing.assert_allclose(reach_x, x.grad.norm(dim=-1).numpy(), rtol=1e-8, atol=1e-14)
    assert reach_h.shape == (t + 1,)


@pytest.mark.parametrize("kind, gates", [("lstm", {"i", "f", "o"}), ("gru", {"r", "z"})])
def test_gate_saturation_counts_each_sigmoid_gate_units_nearly_shut_and_nearly_open_steps(kind, gates):
    m = model(kind)
    tr = reference(m, TEXT)
    fractions = gate_saturation(m, TEXT, low=0.3, high=0.7)
    assert set(fractions) == gates
    for gate in gates:
        values = np.concatenate([tr.gates[gate][:, layer, 0] for layer in (0, 1)], axis=1)  # (T, L·H)
        np.testing.assert_allclose(fractions[gate], np.stack([(values < 0.3).mean(0), (values > 0.7).mean(0)], 1))


def test_a_brushed_interval_selects_the_whole_steps_inside_it():
    from seqviz.language.lab import brushed_steps

    assert brushed_steps([103.4, 110.0], start=100, length=50) == (4, 11)
    assert brushed_steps([110.0, 103.4], start=100, length=50) == (4, 11)
    assert brushed_steps([90.0, 102.5], start=100, length=50) == (0, 3)
    assert brushed_steps([145.2, 170.0], start=100, length=50) == (46, 50)
    assert brushed_steps([103.2, 103.8], start=100, length=50) is None

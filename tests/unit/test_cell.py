"""run_cell, step_numbers and the step equations agree with torch and with the seeds' worked example."""
import re

import numpy as np
import pytest
import torch
from torch import nn

import seqviz
from harness.apptest import html_table_cells
from seqviz.cell.inputs import InputSpec, incident_events
from seqviz.cell.run import CellConfig, cell_states, final_state, run_cell, step_numbers
from seqviz.figures.equations import general_equations, step_table

SINE = InputSpec(source="sine", steps=12)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_seeds_vector_rnn_reaches_its_printed_hidden_states_on_the_incident_events():
    rnn = nn.RNN(3, 2)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor([[0.8, 0.2, 0.1], [0.1, 0.7, 0.4]]))
        rnn.weight_hh_l0.copy_(torch.tensor([[0.5, 0.1], [0.0, 0.6]]))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    tr = seqviz.trace(rnn, np.array(incident_events().x))
    np.testing.assert_allclose(cell_states(tr)["h"], [[0.664, 0.1], [0.494, 0.641], [0.39, 0.655]], atol=1e-3)


def test_cell_states_list_h_then_c_then_the_gates_in_torch_order():
    run = run_cell(CellConfig(cell="lstm", hidden_size=4, input=SINE))
    states = cell_states(run.trace)
    assert list(states) == ["h", "c", "i", "f", "g", "o"]
    assert all(v.shape == (12, 4) for v in states.values())


@pytest.mark.parametrize("cell", ["rnn-tanh", "lstm", "gru"])
def test_reversed_final_state_is_the_module_h_n_on_the_reversed_input(cell):
    config = CellConfig(cell=cell, hidden_size=5, num_layers=2, bidirectional=True, seed=3, input=SINE)
    run = run_cell(config)
    x_rev = torch.tensor(run.sequence.reversed().x)
    rev_trace = seqviz.trace(seqviz.build_model(config.kind, 1, 5, 2, True, seed=3,
                                                forget_bias=1.0 if cell == "lstm" else None), x_rev)
    for layer in range(2):
        for direction in range(2):
            np.testing.assert_allclose(run.reversed_final[layer, direction], final_state(rev_trace, layer, direction),
                                       atol=1e-5)


def test_incident_events_in_reverse_order_end_in_a_different_state():
    run = run_cell(CellConfig(cell="rnn-tanh", hidden_size=2, input=InputSpec(source="incident")))
    assert np.linalg.norm(final_state(run.trace) - run.reversed_final[0, 0]) > 1e-3


def test_forget_bias_sets_the_lstm_forget_gate_bias():
    low = run_cell(CellConfig(cell="lstm", hidden_size=4, init="xavier", forget_bias=-4.0, input=SINE))
    high = run_cell(CellConfig(cell="lstm", hidden_size=4, init="xavier", forget_bias=4.0, input=SINE))
    assert low.trace.gates["f"].max() < 0.5 < high.trace.gates["f"].min()


@pytest.mark.parametrize("cell", ["rnn-tanh", "rnn-relu", "lstm", "gru"])
@pytest.mark.parametrize("layer,direction", [(0, 0), (1, 1)])
def test_step_numbers_reproduce_the_traced_gates_and_state(cell, layer, direction):
    run = run_cell(CellConfig(cell=cell, hidden_size=6, num_layers=2, bidirectional=True, seed=1, input=SINE))
    s = step_numbers(run, layer, direction, t=5, units=[0, 4])
    a, b = s.input_part, s.recurrent_part
    if s.kind == "rnn":
        phi = np.tanh if cell == "rnn-tanh" else (lambda v: np.maximum(v, 0))
        np.testing.assert_allclose(phi(a[0] + b[0]), s.h, atol=1e-5)
    elif s.kind == "lstm":
        i, f, g, o = (s.gates[n] for n in "ifgo")
        np.testing.assert_allclose([sigmoid(a[0] + b[0]), sigmoid(a[1] + b[1]), np.tanh(a[2] + b[2]),
                                    sigmoid(a[3] + b[3])], [i, f, g, o], atol=1e-5)
        np.testing.assert_allclose(f * s.c_prev + i * g, s.c, atol=1e-5)
        np.testing.assert_allclose(o * np.tanh(s.c), s.h, atol=1e-5)
    else:
        r, z, n = (s.gates[k] for k in "rzn")
        np.testing.assert_allclose([sigmoid(a[0] + b[0]), sigmoid(a[1] + b[1]), np.tanh(a[2] + r * b[2])],
                                   [r, z, n], atol=1e-5)
        np.testing.assert_allclose((1 - z) * n + z * s.h_prev, s.h, atol=1e-5)


def test_step_numbers_start_from_zero_state():
    run = run_cell(CellConfig(cell="gru", hidden_size=3, input=SINE))
    s = step_numbers(run, 0, 0, t=0, units=[0, 1, 2])
    np.testing.assert_array_equal(s.h_prev, 0)


def test_step_numbers_refuse_a_step_or_unit_out_of_range():
    run = run_cell(CellConfig(cell="gru", hidden_size=3, input=SINE))
    with pytest.raises(ValueError, match="step must be from 0 to 11"):
        step_numbers(run, 0, 0, t=12, units=[0])
    with pytest.raises(ValueError, match="from 0 to 2"):
        step_numbers(run, 0, 0, t=0, units=[3])


def test_gru_equations_use_torch_convention_and_show_the_step_numbers():
    run = run_cell(CellConfig(cell="gru", hidden_size=3, input=SINE))
    s = step_numbers(run, 0, 0, t=4, units=[1])
    assert general_equations("gru", "tanh")[-1] == r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"
    header, *rows = html_table_cells(step_table(s))
    assert header == ["step t = 4", "unit j = 1"]
    assert [row[0] for row in rows] == ["x_t  this layer's input", "r  reset gate", "z  update gate", "n  candidate",
                                        "h  hidden state, (1 − z)·n + z·h_prev"]
    assert rows[0][1] == "(" + f"{float(run.sequence.x[4, 0]):.3f}".replace("-", "−") + ")"  # the sine at t = 4
    z, h = f"{s.gates['z'][0]:.3f}", f"{s.h[0]:.3f}".replace("-", "−")
    assert rows[2][1].startswith("σ(") and rows[2][1].endswith(f"= {z}")
    assert rows[4][1].startswith(f"(1 − {z})·") and rows[4][1].endswith(f"= {h}")


def numbers_in(cell: str) -> list[float]:
    """The signed numbers of a table cell, in order ("σ(0.1 − 0.2) = 0.475" → [0.1, -0.2, 0.475])."""
    return [float(n) for n in re.findall(r"-?\d+\.\d+", cell.replace("−", "-").replace(" - ", " + -"))]


def test_step_table_numbers_recompute_each_gate_and_state():
    """Every number in the LSTM table is recomputed here from its own factors (closed forms)."""
    run = run_cell(CellConfig(cell="lstm", hidden_size=4, input=SINE))
    s = step_numbers(run, 0, 0, t=5, units=[0, 3])
    header, *rows = html_table_cells(step_table(s))
    assert header == ["step t = 5", "unit j = 0", "unit j = 3"] and len(rows) == 7
    x_t, *rows = rows
    assert numbers_in(x_t[1]) == pytest.approx([run.sequence.x[5, 0]], abs=5e-4) and x_t[2] == ""
    for k in range(2):
        i, f, g, o, c, h = (numbers_in(row[k + 1]) for row in rows)
        for (a, b, value), gate, act in zip((i, f, g, o), "ifgo", (sigmoid, sigmoid, np.tanh, sigmoid)):
            assert abs(act(a + b) - value) < 2e-3 and abs(value - s.gates[gate][k]) <= 5e-4
        assert abs(c[0] * c[1] + c[2] * c[3] - c[4]) < 2e-3 and abs(c[4] - s.c[k]) <= 5e-4
        assert abs(h[0] * np.tanh(h[1]) - h[2]) < 2e-3 and abs(h[2] - s.h[k]) <= 5e-4


def test_backward_direction_equations_refer_to_the_next_step():
    assert "h_{t+1}" in general_equations("rnn", "relu", direction=1)[0]
    assert r"\operatorname{ReLU}" in general_equations("rnn", "relu")[0]


def test_config_outside_the_bounds_is_refused():
    with pytest.raises(ValueError, match="hidden size must be from 1 to 256"):
        run_cell(CellConfig(hidden_size=300, input=SINE))
    with pytest.raises(ValueError, match="cell must be one of rnn-tanh"):
        run_cell(CellConfig(cell="transformer", input=SINE))


def test_above_the_first_layer_the_equations_say_x_t_is_the_output_of_the_layer_below():
    assert len(general_equations("lstm", "tanh")) == 5 and len(general_equations("gru", "tanh")) == 4  # a gate a line
    plain = general_equations("rnn", "tanh", layer=1)
    assert plain[-1] == r"\text{layer 1 reads } x_t = h^{(0)}_t"
    both = general_equations("gru", "tanh", direction=1, layer=2, bidirectional=True)[-1]
    assert r"\overrightarrow{h}^{(1)}_t" in both and r"\overleftarrow{h}^{(1)}_t" in both


def test_step_table_writes_exploding_numbers_with_an_exponent():
    """An identity-initialised ReLU RNN on huge inputs: its pre-activations and states near float32's
    limit are written as 4 significant digits and an exponent, not 39 digits in full."""
    huge = InputSpec(source="csv", csv=b"3e37\n" * 4)
    run = run_cell(CellConfig(cell="rnn-relu", init="identity", hidden_size=2, input=huge))
    s = step_numbers(run, 0, 0, t=1, units=[0, 1])
    cells = [cell for row in html_table_cells(step_table(s))[1:] for cell in row[1:]]
    assert any(re.search(r"\d\.\d{3}e\+\d\d", cell) for cell in cells)
    assert all(len(number) <= 12 for cell in cells for number in re.findall(r"[\d.e+]+", cell))


def test_a_layers_input_is_the_sequence_or_the_layer_below_in_both_directions():
    from seqviz.cell.run import layer_input, layer_input_names

    run = run_cell(CellConfig(cell="gru", hidden_size=3, num_layers=2, bidirectional=True, input=SINE))
    np.testing.assert_array_equal(layer_input(run, 0), run.sequence.x)
    below = layer_input(run, 1)
    assert below.shape == (run.trace.steps, 6)
    np.testing.assert_array_equal(below[:, :3], run.trace.hidden[:, 0, 0])  # forward units, then backward
    np.testing.assert_array_equal(below[:, 3:], run.trace.hidden[:, 0, 1])
    assert layer_input_names(run, 1)[3] == "h← of layer 0, unit 0"
    numbers = step_numbers(run, 1, 0, t=2, units=[0])
    np.testing.assert_array_equal(numbers.x, below[2])



@pytest.mark.parametrize("cell,factor", [("lstm", "f"), ("gru", "z"), ("rnn-tanh", "tanh′"), ("rnn-relu", "ReLU′")])
def test_the_backward_pass_carries_the_gradient_norms_and_what_each_step_multiplies_in(cell, factor):
    from seqviz.cell.run import backward_pass

    run = run_cell(CellConfig(cell=cell, hidden_size=4, input=SINE))
    backward = backward_pass(run)
    np.testing.assert_array_equal(backward.grad_norm, run.trace.grad_hidden_norm[:, 0, 0])
    h = run.trace.hidden[:, 0, 0].astype(np.float64)
    expected = {"f": lambda: run.trace.gates["f"][:, 0, 0].mean(-1), "z": lambda: run.trace.gates["z"][:, 0, 0].mean(-1),
                "tanh′": lambda: (1 - h**2).mean(-1), "ReLU′": lambda: (h > 0).mean(-1)}[factor]()
    assert list(backward.passes) == [factor]
    np.testing.assert_allclose(backward.passes[factor], expected)

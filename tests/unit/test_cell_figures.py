"""Figures of the cell: traces, frames, titles, decimation notes and the payload bar."""
import json

import numpy as np
import pytest

from harness.apptest import scrub_heights
from seqviz.cell.params import compare_kinds
from seqviz.figures.cell import (
    COLORS,
    MAX_BAR_UNITS,
    cell_animation,
    frame_steps,
    order_matters,
    parameter_counts,
    shown_units,
    state_heatmaps,
    step_bars,
    step_scrub,
    time_bins,
    unit_lines,
)
from seqviz.figures.tables import table_texts

TWO_MB = 2 * 1024**2


def lstm_states(T, H, seed=0):
    rng = np.random.default_rng(seed)
    states = {name: rng.uniform(-1, 1, (T, H)).astype(np.float32) for name in ("h", "c", "g")}
    states |= {name: rng.uniform(0, 1, (T, H)).astype(np.float32) for name in ("i", "f", "o")}
    return {name: states[name] for name in ("h", "c", "i", "f", "g", "o")}


def labels(T):
    return tuple(f"t={t}" for t in range(T))


def spec(fig):
    return json.loads(fig.to_json())


def test_animation_has_a_bar_per_state_and_a_frame_per_step_when_small():
    fig = spec(cell_animation(lstm_states(30, 8), labels(30)))
    assert [trace["type"] for trace in fig["data"]] == ["bar"] * 2  # states row, gates row
    assert [len(trace["customdata"]) for trace in fig["data"]] == [3 * 8, 3 * 8]  # a bar per state and unit
    assert len(fig["frames"]) == 30 and all(len(frame["data"]) == 2 for frame in fig["frames"])
    assert len(fig["layout"]["sliders"][0]["steps"]) == 30
    assert [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]] == ["▶ play", "▶ slow", "▶▶ fast", "❚❚ pause"]
    assert [b["args"][1]["frame"]["duration"] for b in fig["layout"]["updatemenus"][0]["buttons"][:3]] == [80, 320, 20]
    assert fig["layout"]["title"]["text"] == "States and gates over time: press play or drag the slider"


def test_step_bars_show_every_state_at_the_chosen_step_on_fixed_ranges():
    states = lstm_states(12, 5)
    fig = step_bars(states, 7, "rollback requested")
    names = [[name.split()[0] for name, _ in trace.customdata] for trace in fig.data]
    assert names == [["h"] * 5 + ["c"] * 5 + ["g"] * 5, ["i"] * 5 + ["f"] * 5 + ["o"] * 5]
    assert [trace.yaxis for trace in fig.data] == ["y", "y2"]  # states row, gates row
    np.testing.assert_allclose(np.asarray(fig.data[1].y), np.concatenate([states[n][7] for n in "ifo"]), rtol=1e-6)
    assert [unit for _, unit in fig.data[1].customdata] == [0, 1, 2, 3, 4] * 3
    x, width = np.asarray(fig.data[1].x), fig.data[1].width  # unit j's three bars side by side around j
    np.testing.assert_allclose(x[[2, 7, 12]], [2 - width, 2, 2 + width], atol=1e-5)
    assert list(fig.data[1].marker.color) == [COLORS[n] for n in "ifo" for _ in range(5)]
    assert fig.layout.title.text == "States and gates at step t = 7 (rollback requested)"
    low, high = fig.layout.yaxis2.range
    gates = np.stack([states[n] for n in "ifo"])
    assert low <= gates.min() and high >= gates.max()
    low, high = fig.layout.yaxis.range
    assert low <= states["c"].min() and high >= states["c"].max()
    assert not fig.frames


def step_table_rows(t: int) -> list[dict]:
    return [{f"step t = {t}": "f  forget gate", "unit j = 0": f"σ({t} + 0.5) = {t / 10:.3f}", "value": t * 0.5},
            {f"step t = {t}": "h  hidden state", "unit j = 0": "−0.1", "value": -1.5 * t}]


@pytest.mark.parametrize("t", [0, 7, 11])
def test_step_scrub_holds_the_step_bars_of_every_step(t):
    states = lstm_states(12, 5)
    scrub, bars = step_scrub(states, labels(12)), step_bars(states, t, f"t={t}")
    assert scrub["steps"] == 12 and scrub["units"] == [0, 1, 2, 3, 4] and scrub["ticks"] == [0, 1, 2, 3, 4]
    for panel, trace in zip(scrub["panels"], bars.data, strict=True):
        np.testing.assert_array_equal(scrub_heights(panel, 12)[t], np.asarray(trace.y))
        assert panel["names"] == [name for name, _ in trace.customdata]
        assert panel["colours"] == list(trace.marker.color)
        np.testing.assert_allclose(panel["x"], trace.x)
        assert panel["width"] == pytest.approx(trace.width)
    assert [panel["range"] for panel in scrub["panels"]] == [list(bars.layout.yaxis.range), list(bars.layout.yaxis2.range)]
    assert scrub["title"] + str(t) + scrub["suffix"][t] == bars.layout.title.text
    assert scrub["table"] is None


def test_step_scrub_holds_every_steps_table_and_names_the_labelled_steps():
    scrub = step_scrub(lstm_states(4, 2), ("start", "t=1", "t=2", "end"), rows_at=step_table_rows)
    assert scrub["suffix"] == [" (start)", "", "", " (end)"]
    assert scrub["table"]["numeric"] == [False, False, True]
    for t in range(4):
        columns, _, cells = table_texts(step_table_rows(t))
        assert scrub["table"]["cells"][t] == [columns] + cells
    assert scrub["table"]["cells"][3][0][0] == "step t = 3" and scrub["table"]["cells"][3][2][2] == "−4.5"


def test_step_scrub_is_json_and_its_id_names_its_content():
    states = lstm_states(6, 3)
    scrub = step_scrub(states, labels(6), rows_at=step_table_rows)
    assert json.loads(json.dumps(scrub)) == scrub
    assert step_scrub(states, labels(6), rows_at=step_table_rows)["id"] == scrub["id"]
    assert step_scrub(lstm_states(6, 3, seed=1), labels(6), rows_at=step_table_rows)["id"] != scrub["id"]


def test_step_scrub_shows_spaced_units_of_a_wide_cell_and_says_so():
    scrub = step_scrub(lstm_states(3, 200), labels(3))
    assert len(scrub["units"]) == MAX_BAR_UNITS and scrub["ticks"] is None
    assert scrub["note"] == f"{MAX_BAR_UNITS} of 200 units shown to keep the page light"
    assert scrub_heights(scrub["panels"][0], 3).shape == (3, 3 * MAX_BAR_UNITS)


def test_step_scrub_declines_a_payload_over_its_budget():
    states = lstm_states(100, 16)
    size = len(json.dumps(step_scrub(states, labels(100), rows_at=step_table_rows)))
    assert step_scrub(states, labels(100), rows_at=step_table_rows, budget=2 * size) is not None
    assert step_scrub(states, labels(100), rows_at=step_table_rows, budget=size // 2) is None


def test_animation_frames_hold_the_states_of_their_step():
    states = lstm_states(10, 5)
    fig = cell_animation(states, labels(10))
    frame = fig.frames[7]
    assert frame.name == "7"
    for k, row in enumerate(("hcg", "ifo")):  # each frame trace holds its row's states at its step
        np.testing.assert_allclose(np.asarray(frame.data[k].y), np.concatenate([states[n][7] for n in row]), rtol=1e-6)


def test_animation_slider_hides_tick_labels_only_when_they_would_overlap():
    few = spec(cell_animation({"h": np.zeros((10, 2))}, labels(10)))["layout"]["sliders"][0]
    many = spec(cell_animation({"h": np.zeros((300, 2))}, labels(300)))["layout"]["sliders"][0]
    assert "font" not in few and many["font"]["color"] == "rgba(0,0,0,0)"
    assert many["currentvalue"]["prefix"] == "step t = "


def test_animation_slider_names_the_events():
    fig = spec(cell_animation({"h": np.zeros((3, 2))}, ("error logged", "reproduction confirmed", "rollback requested")))
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == [
        "0 error logged", "1 reproduction confirmed", "2 rollback requested"]


def test_animation_at_t500_h128_keeps_every_step():
    fig = cell_animation(lstm_states(500, 128), labels(500))
    assert len(fig.frames) == 500
    assert "64 of 128 units shown" in fig.layout.title.text


@pytest.mark.parametrize("make", ["animation", "heatmaps", "step_bars"])
def test_figure_for_t2000_h256_serialises_under_two_megabytes_and_says_it_was_reduced(make):
    states = lstm_states(2000, 256)
    fig = {"animation": lambda: cell_animation(states, labels(2000)), "heatmaps": lambda: state_heatmaps(states, 100),
           "step_bars": lambda: step_bars(states, 100, "t=100")}[make]()
    assert len(fig.to_json()) <= TWO_MB
    assert "to keep the page light" in fig.layout.title.text


def test_decimated_animation_says_how_many_frames_it_kept():
    fig = cell_animation(lstm_states(2000, 256), labels(2000))
    steps = frame_steps(2000, 6 * MAX_BAR_UNITS)
    assert len(fig.frames) == len(steps) < 2000
    assert f"one frame every {steps[1]} steps ({len(steps)} frames)" in fig.layout.title.text


def test_shown_units_are_all_units_up_to_the_limit_then_evenly_spaced():
    np.testing.assert_array_equal(shown_units(10), np.arange(10))
    units = shown_units(256)
    assert len(units) == MAX_BAR_UNITS and units[0] == 0 and units[-1] == 255


def test_heatmaps_are_units_by_time_with_the_current_step_marked():
    fig = spec(state_heatmaps(lstm_states(40, 7), current_step=12))
    assert len(fig["data"]) == 6 and all(t["type"] == "heatmap" for t in fig["data"])
    z = fig["data"][0]["z"]
    assert [int(n) for n in z["shape"].split(",")] == [7, 40]
    assert [s["x0"] for s in fig["layout"]["shapes"]] == [12] * 6
    assert "current step t = 12" in fig["layout"]["title"]["text"]


def test_heatmap_bins_average_the_steps_they_cover():
    states = {"h": np.arange(2000 * 256, dtype=np.float32).reshape(2000, 256) % 7}
    assert time_bins(2000, 256, 1, budget=256 * 100) == 20
    fig = state_heatmaps(states, budget=256 * 100)
    z = np.asarray(fig.data[0].z)
    assert z.shape == (256, 100)
    np.testing.assert_allclose(z[3, 0], states["h"][:20, 3].mean(), rtol=1e-6)


def test_unit_lines_draw_h_and_c_for_each_chosen_unit():
    fig = unit_lines(lstm_states(20, 6), [1, 4], current_step=3)
    assert [t.name for t in fig.data] == ["h[1]", "h[4]", "c[1]", "c[4]"]
    assert len(fig.data[0].x) == 20


def test_the_input_is_drawn_above_the_states_on_its_own_colour_scale():
    states, x = lstm_states(20, 6), np.linspace(-3, 3, 40).reshape(20, 2)
    fig = spec(state_heatmaps(states, 4, inputs=x))
    assert [t["name"] for t in fig["data"]] == ["x", "h", "c", "i", "f", "g", "o"]
    assert fig["data"][0]["coloraxis"] == "coloraxis3" and fig["layout"]["coloraxis3"]["cmax"] == pytest.approx(3.0)
    assert fig["layout"]["coloraxis2"]["colorbar"]["title"]["text"] == "h, c, g"  # x is not on the states' scale
    assert len(fig["layout"]["shapes"]) == 7  # the current step marked on every row, the input's too


def test_unit_lines_under_the_inputs_first_features():
    x = np.arange(20 * 6, dtype=float).reshape(20, 6)
    fig = unit_lines(lstm_states(20, 6), [1], current_step=3, inputs=x, input_names="abcdef")
    assert [t.name for t in fig.data] == ["a", "b", "c", "d", "h[1]", "c[1]"]  # the first 4 of 6 features
    assert {t.yaxis for t in fig.data[:4]} == {"y"} and {t.yaxis for t in fig.data[4:]} == {"y2"}
    assert fig.layout.annotations[0].text == "x_t  the layer's input (first 4 of 6)"
    np.testing.assert_allclose(np.asarray(fig.data[1].y), x[:, 1])


def test_order_matters_puts_both_final_states_side_by_side_with_their_gap():
    forward, backward = np.array([0.39, 0.655]), np.array([0.1, 0.2])
    fig = order_matters(forward, backward, ("error logged", "reproduction confirmed", "rollback requested"))
    assert len(fig.data) == 2
    np.testing.assert_allclose(np.asarray(fig.data[1].y), backward, rtol=1e-6)
    assert f"‖Δh‖ = {np.linalg.norm(forward - backward):.3g}" in fig.layout.title.text
    tiny = order_matters(forward, forward + 1e-4, tuple("ab"))
    assert "‖Δh‖ = 0.000141" in tiny.layout.title.text  # a nearly order-blind cell is not shown as 0.000
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "in order: error logged →<br>reproduction confirmed →<br>rollback requested"  # too long for a line
    assert titles[1].startswith("reversed: rollback requested →<br>")
    assert fig.layout.margin.t == 100 + 2 * 17
    short = order_matters(forward, backward, tuple("abcdef"))
    assert [a.text for a in short.layout.annotations][:2] == ["in order: a → … → f (6 steps)", "reversed: f → … → a (6 steps)"]


def test_parameter_chart_stacks_the_three_parts_and_shows_ratios():
    fig = parameter_counts(compare_kinds(3, 128), "I=3, H=128, L=1")
    assert len(fig.data) == 3 and list(fig.data[0].x) == ["RNN", "LSTM", "GRU"]
    texts = [a.text for a in fig.layout.annotations]
    assert any("4.00× RNN" in t for t in texts) and any("3.00× RNN" in t for t in texts)


def test_non_finite_states_leave_ranges_and_colour_scales_finite():
    states = lstm_states(20, 4)
    states["h"][5:, 0] = np.inf
    states["c"][5:, 1] = np.nan
    for fig in (cell_animation(states, labels(20)), step_bars(states, 6, "t=6"), state_heatmaps(states, 6)):
        text = json.dumps(fig.to_plotly_json()["layout"], default=str)
        assert "inf" not in text.lower() and "nan" not in text.lower()
    finite = np.concatenate([np.abs(states[n][np.isfinite(states[n])]) for n in ("h", "c", "g")])
    assert state_heatmaps(states, 6).layout.coloraxis2.cmax == pytest.approx(float(finite.max()))


def step_numbers_table(t: int) -> list[dict]:
    """Rows shaped like seqviz.figures.equations.step_rows for two units, different at every step t."""
    return [{f"step t = {t}": "f  forget gate", "unit j = 0": f"σ({t}.000 + 0.500) = 0.{t:03d}", "unit j = 3": "σ(0.1 + 0.2) = 0.5"},
            {f"step t = {t}": "c  cell state, f·c_prev + i·g", "unit j = 0": f"0.731·{t}.000 + 0.444·(−0.199) = −0.088",
             "unit j = 3": "1.000·1.000 + 1.000·1.000 = 2.000"}]


def test_animation_numbers_are_a_text_trace_that_every_frame_updates():
    fig = spec(cell_animation(lstm_states(12, 4), labels(12), numbers=step_numbers_table))
    grid = fig["data"][-1]
    assert grid["type"] == "scatter" and grid["mode"] == "text" and grid["xaxis"] == "x3"
    assert grid["text"] == fig["frames"][0]["data"][-1]["text"]
    for frame in fig["frames"]:
        t = int(frame["name"])
        assert frame["traces"] == [0, 1, 2]
        text = frame["data"][-1]["text"]  # column by column, each header first
        assert text[0] == f"step t = {t}" and text[3] == "unit j = 0" and text[6] == "unit j = 3"
        assert text[1:3] == ["f  forget gate", "c  cell state<br>f·c_prev + i·g"]  # a title breaks at its ", "
        originals = [row[key] for key in ("unit j = 0", "unit j = 3") for row in step_numbers_table(t)]
        assert [cell.replace("<br>", " ") for cell in text[4:6] + text[7:9]] == originals  # only broken into lines
    assert fig["frames"][5]["data"][-1]["text"][4] == "σ(5.000 + 0.500)<br>= 0.005"  # a sum in parentheses stays whole
    assert fig["frames"][5]["data"][-1]["text"][5] == "0.731·5.000 +<br>0.444·(−0.199)<br>= −0.088"


def test_animation_number_columns_and_rows_never_overlap_and_sit_under_the_bars():
    fig = cell_animation(lstm_states(12, 4), labels(12), numbers=step_numbers_table)
    x, y, layout = np.asarray(fig.data[-1].x), np.asarray(fig.data[-1].y), spec(fig)["layout"]
    columns = [sorted(set(y[x == left])) for left in sorted(set(x))]
    assert len(columns) == 3 and all(len(rows) == 3 for rows in columns)
    lefts = sorted(set(x))
    for j, left in enumerate(lefts[:-1]):  # each column starts past the previous column's longest line
        widest = max(len(line) for frame in fig.frames for text, at in zip(frame.data[-1].text, x)
                     if at == left for line in text.split("<br>"))
        assert lefts[j + 1] - left >= widest + 1
    rows = sorted(set(y), reverse=True)
    assert rows[0] - rows[1] >= 1 and rows[1] - rows[2] >= 2.5  # the c row is three lines tall
    assert layout["yaxis3"]["domain"][1] < layout["yaxis2"]["domain"][0] and layout["xaxis3"]["visible"] is False
    assert layout["height"] > spec(cell_animation(lstm_states(12, 4), labels(12)))["layout"]["height"]


def test_animation_numbers_count_in_its_budget_and_keep_it_under_two_megabytes():
    bars_only = cell_animation(lstm_states(500, 128), labels(500))
    with_numbers = cell_animation(lstm_states(500, 128), labels(500), numbers=step_numbers_table)
    assert len(bars_only.frames) == 500 > len(with_numbers.frames)  # the text takes its share of the budget
    assert f"({len(with_numbers.frames)} frames)" in with_numbers.layout.title.text
    big = cell_animation(lstm_states(2000, 256), labels(2000), numbers=step_numbers_table)
    assert len(big.to_json()) <= TWO_MB and len(with_numbers.to_json()) <= TWO_MB


def test_few_units_get_a_tick_each_and_many_plotlys_own():
    one = step_bars(lstm_states(5, 1), 0, "t=0")
    assert list(one.layout.xaxis.tickvals) == [0] and list(one.layout.xaxis2.tickvals) == [0]
    assert step_bars(lstm_states(5, 32), 0, "t=0").layout.xaxis.tickvals is None


def test_the_heatmaps_signed_colour_bar_names_only_the_models_own_states():
    rng = np.random.default_rng(0)
    lstm = {name: rng.uniform(-1, 1, (6, 3)) for name in ("h", "c", "i", "f", "g", "o")}
    gru = {name: rng.uniform(-1, 1, (6, 3)) for name in ("h", "r", "z", "n")}
    assert state_heatmaps(lstm).layout.coloraxis2.colorbar.title.text == "h, c, g"
    assert state_heatmaps(gru).layout.coloraxis2.colorbar.title.text == "h, n"


def test_the_backward_pass_plays_from_the_last_step_and_says_how_far_the_gradient_fell():
    from seqviz.cell.run import BackwardPass
    from seqviz.figures.cell import backward_animation

    norms = 10.0 ** -np.arange(20)[::-1]  # 1e-19 at t = 0 … 1 at t = 19: a decade per step back
    fig = spec(backward_animation(BackwardPass("lstm", norms, {"f": np.full(20, 0.1)}), labels(20)))
    names = [f["name"] for f in fig["frames"]]
    assert names[0] == "19" and names[-1] == "0" and names == sorted(names, key=int, reverse=True)
    by_name = {f["name"]: f for f in fig["frames"]}
    assert by_name["9"]["layout"]["title"]["text"].endswith("is 10^−10.0 of its size at the last step")
    assert fig["layout"]["sliders"][0]["steps"][0]["label"].startswith("19")
    frame_9 = backward_animation(BackwardPass("lstm", norms, {"f": np.full(20, 0.1)}), labels(20)).frames[10]
    revealed = np.asarray(frame_9.data[0].y, dtype=float)  # steps 9 … 19 shown, the rest not yet reached
    assert frame_9.name == "9" and np.isnan(revealed[:9]).all()
    np.testing.assert_allclose(revealed[9:], -np.arange(11)[::-1], rtol=1e-6)
    assert "forget gate" in fig["layout"]["annotations"][1]["text"]

"""Gradient-flow figures: zeros and infs are marked (never dropped), big heatmaps are decimated; the
Markdown and HTML tables of numbers."""
import json
import math

import numpy as np
import pytest

from harness.apptest import html_table_cells, table_cells
from seqviz.figures.gradients import (
    MAX_HEATMAP_CELLS,
    compare_figure,
    fit_table,
    gradient_time_figure,
    itemised_figure,
    phase_figure,
    spectrum_figure,
    training_figure,
    training_heatmap_figure,
)
from seqviz.figures.labels import decade_ticks, ordinal
from seqviz.figures.tables import HTML_CELL_STYLES, html_table, markdown_table
from seqviz.gradients.flow import FlowConfig, FlowResult, KindFlow, PhaseConfig, PhaseResult, SpectrumResult, decay_fit
from seqviz.gradients.training import TaskTrainConfig, TrainHistory


def flow(kind, norms):
    norms = np.asarray(norms, dtype=float)
    return KindFlow(kind, norms[:, None], norms.copy(), (decay_fit(norms),))


def test_underflowed_and_overflowed_steps_are_drawn_on_labelled_rows_below_and_above_the_data():
    result = FlowResult(FlowConfig(steps=5), {"rnn": flow("rnn", [0.0, 0.0, 1e-3, 1.0, np.inf])}, 0.1)
    fig = gradient_time_figure(result)
    assert [t.name for t in fig.data] == ["RNN ‖dL/dh_t‖", "RNN ‖dL/dx_t‖"]  # one line per series, no extra traces
    line = fig.data[0]
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext))
    floor, ceiling = line.y[0], line.y[4]
    assert line.y[1] == floor < 1e-3 and ceiling > 1.0 and line.y[3] == 1.0
    assert ticks[floor] == "0" and ticks[ceiling] == "∞/NaN"
    assert list(line.customdata) == ["exactly 0 (underflow)"] * 2 + ["0.001", "1", "inf/NaN (overflow)"]
    low, high = fig.layout.yaxis.range
    assert low < np.log10(floor) and high > np.log10(ceiling)  # both rows inside the axis


def test_markdown_table_formats_numbers_escapes_text_and_aligns_numeric_columns():
    text = markdown_table([{"model": "RNN", "‖dL/dx_0‖": np.float32(1.5e-7), "steps": np.int64(3), "M": np.inf},
                           {"model": "a|b $x", "‖dL/dx_0‖": -0.0123, "steps": 4, "M": np.nan}])
    lines = text.splitlines()
    assert lines[1] == "|:---|---:|---:|---:|"  # text left, numbers right
    assert table_cells(text) == [["model", r"‖dL/dx\_0‖", "steps", "M"], ["RNN", "1.5e−07", "3", "∞"],
                                 [r"a\|b \$x", "−0.0123", "4", "NaN"]]
    with pytest.raises(ValueError):
        markdown_table([])


def test_html_table_has_the_same_cells_as_text_escapes_markup_and_aligns_numeric_columns():
    rows = [{"model": "RNN", "‖dL/dx_0‖": np.float32(1.5e-7), "steps": np.int64(3), "M": np.inf},
            {"model": "<b>a</b> & $x", "‖dL/dx_0‖": -0.0123, "steps": 4, "M": np.nan}]
    text = html_table(rows)
    assert "<b>" not in text and "&lt;b&gt;a&lt;/b&gt; &amp; $x" in text  # shown literally, never as markup
    assert html_table_cells(text) == [["model", "‖dL/dx_0‖", "steps", "M"], ["RNN", "1.5e−07", "3", "∞"],
                                      ["<b>a</b> & $x", "−0.0123", "4", "NaN"]]
    right, left = (f'<td style="{HTML_CELL_STYLES[n]}">' for n in (True, False))
    assert text.count(right) == 6 and text.count(left) == 2  # numbers right, text left
    assert "<style" not in text  # inline styles only: no style sheet that comes and goes with the table
    with pytest.raises(ValueError):
        html_table([])


def test_fit_table_has_one_row_per_kind_with_the_fit_and_the_counts():
    result = FlowResult(FlowConfig(steps=5), {"rnn": flow("rnn", [0.0, 1e-4, 1e-3, 1e-2, np.inf]),
                                              "gru": flow("gru", [1e-4, 1e-3, 1e-2, 0.1, 1.0])}, 0.1)
    header, rnn, gru = table_cells(fit_table(result, 0))
    column = {name: k for k, name in enumerate(header)}
    assert [rnn[0], gru[0]] == ["RNN", "GRU"] and r"‖dL/dx\_4‖" in column
    assert gru[column["λ (decades/step)"]] == "−1" and gru[column["M (steps)"]] == "6"
    assert rnn[column["exact 0s"]] == "1" and rnn[column["inf/NaN"]] == "1"
    assert rnn[column["steps fitted"]] == "3" and rnn[column["last/first"]] == "∞"  # ‖dL/dx_0‖ is 0


def test_gradient_figure_has_a_log_axis_and_no_special_rows_when_everything_is_finite():
    result = FlowResult(FlowConfig(steps=3), {"gru": flow("gru", [0.1, 0.5, 1.0])}, 0.1)
    fig = gradient_time_figure(result)
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data] == ["GRU ‖dL/dh_t‖", "GRU ‖dL/dx_t‖"]
    assert not {"0", "∞/NaN"} & set(fig.layout.yaxis.ticktext)
    assert fig.layout.showlegend is False and "<span style='color:#2ca02c'>GRU</span>" in fig.layout.title.text
    assert all(trace.customdata is None for trace in fig.data)  # per-point hover texts only where needed


def test_decade_ticks_write_powers_of_ten_and_make_room_for_labels():
    ticks = decade_ticks(1e-3, 1e2)
    assert ticks["ticktext"] == ["10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "1", "10", "10²", "10³"]  # one beyond each end
    np.testing.assert_allclose(ticks["tickvals"], [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000])
    wide = decade_ticks(1e-300, 1e300)
    assert sum(1e-300 <= v <= 1e300 for v in wide["tickvals"]) <= 8
    assert "10⁻³⁰⁰" in wide["ticktext"] and "1" in wide["ticktext"]
    labelled = decade_ticks(1.5e-9, 1.0, {1.5e-9: "0 (underflow)"})
    assert labelled["ticktext"][-1] == "0 (underflow)" and "10⁻⁹" not in labelled["ticktext"]
    assert decade_ticks(0.15, 0.9)["ticktext"] == ["0.2", "0.5"]  # inside one decade: 1-2-5 steps
    assert decade_ticks(0.3, 0.9) == {}  # one tick would be too few: Plotly's own


def spectrum(T, n, failure_step=None):
    return SpectrumResult("rnn", 0, "float32", np.ones((T, n)), -np.arange(T)[::-1] * 1.0, failure_step,
                          "underflow" if failure_step is not None else None, 0.1)


def test_spectrum_figure_marks_the_failure_step():
    fig = spectrum_figure(spectrum(50, 4, failure_step=12))
    assert any("underflows at s = 12" in a.text for a in fig.layout.annotations)


def test_large_heatmaps_are_decimated_and_say_so():
    fig = spectrum_figure(spectrum(5000, 128))
    heat = fig.data[0]
    assert np.asarray(heat.z).size <= MAX_HEATMAP_CELLS
    assert any("every" in a.text for a in fig.layout.annotations)
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < 2_000_000


def test_itemised_figure_shares_one_colour_scale():
    G = np.tril(np.ones((6, 6))) * 0.1
    G[np.triu_indices(6, 1)] = np.nan
    fig = itemised_figure({"rnn": G, "lstm": G * 10})
    assert fig.data[0].zmin == fig.data[1].zmin == pytest.approx(-1.0)
    assert fig.data[0].zmax == fig.data[1].zmax == pytest.approx(0.0)


def test_phase_figure_centres_colour_on_zero_and_blanks_exact_zeros():
    result = PhaseResult(PhaseConfig(rhos=(0.5, 2.0), lengths=(2, 4)), np.array([[-3.0, -np.inf], [1.0, 2.0]]), 0.1)
    heat = phase_figure([result]).data[0]
    assert heat.zmid == 0 and np.isnan(np.asarray(heat.z, dtype=float)[0, 1])


def history(status="finished"):
    h = TrainHistory(TaskTrainConfig(clip="norm", clip_threshold=2.0), baseline=1 / 6)
    h.loss, h.raw_norm, h.clipped_norm, h.clipped = [0.5, 0.3, float("nan")], [3.0, 1.0, float("inf")], \
        [2.0, 1.0, float("inf")], [True, False, False]
    h.heatmap_updates, h.heatmap, h.status = [0], [np.array([0.0, 0.1, 1.0])], status
    return h


def test_training_figure_draws_the_baseline_and_the_clip_threshold_each_labelled_at_its_line():
    fig = training_figure(history())
    ys = sorted(s.y0 for s in fig.layout.shapes)
    assert ys == pytest.approx([1 / 6, 2.0])
    assert fig.layout.yaxis.type == fig.layout.yaxis2.type == "log"  # where an annotation's y is log₁₀ y
    labels = {a.text: (a.yref, a.y) for a in fig.layout.annotations if a.text.startswith(("memoryless", "c ="))}
    assert labels["memoryless baseline 0.1667"] == ("y", pytest.approx(math.log10(1 / 6)))
    assert labels["c = 2"] == ("y2", pytest.approx(math.log10(2.0)))


def test_training_figure_marks_where_a_run_went_nan():
    fig = training_figure(history("nan"))
    assert any("NaN" in a.text for a in fig.layout.annotations)


def test_training_heatmap_blanks_exact_zeros():
    z = np.asarray(training_heatmap_figure(history()).data[0].z, dtype=float)
    assert np.isnan(z[0, 0]) and z[0, 2] == 0.0


def test_compare_figure_overlays_every_run():
    fig = compare_figure({"a": history(), "b": history()})
    assert len(fig.data) == 4 and {t.name for t in fig.data} == {"a", "b"}


def test_a_training_heatmap_of_few_samples_ticks_each_sampled_update_and_names_the_interval():
    fig = training_heatmap_figure(history())
    assert list(fig.layout.yaxis.tickvals) == [0] and "batch of every 20th update" in fig.layout.title.text
    h = history()
    h.heatmap_updates, h.heatmap = list(range(0, 400, 20)), [np.ones(3)] * 20
    assert training_heatmap_figure(h).layout.yaxis.tickvals is None


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                     (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")])
def test_ordinals(n, text):
    assert ordinal(n) == text


def test_training_heatmap_draws_truncation_chunk_boundaries():
    h = history()
    h.config = TaskTrainConfig(truncation=1)
    fig = training_heatmap_figure(h)
    assert [s.x0 for s in fig.layout.shapes] == [0.5, 1.5]
    assert "chunk boundaries every 1 steps" in fig.layout.title.text

"""Attention figures: token labels, one revealed decoder step per frame, honest aggregates."""
import numpy as np

from seqviz.figures.attention import (
    alignment_figure,
    bottleneck_figure,
    divergence_histogram,
    exposure_figure,
    frame_steps,
    training_figure,
)
from seqviz.seq2seq.experiments import Alignment, ExposureResult, SweepConfig, SweepResult


def alignment(attention="bahdanau", source="112", output=("2", "1", "1", "</s>")):
    T, S = len(output), len(source)
    weights = np.full((T, S), 1.0 / S) if attention != "none" else None
    contexts = np.arange(T * 3, dtype=float).reshape(T, 3) if attention != "none" else None
    return Alignment(attention, source, "211", "211", output, weights, contexts, -0.5)


def test_frames_reveal_one_more_decoder_step_each():
    fig = alignment_figure([alignment()], ["bahdanau"])
    assert [f.name for f in fig.frames] == ["1", "2", "3", "4"]
    second = fig.frames[1].data[0].z
    assert list(second[1]) == [round(1 / 3, 4)] * 3
    assert list(second[2]) == [None] * 3
    assert list(fig.frames[1].data[1].y) == [3.0, 4.0, 5.0]  # c_1 appears with step 1
    assert "emitted '1'" in fig.frames[1].layout.title.text


def test_repeated_characters_keep_their_own_columns_and_rows():
    fig = alignment_figure([alignment()], ["bahdanau"])
    assert list(fig.layout.xaxis.ticktext) == ["1", "1", "2"] and list(fig.layout.xaxis.tickvals) == [0, 1, 2]
    assert list(fig.layout.yaxis.ticktext) == ["2", "1", "1", "⟨/s⟩"]
    assert fig.layout.yaxis.autorange == "reversed"


def test_long_outputs_are_decimated_to_at_most_25_frames_ending_on_the_last_step():
    steps = frame_steps(49)
    assert len(steps) <= 25 and steps[-1] == 49 and steps[0] == 2
    assert frame_steps(11) == list(range(1, 12))


def test_side_by_side_without_attention_says_so():
    fig = alignment_figure([alignment(), alignment("none")], ["bahdanau", "none"])
    assert len(fig.data) == 4
    assert any("no attention" in a.text for a in fig.layout.annotations)
    assert fig.layout.xaxis2.showticklabels is False and fig.layout.yaxis2.showticklabels is False  # no stray labels
    assert list(fig.layout.xaxis.ticktext) == list("112")


def test_training_curves_plot_the_history():
    fig = training_figure({"step": [50, 100], "loss": [1.0, 0.5], "accuracy": [0.2, 0.9]})
    assert list(fig.data[1].y) == [0.2, 0.9] and fig.layout.yaxis.type == "log"


def test_bottleneck_figure_plots_each_model_against_length():
    result = SweepResult(SweepConfig(lengths=(5, 10)), [5, 10], {"none": [0.9, 0.1], "bahdanau": [1.0, 0.95]},
                         {"none": [[1.0] * 5, [0.5] * 10], "bahdanau": [[1.0] * 5, [0.9] * 10]})
    fig = bottleneck_figure(result, 10)
    lines = {d.name: list(d.y) for d in fig.data if d.showlegend is not False}
    assert lines == {"no attention (s₀ only)": [0.9, 0.1], "attention: bahdanau": [1.0, 0.95]}
    assert len(fig.data[1].y) == 10


def test_divergence_histogram_counts_every_source_once():
    labels, counts = divergence_histogram([3, -1, 0, 3, -1, -1])
    assert labels == ["0", "3", "never"] and counts == [1, 2, 3]


def test_exposure_figure_marks_the_longest_trained_length():
    result = ExposureResult(12, 10, [1.0] * 12, [0.9] * 12, 0.8, 0.3, [5, -1], ("1", "1", "1", "1"))
    fig = exposure_figure(result)
    assert [d.name for d in fig.data[:2]] == ["teacher-forced", "free-running"]
    assert fig.layout.shapes[0].x0 == 9.5
    assert sum(fig.data[2].y) == 2
    dates = exposure_figure(ExposureResult(None, None, [1.0] * 9, [0.9] * 9, 0.8, 0.3, [5, -1], ("1", "1", "1", "1")))
    assert not dates.layout.shapes and dates.layout.annotations[0].text == "per-position accuracy"

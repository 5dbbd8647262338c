"""The Language lab's figures: what each shows, built from data alone."""
import json

import numpy as np

from seqviz.figures.language import (
    activation_chart,
    coloured_text,
    distribution_figure,
    reach_figure,
    saturation_figure,
    visible,
)


def test_coloured_text_keeps_every_character_escaped_with_its_value_on_hover():
    html = coloured_text("a<b\n", np.array([0.5, -1.0, 2.0, 0.0]), scale=1.0, start=10)
    assert html.count("<span") == 4
    assert "&lt;" in html and 'title="t=11 &lt;: -1.000"' in html
    assert "rgba(214,39,40,0.50)" in html  # half-opaque red for +0.5
    assert "rgba(31,119,180,1.00)" in html  # opaque blue for −1
    assert "rgba(214,39,40,1.00)" in html  # 2.0 saturates at the scale
    assert "↵</span>\n" in html


def test_invisible_characters_get_visible_labels():
    assert [visible(c) for c in " \n\tx\x07"] == ["␣", "↵", "⇥", "x", "U+0007"]


def test_saturation_scatter_has_one_trace_per_gate_and_the_diagonal():
    fractions = {"i": np.array([[0.1, 0.2], [0.5, 0.4]]), "f": np.array([[0.0, 0.9]])}
    fig = saturation_figure(fractions, "LSTM gates")
    assert [t.name for t in fig.data[:2]] == ["i", "f"]
    assert list(fig.data[1].y) == [0.9]
    assert fig.layout.template.layout.paper_bgcolor == "rgba(0, 0, 0, 0)"


def test_the_activation_chart_carries_an_interval_brush_named_span():
    chart = activation_chart(np.zeros((5, 2)), [3, 7], "ab\ncd", start=100, threshold=0.3)
    spec = chart.to_dict()
    (brush,) = spec["params"]
    assert brush["name"] == "span" and brush["select"] == {"type": "interval", "encodings": ["x"]}
    data = spec["datasets"][spec["layer"][0]["data"]["name"]]
    assert len(data) == 10 and data[0]["step"] == 100 and data[4]["character"] == "↵"


def test_the_distribution_shows_p_and_the_renormalised_q_with_the_kept_mass():
    p = np.array([0.1, 0.6, 0.3])
    q = np.array([0.0, 0.6 / 0.9, 0.3 / 0.9])
    fig = distribution_figure(p, q, "abc", chosen=2, title="step 4")
    assert list(fig.data[0].x) == ["b", "c", "a"]
    assert "kept mass 90.0% of p" in fig.layout.title.text
    assert "chosen c" in fig.layout.title.text


def test_gradient_reach_is_drawn_on_a_log_axis_by_characters_back():
    fig = reach_figure({"rnn": np.array([1e-6, 1e-3, 1.0]), "lstm": np.array([0.0, 0.1, 1.0])}, "xyz", "reach")
    assert fig.layout.yaxis.type == "log"
    assert list(fig.data[0].x) == [2, 1, 0]
    assert json.loads(fig.to_json())["data"][1]["y"][0] is None  # an exact zero has no place on a log axis


def test_a_units_line_has_one_point_per_character_with_the_character_on_hover():
    from seqviz.figures.language import unit_figure

    fig = unit_figure(np.array([0.1, -0.2, 0.3]), "a\nb", start=7, title="hidden of unit 3")
    assert list(fig.data[0].x) == [7, 8, 9] and list(fig.data[0].customdata) == ["a", "↵", "b"]

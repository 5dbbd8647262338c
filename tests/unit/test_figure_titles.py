"""Every title a figure sends is {"text": …}: plotly.js 4 (the copy plotly.py ships, which the instant views
load) draws nothing for a title given as a bare string, and figures built unvalidated
(seqviz.figures.unvalidated) are not converted by plotly.py on the way."""
import json

import numpy as np

from seqviz.figures.cell import state_heatmaps
from seqviz.figures.language import distribution_figure, reach_figure, saturation_figure, unit_figure
from tests.unit.test_cell_figures import lstm_states


def bare_string_titles(tree, path="") -> list[str]:
    """Paths of every "title" in a figure's JSON whose value is a string."""
    if isinstance(tree, dict):
        return [f"{path}.{key}" for key, value in tree.items() if key == "title" and isinstance(value, str)] + \
            [p for key, value in tree.items() for p in bare_string_titles(value, f"{path}.{key}")]
    if isinstance(tree, list):
        return [p for k, item in enumerate(tree) for p in bare_string_titles(item, f"{path}[{k}]")]
    return []


def test_the_unvalidated_figures_give_every_title_as_text():
    p = np.linspace(1, 0.1, 30) / np.linspace(1, 0.1, 30).sum()
    figures = [unit_figure(np.linspace(-1, 1, 50), "x" * 50, 0, "hidden of unit 3"),
               saturation_figure({"i": np.random.default_rng(0).random((8, 2))}, "LSTM"),
               distribution_figure(p, p, "abcdefghijklmnopqrstuvwxyz0123", 0, "after 'de'"),
               reach_figure({"lstm": np.linspace(1, 0.01, 40)}, "x" * 40, "reach"),
               state_heatmaps(lstm_states(40, 7), current_step=12)]
    layouts = [json.loads(figure.to_json())["layout"] for figure in figures]
    for layout in layouts:
        assert bare_string_titles(layout) == [], bare_string_titles(layout)
    assert all(layout["xaxis"]["title"]["text"] for layout in layouts[:4])  # the language figures' axes are named
    assert {a["colorbar"]["title"]["text"] for a in (layouts[4]["coloraxis"], layouts[4]["coloraxis2"])} == \
        {"gates", "h, c, g"}

"""seqviz's Plotly template travels with every figure, however it was built, and Plotly's global
default is left alone."""
import subprocess
import sys

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from harness.apptest import ROOT, app_test, page_figures
from seqviz.figures import theme, unvalidated


def test_importing_the_figures_leaves_plotlys_default_template_alone():
    code = ("import plotly.io as pio; before = pio.templates.default; "
            "import seqviz.figures.attention, seqviz.figures.cell, seqviz.figures.gradients, seqviz.figures.ssm; "
            "print(pio.templates.default == before, 'seqviz' in pio.templates)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]


def test_unvalidated_validated_and_subplot_figures_all_carry_it():
    figures = [unvalidated.figure([dict(type="scatter", y=[1, 2])], {}), theme.themed(go.Figure(go.Scatter(y=[1, 2]))),
               theme.themed(make_subplots(rows=2, cols=1))]
    for fig in figures:
        layout = fig.layout.template.layout
        assert layout.paper_bgcolor == layout.plot_bgcolor == "rgba(0, 0, 0, 0)"
        assert list(layout.colorway) == list(theme.TEMPLATE.layout.colorway)
        assert "Source Sans 3" in fig.to_html(include_plotlyjs=False)  # a downloaded figure looks as on the page


def test_a_themed_figure_still_validates_what_it_is_given():
    fig = theme.themed(go.Figure())
    with pytest.raises(ValueError):
        fig.update_layout(paper_bgcolour="red")


def _colours(node, path=""):
    """(path, value) of every string colour set in a figure's JSON (colour scales aside)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("colorscale", "template"):
                continue
            if key.endswith("color") and isinstance(value, str):
                yield f"{path}.{key}", value
            else:
                yield from _colours(value, f"{path}.{key}")
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _colours(value, f"{path}[{k}]")


def _luminance(colour: str) -> float | None:
    """Relative luminance of a hex, rgb() or rgba() colour with alpha above 0.5 (None otherwise)."""
    named = {"black": "#000000", "white": "#ffffff"}
    colour = named.get(colour.strip().lower(), colour.strip())
    if colour.startswith("#") and len(colour) == 7:
        rgb, alpha = [int(colour[k:k + 2], 16) for k in (1, 3, 5)], 1.0
    elif colour.startswith("rgb"):
        parts = [float(p) for p in colour[colour.index("(") + 1:-1].split(",")]
        rgb, alpha = parts[:3], parts[3] if len(parts) == 4 else 1.0
    else:
        return None
    if alpha <= 0.5:
        return None
    linear = [(c / 255 / 12.92) if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


VIEWS = [("pages/inside_the_cell.py", {}), ("pages/inside_the_cell.py", {"cell_tab": "Heatmaps: units × time"}),
         ("pages/gradient_flow.py", {}), ("pages/gradient_flow.py", {"grad_view": "Jacobian spectrum"}),
         ("pages/attention.py", {}), ("pages/attention.py", {"attn_view": "Alignment"}), ("pages/state_space_models.py", {}),
         ("pages/state_space_models.py", {"ssm_view": "Memory (HiPPO)"})]


@pytest.mark.parametrize("page, query", VIEWS)
def test_no_chart_draws_in_black_or_white_which_vanish_on_one_of_streamlits_themes(page, query):
    at = app_test(page, **query).run()
    assert not at.exception
    specs = page_figures(at)  # the instant views' too (seqviz.ui.components.instant)
    assert specs
    vanishing = [(path, colour) for spec in specs for path, colour in _colours(spec)
                 if (lum := _luminance(colour)) is not None and not 0.02 < lum < 0.85]
    assert vanishing == []
    assert all(spec["layout"]["template"]["layout"]["font"]["family"] == theme.FONT for spec in specs)

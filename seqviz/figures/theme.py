"""seqviz's own Plotly template, the default for every figure the process builds.

The pages draw their charts with Streamlit's theme turned off (`seqviz.ui.charts.plotly_chart`):
restyling a figure in the browser with Streamlit's theme made the trivial page's chart reach the
screen ~29 ms later and the cell's and the state-space kernels' ~30 ms later (variant pages in
Chromium, 16 changes each). The template gives them a look of their own instead, the same on screen
as in a downloaded HTML file: transparent backgrounds, translucent grey grid lines and mid-grey text,
so a chart reads on Streamlit's light and dark themes alike, D3 colours, and Streamlit's font.
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

NAME = "seqviz"
GRID = "rgba(128, 128, 128, 0.3)"
TEXT = "rgba(128, 128, 128, 1)"  # mid grey: readable on white and on Streamlit's dark background
FONT = '"Source Sans", "Source Sans 3", "Source Sans Pro", sans-serif'  # Streamlit's web font first
_AXIS = dict(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID, automargin=True)

TEMPLATE = go.layout.Template(layout=dict(
    paper_bgcolor="rgba(0, 0, 0, 0)", plot_bgcolor="rgba(0, 0, 0, 0)", colorway=qualitative.D3,
    font=dict(family=FONT, size=14, color=TEXT), title=dict(font=dict(size=16)),
    xaxis=_AXIS, yaxis=_AXIS,
    coloraxis=dict(colorbar=dict(outlinewidth=0)),
))


def use_as_default() -> None:
    """Register the template and make it Plotly's default for figures built from now on."""
    pio.templates[NAME] = TEMPLATE
    pio.templates.default = NAME

"""seqviz's own Plotly template, which every figure function gives its figure (`themed`).

The pages draw their charts with Streamlit's theme turned off (`seqviz.ui.charts.plotly_chart`):
restyling each figure in the browser with Streamlit's theme delayed it on screen. The template gives
them a look of their own instead, the same on screen as in a downloaded HTML file: transparent
backgrounds, translucent grey grid lines and mid-grey text, so a chart reads on Streamlit's light and
dark themes alike (animation buttons and sliders too), D3 colours, and Streamlit's font. One grey
cannot reach 4.5:1 contrast on both white and Streamlit's dark background; this one gives about 4:1
and 4.6:1.

The template travels with each figure, not as Plotly's global default: importing seqviz changes
nothing for other Plotly users in the same process.
"""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative

GRID = "rgba(128, 128, 128, 0.3)"
TEXT = "rgba(128, 128, 128, 1)"  # mid grey: readable on white and on Streamlit's dark background
FONT = '"Source Sans", "Source Sans 3", "Source Sans Pro", sans-serif'  # Streamlit's web font first
# A horizontal legend under a chart, placed from the figure's bottom edge: Plotly keeps the x axes' titles
# clear of it. One placed at a fraction of the plot's height (y=-0.28) sat on those titles once the plot was
# short or the entries wrapped onto a second line in a narrow window.
LEGEND_BELOW = dict(orientation="h", yref="container", yanchor="bottom", y=0.0, x=0.0)
_AXIS = dict(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID, automargin=True)

TEMPLATE = go.layout.Template(layout=dict(
    paper_bgcolor="rgba(0, 0, 0, 0)", plot_bgcolor="rgba(0, 0, 0, 0)", colorway=qualitative.D3,
    font=dict(family=FONT, size=14, color=TEXT), title=dict(font=dict(size=16)),
    xaxis=_AXIS, yaxis=_AXIS,
    coloraxis=dict(colorbar=dict(outlinewidth=0)),
    # animation controls: translucent like the grid, not Plotly's white boxes, which glare on a dark page
    updatemenudefaults=dict(bgcolor="rgba(128, 128, 128, 0.15)", bordercolor=GRID, font=dict(color=TEXT)),
    sliderdefaults=dict(bgcolor="rgba(128, 128, 128, 0.25)", bordercolor=GRID, activebgcolor=TEXT, tickcolor=GRID,
                        font=dict(color=TEXT), currentvalue=dict(font=dict(color=TEXT))),
))


def themed(fig: go.Figure) -> go.Figure:
    """`fig` with seqviz's template, set the way Plotly sets its default template on a new figure:
    without validating the template again for every figure (TEMPLATE is validated once, above)."""
    layout = fig.layout
    validate, layout._validate = layout._validate, False
    try:
        layout.template = TEMPLATE
    finally:
        layout._validate = validate
    return fig

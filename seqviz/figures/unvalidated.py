"""Plotly figures written as dicts, for the figures redrawn on every change of a page's main control.

`plotly.graph_objects` validates every property it is given and `make_subplots` builds its grid the
same way; for a figure with a few traces that costs more than the numbers behind it. The helpers
here write the dicts to Plotly's schema directly and skip validation: `figure` wraps them (with
seqviz's template), `axis` names subplot axes, and the two layouts place subplots in one column
(`stacked_layout`) or one row (`row_layout`) with their titles as annotations, as make_subplots does.
"""
from __future__ import annotations

import plotly.graph_objects as go

from seqviz.figures.theme import themed


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A figure from trace, layout and frame dicts, unvalidated (they must follow Plotly's schema), in
    seqviz's template."""
    placeholder = {"template": {}}  # a template of its own: Plotly's default is not copied in first
    return themed(go.Figure(data=data, layout={**layout, **placeholder}, frames=frames, _validate=False))


def axis(prefix: str, k: int) -> str:
    """Name of subplot k's axis (1-based): axis("x", 1) = "x", axis("yaxis", 2) = "yaxis2"."""
    return prefix if k == 1 else f"{prefix}{k}"


def _title(text: str, x: float, y: float) -> dict:
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                showarrow=False, font=dict(size=14))


def stacked_layout(titles: list[str], x_title: str, spacing: float) -> dict:
    """Layout of len(titles) subplots stacked in one column, sharing the bottom x axis."""
    n = len(titles)
    height = (1 - spacing * (n - 1)) / n
    layout = {"annotations": []}
    for row, title in enumerate(titles, start=1):
        top = round(1 - (row - 1) * (height + spacing), 6)
        layout[axis("yaxis", row)] = dict(domain=[max(0.0, round(top - height, 6)), top], anchor=axis("x", row))
        layout[axis("xaxis", row)] = dict(anchor=axis("y", row), showticklabels=row == n,
                                          **({} if row == 1 else {"matches": "x"}))
        layout["annotations"].append(_title(title, 0.5, top))
    layout[axis("xaxis", n)]["title"] = dict(text=x_title)
    return layout


def row_layout(titles: list[str], widths: list[float] | None = None, gap: float = 0.08) -> dict:
    """Layout of len(titles) subplots side by side in one row; `widths` are relative column widths."""
    n = len(titles)
    widths = widths or [1.0] * n
    scale = (1 - gap * (n - 1)) / sum(widths)
    layout, left = {"annotations": []}, 0.0
    for col, (title, width) in enumerate(zip(titles, widths), start=1):
        right = left + width * scale
        domain = [round(left, 6), round(min(right, 1.0), 6)]
        layout[axis("xaxis", col)] = dict(domain=domain, anchor=axis("y", col))
        layout[axis("yaxis", col)] = dict(anchor=axis("x", col))
        layout["annotations"].append(_title(title, sum(domain) / 2, 1.0))
        left = right + gap
    return layout

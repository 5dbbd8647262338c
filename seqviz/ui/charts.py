"""Drawing a Plotly figure on a page: Streamlit's own chart, without Streamlit's chart theme.

Every figure already carries seqviz's template (seqviz.figures.theme); with Streamlit's theme on,
the browser restyled each figure again before drawing it, which held every changed chart back
(docs/performance.md).
"""
from __future__ import annotations

import streamlit as st


def plotly_chart(figure, container=st, **kwargs):
    """`container.plotly_chart(figure, theme=None, **kwargs)`: the figure as its template draws it."""
    return container.plotly_chart(figure, theme=None, **kwargs)

"""Section headings written as Markdown, for pages whose main control reruns a fragment.

An st.subheader (or st.header) element is drawn again at each of the three script-state changes of
every rerun, fragment reruns included, and ten of them delayed the chart a fragment redrew by about
15 ms in Chromium; the same headings as Markdown cost nothing measurable (variant pages, 20 changes
each). Streamlit styles a Markdown heading like its own heading elements, anchor link included.
"""
from __future__ import annotations

import streamlit as st

from seqviz.figures.plain import escape_markdown


def subheader(text: str) -> None:
    """A level-3 heading showing `text` literally (Markdown's special characters escaped)."""
    st.markdown(f"### {escape_markdown(text)}")

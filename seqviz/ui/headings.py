"""Section headings written as Markdown, for pages whose main control reruns a fragment.

An st.subheader (or st.header) element is drawn again at each of the three script-state changes of
every rerun, fragment reruns included, which delays the chart a fragment redraws; the same headings
as Markdown do not. Streamlit styles a Markdown heading like its own heading elements, anchor link
included.
"""
from __future__ import annotations

import streamlit as st

from seqviz.figures.tables import escape_markdown


def subheader(text: str) -> None:
    """A level-3 heading showing `text` literally (Markdown's special characters escaped)."""
    st.markdown(f"### {escape_markdown(text)}")

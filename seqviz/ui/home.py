"""The home page: what seqviz is and one link and two lines per page."""
from __future__ import annotations

import streamlit as st

from seqviz.ui.registry import discover_pages
from seqviz.ui.sidebar import SHARED_KEYS
from seqviz.ui.state import link_query


def render_home() -> None:
    st.title("seqviz")
    st.markdown(
        "Watch recurrent sequence models work: hidden and cell states, gates, gradients through time, "
        "attention and state-space kernels, computed by real PyTorch modules while you change the settings."
    )
    pages = discover_pages()
    if not pages:
        st.info("No pages are installed yet.")
    for page in pages:
        st.page_link(str(page.path), label=f"**{page.title}**", icon=page.icon,
                     query_params=link_query(page.url_path, SHARED_KEYS))
        st.caption(page.summary)

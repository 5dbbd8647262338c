"""The latency yardstick inside seqviz's own shell: benchmarks/trivial_app.py's slider and chart as a page
of the app (navigation, shared sidebar, title), in a fragment as the real pages' main controls are.
benchmarks/latency.py adds it to the app it serves; its ratio to the one-file trivial page is the part
of every page's ratio that the app shell costs before the page does any work of its own."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from seqviz.ui.sidebar import shared_settings

TITLE = "Trivial page in the app"
ICON = ":material/speed:"
SUMMARY = "Benchmark-only: one slider, one chart, inside the app's navigation and sidebar."
ORDER = 990
MAIN_CONTROL = "Points"

st.title(TITLE)
shared_settings()


@st.fragment
def chart() -> None:
    n = st.slider(MAIN_CONTROL, 2, 200, 20)
    st.plotly_chart(go.Figure(go.Scatter(y=np.sin(np.arange(n) / 3.0), mode="lines+markers")))


chart()

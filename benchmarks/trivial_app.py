"""The latency yardstick: one slider, one small chart, no model. benchmarks/latency.py compares
every seqviz page with this page, measured the same way in the same run."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

MAIN_CONTROL = "Points"

n = st.slider(MAIN_CONTROL, 2, 200, 20)
st.plotly_chart(go.Figure(go.Scatter(y=np.sin(np.arange(n) / 3.0), mode="lines+markers")))

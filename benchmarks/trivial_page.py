"""The smallest Streamlit page worth timing: one slider, one Plotly line chart (baseline for benchmarks)."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

frequency = st.slider("Frequency", 1, 50, 3, key="frequency")
t = np.linspace(0, 1, 500)
st.plotly_chart(go.Figure(go.Scatter(x=t, y=np.sin(2 * np.pi * frequency * t))))

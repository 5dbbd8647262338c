"""Figures of the Recurrence-vs-attention page: who looks at whom, what each model learns, what a token costs.

Pure functions: numpy arrays and dicts in, Plotly figures out (no torch, no Streamlit). Token
matrices are drawn with row t (the output) down and column s (the input) across, each cell's hover
naming both tokens.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.figures.labels import data_decade_ticks
from seqviz.figures.theme import LEGEND_BELOW, themed

MODEL_COLORS = {"lstm": "#2ca02c", "gru": "#9467bd", "s4d": "#1f77b4", "mamba": "#d62728", "transformer": "#ff7f0e",
                "transformer (sinusoidal)": "#ff7f0e", "transformer (learned)": "#8c564b",
                "transformer (none)": "#7f7f7f"}
MODEL_NAMES = {"lstm": "LSTM", "gru": "GRU", "s4d": "S4D", "mamba": "Mamba (S6)", "transformer": "Transformer",
               "transformer (sinusoidal)": "Transformer, sinusoidal", "transformer (learned)": "Transformer, learned",
               "transformer (none)": "Transformer, no positions"}
VISIBLE = str.maketrans({" ": "␣", "\n": "⏎", "\t": "⇥"})


def display_name(kind: str) -> str:
    """A model's name as the figures write it; a key ending in " (live)" is a run trained on the page."""
    base, live = (kind.removesuffix(" (live)"), kind.endswith(" (live)"))
    return MODEL_NAMES.get(base, base) + (", live" if live else "")


def token_labels(chars: list[str]) -> list[str]:
    """'position:character' for each token, whitespace made visible (␣, ⏎, ⇥)."""
    return [f"{i}:{c.translate(VISIBLE)}" for i, c in enumerate(chars)]


def _matrix_trace(z: np.ndarray, labels: list[str], what: str, **style) -> go.Heatmap:
    """A heatmap of z (l, l) whose hover reads 'output t ← input s: value'."""
    return go.Heatmap(z=z, x=labels, y=labels, hovertemplate=f"output %{{y}} ← input %{{x}}<br>{what} = %{{z:.3g}}"
                                                               "<extra></extra>", **style)


def looks_figure(attention: np.ndarray, mamba: np.ndarray, lstm: np.ndarray, chars: list[str]) -> go.Figure:
    """Who looks at whom on one input: the Transformer's attention (layers, heads, l, l) in [0, 1], one heatmap per
    layer (rows) and head, over a last row with Mamba's mean |α[t, s]| and an LSTM's ‖∂y_t/∂x_s‖ (each (l, l), each
    on its own colour scale). One figure, so that an instant view can send it whole."""
    layers, heads = attention.shape[:2]
    cols = int(np.lcm(heads, 2))  # a head spans cols/heads columns, Mamba and the LSTM cols/2 each
    head_row = [{"colspan": cols // heads} if c % (cols // heads) == 0 else None for c in range(cols)]
    last_row = [{"colspan": cols // 2} if c % (cols // 2) == 0 else None for c in range(cols)]
    titles = [f"Transformer: layer {i + 1}, head {j + 1}" for i in range(layers) for j in range(heads)]
    fig = make_subplots(rows=layers + 1, cols=cols, specs=[head_row] * layers + [last_row],
                        subplot_titles=titles + ["Mamba: mean |α[t, s]|", "LSTM: ‖∂y_t/∂x_s‖"],
                        horizontal_spacing=0.09, vertical_spacing=0.1 / layers,
                        row_heights=[1.0] * layers + [1.3])
    labels = token_labels(chars)
    for i in range(layers):
        for j in range(heads):
            fig.add_trace(_matrix_trace(attention[i, j], labels, "weight A", coloraxis="coloraxis"),
                          row=i + 1, col=j * (cols // heads) + 1)
    fig.add_trace(_matrix_trace(mamba, labels, "mean |α|", coloraxis="coloraxis2"), row=layers + 1, col=1)
    fig.add_trace(_matrix_trace(lstm, labels, "‖∂y/∂x‖", coloraxis="coloraxis3"), row=layers + 1, col=cols // 2 + 1)
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    bottom = fig.get_subplot(layers + 1, 1).yaxis.domain

    def under(col: int, title: str) -> dict:  # a horizontal colour bar under the bottom row's subplot at `col`
        left, right = fig.get_subplot(layers + 1, col).xaxis.domain
        return dict(orientation="h", x=(left + right) / 2, xanchor="center", len=right - left, y=bottom[0] - 0.02,
                    yanchor="top", thickness=10, title=dict(text=title, side="top"))

    fig.update_layout(
        title="who looks at whom: row = output t, column = input s (hover for the tokens)",
        coloraxis=dict(colorscale="Viridis", cmin=0, cmax=1,
                       colorbar=dict(title="A", thickness=12, y=1, yanchor="top", len=1 - bottom[1])),
        coloraxis2=dict(colorscale="Viridis", colorbar=under(1, "Mamba |α|")),
        coloraxis3=dict(colorscale="Viridis", colorbar=under(cols // 2 + 1, "LSTM ‖∂y/∂x‖")),
        margin=dict(b=110),
        height=260 * layers + 460)
    return themed(fig)


def accuracy_figure(accuracy: dict[str, dict[int, float]], params: dict[str, int]) -> go.Figure:
    """Held-out answer accuracy (%) against sequence length, one line per model with its parameter count."""
    fig = go.Figure()
    for kind, per_length in accuracy.items():
        lengths = sorted(per_length)
        count = f" ({params[kind]:,} params)" if kind in params else ""
        fig.add_trace(go.Scatter(x=lengths, y=[100 * per_length[l] for l in lengths], mode="lines+markers",
                                 name=MODEL_NAMES.get(kind, kind) + count, line=dict(color=MODEL_COLORS.get(kind))))
    fig.update_layout(title="accuracy on the answer tokens (held-out batch), same budget",
                      xaxis_title="sequence length", yaxis_title="accuracy (%)", yaxis_range=[0, 105], height=420,
                      legend=LEGEND_BELOW)
    fig.update_xaxes(type="log", tickvals=sorted({l for v in accuracy.values() for l in v}))
    return themed(fig)


def generalisation_figure(generalisation: dict[str, dict[int, float]], train_length: int) -> go.Figure:
    """Grouped bars: accuracy (%) of each model trained at L, tested at L, 2L and 4L."""
    lengths = sorted({l for v in generalisation.values() for l in v})
    names = [display_name(k).replace(", ", "<br>") for k in generalisation]  # two short lines per model
    fig = go.Figure([go.Bar(x=names, y=[100 * v.get(l, np.nan) for v in generalisation.values()],
                            name=f"tested at {l}" + (" (trained)" if l == train_length else ""),
                            hovertemplate="%{x}: %{y:.1f} %<extra></extra>")
                     for l in lengths])
    fig.update_layout(barmode="group", title=f"length generalisation: trained at L = {train_length}",
                      yaxis_title="accuracy (%)", yaxis_range=[0, 105], height=440, legend=LEGEND_BELOW)
    fig.update_xaxes(tickangle=0)
    return themed(fig)


def loss_figure(losses: list[float], title: str) -> go.Figure:
    """Training loss per step (one run)."""
    fig = go.Figure(go.Scatter(y=losses, mode="lines", line=dict(color=MODEL_COLORS["transformer"]), name="loss"))
    fig.update_layout(title=title, xaxis_title="training step", yaxis_title="cross-entropy", height=300)
    return themed(fig)


def _log_log_panel(fig, col: int, x, series: dict[str, np.ndarray], names: dict[str, str], show_legend: bool):
    for kind, y in series.items():
        fig.add_trace(go.Scatter(x=list(x), y=y, mode="lines+markers", legendgroup=kind, showlegend=show_legend,
                                 name=names[kind], line=dict(color=MODEL_COLORS.get(kind)),
                                 hovertemplate=f"{names[kind]}<br>%{{x}}: %{{y:.3g}}<extra></extra>"), row=1, col=col)
    fig.update_xaxes(type="log", tickvals=list(x), ticktext=[f"{v:,}" if v < 1000 else f"{v // 1024}k" for v in x],
                     row=1, col=col)
    fig.update_yaxes(type="log", row=1, col=col, **data_decade_ticks(np.concatenate([np.ravel(y) for y in
                                                                                     series.values()])))


def token_cost_figure(contexts, seconds: dict[str, np.ndarray], nbytes: dict[str, np.ndarray],
                      slopes: dict[str, dict[str, float]], device: str) -> go.Figure:
    """Per-token time (ms) and bytes kept against the context T, log-log; slopes[what][kind] name the lines."""
    names = {k: f"{MODEL_NAMES[k]}: slopes {slopes['token'][k]:.2f} (time), {slopes['bytes'][k]:.2f} (bytes)"
             for k in seconds}
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=["ms per generated token", "bytes kept between tokens"])
    _log_log_panel(fig, 1, contexts, {k: 1e3 * v for k, v in seconds.items()}, names, True)
    _log_log_panel(fig, 2, contexts, nbytes, names, False)
    fig.update_xaxes(title_text="context T (tokens)")
    fig.update_layout(title=f"what a token costs as the context grows (measured on {device})", height=500,
                      legend=LEGEND_BELOW)
    return themed(fig)


def train_cost_figure(lengths, seconds: dict[str, np.ndarray], slopes: dict[str, float], device: str) -> go.Figure:
    """Seconds per training step (forward + backward) against sequence length L, log-log; slopes name the lines."""
    fig = make_subplots(rows=1, cols=1)
    _log_log_panel(fig, 1, lengths, seconds, {k: f"{MODEL_NAMES[k]}: slope {slopes[k]:.2f}" for k in seconds}, True)
    fig.update_layout(title=f"seconds per training step against L (measured on {device})",
                      xaxis_title="sequence length L", yaxis_title="seconds", height=440,
                      legend=LEGEND_BELOW)
    return themed(fig)

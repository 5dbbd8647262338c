"""Figures of the state-space page: kernels, eigenvalues, HiPPO memory, conv vs scan, selection, training.

Pure functions: numpy arrays in, plotly figures out. Long curves are decimated to at most
`MAX_POINTS` points per trace (every k-th sample) and the figure says so.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from seqviz.figures.labels import colour_key, data_decade_ticks, ordinal
from seqviz.figures.theme import LEGEND_BELOW, TEXT, themed
from seqviz.figures.unvalidated import axis, figure, row_layout

MAX_POINTS = 4000
MODEL_COLORS = {"mamba": "#d62728", "s4d": "#1f77b4", "lstm": "#2ca02c"}
MODEL_NAMES = {"mamba": "Mamba (S6)", "s4d": "S4D", "lstm": "LSTM"}


def _stride(n: int, max_points: int = MAX_POINTS) -> int:
    return max(1, -(-n // max_points))


def _decimation_note(stride: int) -> str:
    return f" (every {ordinal(stride)} sample shown)" if stride > 1 else ""


def kernel_figure(K: np.ndarray, labels: list[str], title: str) -> go.Figure:
    """K: (channels, L) kernels over l, one line per channel, named in a colour key under the title
    (redrawn at every change of N: a legend costs more to draw, see seqviz.figures.labels.colour_key)."""
    L = K.shape[-1]
    stride = _stride(L)
    l = np.arange(0, L, stride)
    colours = [qualitative.D3[c % len(qualitative.D3)] for c in range(K.shape[0])]  # the other figures' palette
    data = [dict(type="scatter", x=l, y=K[c, ::stride], mode="lines", name=labels[c], line=dict(color=colours[c]))
            for c in range(K.shape[0])]
    key = colour_key(list(zip(labels, colours)))
    return figure(data, dict(title=dict(text=f"{title}{_decimation_note(stride)}<br><sup>{key}</sup>"),
                             xaxis=dict(title=dict(text="lag l")), yaxis=dict(title=dict(text="K_l")), height=360,
                             showlegend=False))


def _unit_circle() -> dict:
    theta = np.linspace(0, 2 * np.pi, 361)
    return dict(type="scatter", x=np.cos(theta), y=np.sin(theta), mode="lines", name="unit circle",
                line=dict(color="gray", dash="dot"), hoverinfo="skip", xaxis="x2", yaxis="y2")


def _dt_label(dt: float) -> str:
    """Δ with two significant digits, short: 1.8e-4 (the chosen Δ may lie between two grid steps)."""
    mantissa, exponent = f"{dt:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def eigenvalue_figure(eig_A: np.ndarray, eig_A_bar_by_dt: dict[float, np.ndarray], dt: float) -> go.Figure:
    """Eigenvalues of A (left) and of Ā (right, with the unit circle), Ā animated over Δ.

    Args:
        eig_A: (N,) complex eigenvalues of A (both members of conjugate pairs).
        eig_A_bar_by_dt: Δ -> (N,) eigenvalues of Ā at that Δ; the slider steps through them.
        dt: the Δ shown first (must be a key).

    Every frame also carries λ(A), unchanged: when a frame without redraw updates only the right
    subplot's trace, plotly.js removes the left subplot's trace from the screen.
    """
    first = eig_A_bar_by_dt[dt]
    data = [dict(type="scatter", x=eig_A.real, y=eig_A.imag, mode="markers", name="λ(A)",
                 marker=dict(color="#1f77b4", size=6)),
            _unit_circle(),
            dict(type="scatter", x=first.real, y=first.imag, mode="markers", name="λ(Ā)",
                 marker=dict(color="#d62728", size=6), xaxis="x2", yaxis="y2")]
    fixed = dict(type="scatter", x=eig_A.real, y=eig_A.imag)
    frames = [dict(name=f"{d:.2e}", traces=[0, 2], data=[fixed, dict(type="scatter", x=e.real, y=e.imag)])
              for d, e in eig_A_bar_by_dt.items()]
    steps = [dict(method="animate", label=_dt_label(d),
                  args=[[f"{d:.2e}"], dict(mode="immediate", frame=dict(duration=0, redraw=False))])
             for d in eig_A_bar_by_dt]
    layout = row_layout(["eigenvalues of A (continuous)", "eigenvalues of Ā = discretised A"])
    for k in (1, 2):
        layout[axis("xaxis", k)]["title"] = dict(text="Re")
        layout[axis("yaxis", k)]["title"] = dict(text="Im")
    layout["xaxis2"]["range"] = layout["yaxis2"]["range"] = [-1.15, 1.15]
    layout["yaxis2"]["scaleanchor"] = "x2"
    layout.update(height=470, showlegend=False, margin=dict(b=150),
                  sliders=[dict(active=list(eig_A_bar_by_dt).index(dt), steps=steps, currentvalue=dict(prefix="Δ = "),
                               pad=dict(t=80))])  # under the x axes' titles
    return figure(data, layout, frames)


def legs_comparison_figure(t: np.ndarray, dense: np.ndarray, diagonal: dict[int, np.ndarray],
                           errors: dict[int, float], n: int = 0) -> go.Figure:
    """Left: the dense HiPPO-LegS basis kernel n (thick, grey) and S4D-LegS kernels for several N.
    Right: their relative L2 difference against N on log-log axes, with a 1/N guide line."""
    N = np.array(list(errors), dtype=float)
    d = np.array(list(errors.values()))
    data = [dict(type="scatter", x=t, y=K, mode="lines", name=f"N={size}", line=dict(width=1))  # S4D-LegS
            for size, K in diagonal.items()]
    data.append(dict(type="scatter", x=t, y=dense, mode="lines", name="dense HiPPO-LegS",
                     line=dict(color=TEXT, width=3)))  # drawn last: on top of the ringing small-N kernels
    data += [dict(type="scatter", x=N, y=d, mode="lines+markers", name="S4D-LegS − dense", line=dict(color="#d62728"),
                  showlegend=False, xaxis="x2", yaxis="y2"),
             dict(type="scatter", x=N, y=d[-1] * N[-1] / N, mode="lines", name="∝ 1/N",
                  line=dict(color="gray", dash="dot"), xaxis="x2", yaxis="y2")]
    layout = row_layout([f"basis kernel n = {n}", "relative L2 difference vs N"], widths=[0.65, 0.35])
    layout["xaxis"]["title"] = dict(text="time t = l·Δ")
    layout["yaxis"]["title"] = dict(text="K_l")
    layout["xaxis2"].update(title=dict(text="state size N"), type="log", tickvals=N[::2], ticktext=N[::2].astype(int))
    layout["yaxis2"].update(type="log", **data_decade_ticks(np.concatenate([d, d[-1] * N[-1] / N])))
    layout.update(title=dict(text="S4D-LegS (diagonal normal part, B/2)<br>converging to the dense HiPPO-LegS kernel"),
                  height=500, margin=dict(t=130), legend=LEGEND_BELOW)  # below, short names: fits narrow windows
    return figure(data, layout)


def memory_figure(s: np.ndarray, u: np.ndarray, t: int, reconstruction: np.ndarray, N: int) -> go.Figure:
    """The whole signal u (grey), its history on [0, t] (blue) and the LegS reconstruction from c(t) (red)."""
    fig = go.Figure([
        go.Scatter(x=s, y=u, mode="lines", name="signal (future in grey)", line=dict(color="lightgray")),
        go.Scatter(x=s[: t + 1], y=u[: t + 1], mode="lines", name="history u(s), s ≤ t", line=dict(color="#1f77b4")),
        go.Scatter(x=s[: t + 1], y=reconstruction, mode="lines", name=f"reconstruction from N={N} coefficients",
                   line=dict(color="#d62728", dash="dash")),
    ])
    fig.add_vline(x=t, line=dict(color=TEXT, dash="dot"))
    fig.update_layout(title=f"HiPPO-LegS memory at t = {t}", xaxis_title="s", yaxis_title="u(s)", height=380)
    return themed(fig)


def memory_error_figure(ts: np.ndarray, errors: dict[int, np.ndarray]) -> go.Figure:
    """RMS reconstruction error of the history [0, t] as t grows, one line per N."""
    fig = go.Figure([go.Scatter(x=ts, y=e, mode="lines", name=f"N={N}") for N, e in errors.items()])
    fig.update_layout(title="reconstruction error as the window [0, t] grows", xaxis_title="t",
                      yaxis_title="RMS error over [0, t]", yaxis_type="log", height=340)
    fig.update_yaxes(**data_decade_ticks(np.concatenate([np.ravel(e) for e in errors.values()])))  # not Plotly's bare 2s and 5s
    return themed(fig)


def conv_scan_figure(y_conv: np.ndarray, y_scan: np.ndarray) -> go.Figure:
    """Outputs of the FFT convolution and of the scan (top) and their difference (bottom)."""
    stride = _stride(y_conv.shape[0])
    k = np.arange(0, y_conv.shape[0], stride)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35],
                        subplot_titles=("y: FFT convolution and recurrence", "difference conv − scan"))
    fig.add_trace(go.Scatter(x=k, y=y_conv[::stride], mode="lines", name="conv (FFT)", line=dict(width=4)), row=1, col=1)
    fig.add_trace(go.Scatter(x=k, y=y_scan[::stride], mode="lines", name="scan", line=dict(dash="dash")), row=1, col=1)
    fig.add_trace(go.Scatter(x=k, y=(y_conv - y_scan)[::stride], mode="lines", name="difference"), row=2, col=1)
    fig.update_layout(height=460, title="same layer, two algorithms" + _decimation_note(stride))
    fig.update_xaxes(title_text="step k", row=2, col=1)
    return themed(fig)


def timing_figure(lengths: list[int], seconds: dict[str, list[float]]) -> go.Figure:
    """Wall time vs L (log-log), one line per algorithm."""
    fig = go.Figure([go.Scatter(x=lengths, y=s, mode="lines+markers", name=name) for name, s in seconds.items()])
    fig.update_layout(title="time vs sequence length", xaxis_title="L", yaxis_title="seconds",
                      xaxis_type="log", yaxis_type="log", height=340)
    fig.update_xaxes(tickvals=lengths, ticktext=[str(L) for L in lengths])
    fig.update_yaxes(**data_decade_ticks(np.concatenate([np.ravel(s) for s in seconds.values()])))
    return themed(fig)


def delta_figure(chars: list[str], delta: np.ndarray) -> go.Figure:
    """Δ_t per token: the mean over channels (bars) and every channel (heatmap, delta (d, l)).

    Large Δ_t lets channel c overwrite its state with token t; Δ_t ≈ 0 keeps the state and
    ignores the token.
    """
    x = [f"{i}:{c}" for i, c in enumerate(chars)]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.3, 0.7], vertical_spacing=0.04)
    fig.add_trace(go.Bar(x=x, y=delta.mean(0), marker_color="#d62728", name="mean Δ_t"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=delta, x=x, colorscale="Viridis", colorbar=dict(title="Δ"), name="Δ_t"), row=2, col=1)
    fig.update_yaxes(title_text="mean Δ_t", row=1, col=1)
    fig.update_yaxes(title_text="channel", row=2, col=1)
    fig.update_layout(title="Δ_t per token<br><sup>top: mean over channels; bottom: each channel</sup>", height=460,
                      showlegend=False)
    return themed(fig)


def _token_heatmap(z: np.ndarray, chars: list[str], title: str, y_title: str, colorscale: str,
                   zmin=None, zmax=None) -> go.Figure:
    x = [f"{i}:{c}" for i, c in enumerate(chars)]
    fig = go.Figure(go.Heatmap(z=z, x=x, colorscale=colorscale, zmin=zmin, zmax=zmax))
    fig.update_layout(title=title, xaxis_title="token t", yaxis_title=y_title, height=360)
    return themed(fig)


def state_figure(state_norm: np.ndarray, chars: list[str]) -> go.Figure:
    """(d, l) ‖h_t‖ per channel over time."""
    return _token_heatmap(state_norm, chars, "state ‖h_t‖ per channel", "channel", "Viridis")


def hidden_attention_figure(alpha: np.ndarray, chars: list[str], channel_note: str) -> go.Figure:
    """(l, l) hidden attention α[t, s] (rows t attend to columns s)."""
    x = [f"{i}:{c}" for i, c in enumerate(chars)]
    fig = go.Figure(go.Heatmap(z=alpha, x=x, y=x, colorscale="RdBu", zmid=0))
    fig.update_layout(title=f"hidden attention α[t, s]<br><sup>{channel_note}</sup>", xaxis_title="source s",
                      yaxis_title="output t", yaxis_autorange="reversed", height=420)
    return themed(fig)


def gate_figure(gate: np.ndarray, chars: list[str], name: str) -> go.Figure:
    """(H, l) an LSTM gate's values over time."""
    return _token_heatmap(gate, chars, f"LSTM {name} (same input)", "unit", "Viridis", 0, 1)


def training_figure(losses: dict[str, dict[int, list[float]]], window: int = 20) -> go.Figure:
    """Training loss, one panel per length, one line per model: the mean of the last `window` steps at
    each step, or of a fifth of the run's steps when a short run would leave a few points only."""
    lengths = sorted(next(iter(losses.values())))
    steps = min(len(curve) for per_length in losses.values() for curve in per_length.values())
    window = max(1, min(window, steps // 5))
    fig = make_subplots(rows=1, cols=len(lengths), subplot_titles=[f"length {l}" for l in lengths], shared_yaxes=True)
    for col, length in enumerate(lengths, start=1):
        for kind, per_length in losses.items():
            curve = np.asarray(per_length[length])
            smooth = np.convolve(curve, np.ones(window) / window, mode="valid")
            fig.add_trace(go.Scatter(x=np.arange(window, curve.size + 1), y=smooth, mode="lines",
                                     name=MODEL_NAMES[kind], legendgroup=kind, showlegend=col == 1,
                                     line=dict(color=MODEL_COLORS[kind])), row=1, col=col)
        fig.update_xaxes(title_text="training step", row=1, col=col)
    fig.update_yaxes(title_text=f"loss (mean of the last {window} steps)", row=1, col=1)
    fig.update_layout(height=340, title="training loss, same budget")
    return themed(fig)


def accuracy_figure(accuracy: dict[str, dict[int, float]], params: dict[str, int],
                    paper: dict[str, float] | None = None) -> go.Figure:
    """Held-out answer accuracy vs sequence length per model; optional paper reference lines."""
    fig = go.Figure()
    for kind, per_length in accuracy.items():
        lengths = sorted(per_length)
        fig.add_trace(go.Scatter(x=lengths, y=[100 * per_length[l] for l in lengths], mode="lines+markers",
                                 name=f"{MODEL_NAMES[kind]} ({params[kind]:,} params)",
                                 line=dict(color=MODEL_COLORS[kind])))
    for label, value in (paper or {}).items():
        fig.add_hline(y=value, line=dict(dash="dot", color="gray"), annotation_text=label)
    fig.update_layout(title="accuracy on the answer tokens (held-out batch)", xaxis_title="sequence length",
                      yaxis_title="accuracy (%)", yaxis_range=[0, 105], height=400,
                      legend=LEGEND_BELOW)  # below: a side legend squeezes a narrow plot
    return themed(fig)

"""Figures for the gradient-flow page: data in, Plotly figure out (no Streamlit, no torch).

Log axes cannot show 0 or inf, so such steps are never dropped silently: in the gradient-through-time
chart a curve drops to a floor row below the data, labelled "0", at each exact zero and rises to a
ceiling row labelled "∞/NaN" at each overflow; hovering names the true value.
Large heatmaps are decimated to stay under ~2 MB per figure, and the title says so.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.core.models import KIND_LABELS
from seqviz.figures.labels import colour_key, decade_ticks, ordinal
from seqviz.figures.tables import markdown_table
from seqviz.figures.theme import LEGEND_BELOW, TEXT, themed
from seqviz.figures.unvalidated import figure
from seqviz.gradients.flow import FlowResult, PhaseResult, SpectrumResult
from seqviz.gradients.training import TrainHistory

KIND_COLOURS = {"rnn": "#1f77b4", "lstm": "#d62728", "gru": "#2ca02c"}
MAX_HEATMAP_CELLS = 60_000
FEW_ROWS = 10  # a training heatmap with at most this many sampled updates ticks each one


def fit_table(result: FlowResult, layer: int) -> str:
    """Per kind, for one layer: the decay fit (λ, Lyapunov exponent, effective memory M, steps fitted),
    the counts of underflowed (exact 0s) and overflowed steps, and the input gradients at both ends
    with their ratio, as a Markdown table (one row per kind; short headers, the page's caption
    spells them out)."""
    T = result.config.steps
    rows = []
    for kind, flow in result.kinds.items():
        fit = flow.fits[layer]
        rows.append({"model": KIND_LABELS[kind], "λ (decades/step)": fit.slope, "Lyapunov (nats/step)": fit.lyapunov,
                     "M (steps)": fit.effective_memory, "steps fitted": fit.points,
                     "exact 0s": int(flow.underflow[:, layer].sum()), "inf/NaN": int(flow.nonfinite[:, layer].sum()),
                     "‖dL/dx_0‖": flow.grad_input_norm[0], f"‖dL/dx_{T - 1}‖": flow.grad_input_norm[-1],
                     "last/first": flow.input_ratio()})
    return markdown_table(rows)


def _positive(values: np.ndarray) -> np.ndarray:
    """Values that a log axis can show; zeros and inf/NaN become NaN (drawn as gaps)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def _floor_and_ceiling(series: list[np.ndarray]) -> tuple[float, float]:
    shown = np.concatenate([_positive(s) for s in series])
    shown = shown[np.isfinite(shown)]
    if shown.size == 0:
        return 1e-45, 1.0
    return float(shown.min()) / 10.0, float(shown.max()) * 10.0


def _stride(rows: int, columns: int) -> int:
    return max(1, math.ceil(rows * columns / MAX_HEATMAP_CELLS))


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.asarray(values, dtype=np.float64))
    return np.round(np.where(np.isfinite(logs), logs, np.nan), 3)


def _on_log_axis(values: np.ndarray, floor: float, ceiling: float) -> tuple[np.ndarray, dict]:
    """(y, hover fields): `values` with exact zeros moved to `floor` and inf/NaN to `ceiling`; the hover
    fields name the true value where something was moved (per-point texts only then: they cost drawing time)."""
    values = np.asarray(values, dtype=np.float64)
    zero, bad = values == 0, ~np.isfinite(values)
    y = np.where(zero, floor, np.where(bad, ceiling, values))
    if not (zero.any() or bad.any()):
        return y, dict(hovertemplate="%{y:.3g}")
    texts = ["exactly 0 (underflow)" if z else "inf/NaN (overflow)" if b else f"{v:.3g}"
             for v, z, b in zip(values.tolist(), zero.tolist(), bad.tolist())]
    return y, dict(customdata=texts, hovertemplate="%{customdata}")


def _padded_log_range(low: float, high: float) -> list[float]:
    """A log axis range (in log10) showing [low, high] with 3 % room on each side."""
    a, b = math.log10(low), math.log10(high)
    return [a - 0.03 * (b - a), b + 0.03 * (b - a)]


def gradient_time_figure(result: FlowResult, layer: int = 0) -> go.Figure:
    """‖dL/dh_t‖ (solid) and ‖dL/dx_t‖ (dotted) for every kind on a log axis, zeros and infs on labelled rows.

    Built from plain dicts (seqviz.figures.unvalidated) with one line per series, the decade ticks written
    out and a colour key in the title instead of a legend: it is redrawn on every change of the page's
    main control, and extra marker traces, legend rows and superscript tick labels each add to the
    browser's drawing time.
    """
    kinds = result.kinds
    series = [f.grad_hidden_norm[:, layer] for f in kinds.values()] + [f.grad_input_norm for f in kinds.values()]
    floor, ceiling = _floor_and_ceiling(series)
    t = np.arange(result.config.steps)
    data = []
    for kind, flow in kinds.items():
        colour, label = KIND_COLOURS[kind], KIND_LABELS[kind]
        for name, values, dash in ((f"{label} ‖dL/dh_t‖", flow.grad_hidden_norm[:, layer], None),
                                   (f"{label} ‖dL/dx_t‖", flow.grad_input_norm, "dot")):
            y, hover = _on_log_axis(values, floor, ceiling)
            data.append(dict(type="scatter", x=t, y=y, mode="lines", name=name, legendgroup=kind, **hover,
                             line=dict(color=colour, width=2) if dash is None else dict(color=colour, dash=dash, width=1)))
    every = np.concatenate([np.asarray(s, dtype=np.float64) for s in series])
    # Short labels: "0 (underflow)" widened the axis margin, which made the chart slower to draw.
    labels = {floor: "0"} if (every == 0).any() else {}
    labels |= {ceiling: "∞/NaN"} if (~np.isfinite(every)).any() else {}
    layout = dict(
        title=dict(text=f"Gradient through time ({result.config.dtype}, loss on {result.config.loss} step(s), "
                        f"layer {layer})<br><sup>{colour_key([(KIND_LABELS[k], KIND_COLOURS[k]) for k in kinds])}"
                        " · solid: ‖dL/dh_t‖, dotted: ‖dL/dx_t‖</sup>"),
        showlegend=False,
        xaxis=dict(title=dict(text="step t")),
        yaxis=dict(title=dict(text="norm (log scale)"), type="log", range=_padded_log_range(floor, ceiling),
                   **decade_ticks(floor, ceiling, labels)),
        hovermode="x unified",
    )
    return figure(data, layout)


def spectrum_figure(spectrum: SpectrumResult) -> go.Figure:
    """Heatmap of log₁₀ σ_i(J_t) over step × index, and log₁₀ σ_max(P_s) of the running product."""
    sv = spectrum.singular_values
    T, n = sv.shape
    stride = _stride(T, n)
    steps = np.arange(0, T, stride)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45],
                        subplot_titles=("log₁₀ σᵢ(∂sₜ/∂sₜ₋₁)" + (f" — every {ordinal(stride)} step shown" if stride > 1 else ""),
                                        "log₁₀ σ_max(∂s(T−1)/∂s(s)): the running product"))
    fig.add_heatmap(x=steps, y=np.arange(1, n + 1), z=_log10(sv[steps]).T, colorscale="Viridis",
                    colorbar=dict(title="log₁₀ σ", len=0.55, y=0.78), row=1, col=1,
                    hovertemplate="t=%{x}<br>i=%{y}<br>log₁₀ σ=%{z}<extra></extra>")
    product = spectrum.log10_product_norm
    fig.add_scatter(x=np.arange(T), y=np.where(np.isfinite(product), product, np.nan), mode="lines",
                    name="log₁₀ σ_max(P_s)", line=dict(color=KIND_COLOURS[spectrum.kind]), row=2, col=1)
    if spectrum.naive_failure_step is not None:
        fig.add_vline(x=spectrum.naive_failure_step, line=dict(color=TEXT, dash="dash"), row=2, col=1)
        side = "right" if spectrum.naive_failure_step > T / 2 else "left"
        fig.add_annotation(x=spectrum.naive_failure_step, y=1, yref="y2 domain", showarrow=False, xanchor=side,
                           text=f" plain {spectrum.dtype} product {spectrum.naive_failure}s at s = {spectrum.naive_failure_step} ",
                           row=2, col=1)
    fig.update_yaxes(title_text="index i", row=1, col=1)
    fig.update_yaxes(title_text="log₁₀ σ_max", row=2, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    fig.update_xaxes(range=[-0.5, T - 0.5])
    fig.update_layout(title=f"Jacobian spectrum: {KIND_LABELS[spectrum.kind]}, layer {spectrum.layer}",
                      height=650, showlegend=False)
    return themed(fig)


def itemised_figure(matrices: dict[str, np.ndarray]) -> go.Figure:
    """Side-by-side lower-triangular heatmaps of log₁₀ ‖dL_t/dh_s‖ (row t, column s), shared colours."""
    kinds = list(matrices)
    T = next(iter(matrices.values())).shape[0]
    stride = _stride(T * len(kinds), T)
    idx = np.arange(0, T, stride)
    logs = {kind: _log10(matrices[kind][np.ix_(idx, idx)]) for kind in kinds}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()] + [np.zeros(1)])
    zmin, zmax = float(finite.min()), float(finite.max())
    note = f" — every {ordinal(stride)} step shown" if stride > 1 else ""
    fig = make_subplots(rows=1, cols=len(kinds), subplot_titles=[KIND_LABELS[k] for k in kinds], shared_yaxes=True)
    for col, kind in enumerate(kinds, start=1):
        fig.add_heatmap(x=idx, y=idx, z=logs[kind], zmin=zmin, zmax=zmax, colorscale="Magma",
                        showscale=col == 1, colorbar=dict(title="log₁₀"), row=1, col=col,
                        hovertemplate="loss step t=%{y}<br>state step s=%{x}<br>log₁₀‖dL_t/dh_s‖=%{z}<extra></extra>")
        fig.update_xaxes(title_text="state step s", row=1, col=col)
    fig.update_yaxes(title_text="loss step t", autorange="reversed", row=1, col=1)
    fig.update_layout(title="Who teaches whom: log₁₀ ‖dL_t/dh_s‖ for s ≤ t (blank: exactly 0 or s > t)" + note,
                      height=480)
    return themed(fig)


def phase_figure(results: list[PhaseResult]) -> go.Figure:
    """Heatmaps of log₁₀(‖dL/dh_0‖ ÷ ‖dL/dh_{T−1}‖) over (T, ρ), one per kind, colour centred on 0."""
    fig = make_subplots(rows=1, cols=len(results), shared_yaxes=True,
                        subplot_titles=[KIND_LABELS[r.config.kind] for r in results])
    bound = max([float(np.nanmax(np.abs(np.where(np.isfinite(r.log10_ratio), r.log10_ratio, np.nan))))
                 for r in results if np.isfinite(r.log10_ratio).any()] + [1.0])
    bound = min(bound, 30.0)
    for col, result in enumerate(results, start=1):
        z = np.where(np.isfinite(result.log10_ratio), np.round(result.log10_ratio, 2), np.nan)
        fig.add_heatmap(x=[str(T) for T in result.config.lengths], y=list(result.config.rhos), z=z,
                        zmid=0, zmin=-bound, zmax=bound, colorscale="RdBu_r", showscale=col == 1,
                        colorbar=dict(title="log₁₀ ratio"), row=1, col=col,
                        hovertemplate="T=%{x}<br>ρ=%{y}<br>log₁₀ ratio=%{z}<extra></extra>")
        fig.update_xaxes(title_text="sequence length T", type="category", row=1, col=col)
    fig.update_yaxes(title_text="spectral radius ρ", row=1, col=1)
    fig.update_layout(title=f"log₁₀(‖dL/dh_0‖ ÷ ‖dL/dh_T−1‖): blue vanishes, red explodes"
                            f"<br><sup>colours saturate at ±{bound:.0f}; blank: exactly 0</sup>", height=480)
    return themed(fig)


def _nan_marker(fig: go.Figure, history: TrainHistory, rows: list[int]) -> None:
    if history.status == "nan":
        for row in rows:
            fig.add_vline(x=history.updates_done - 1, line=dict(color=TEXT, dash="dash"), row=row, col=1)
        fig.add_annotation(x=history.updates_done - 1, y=1, yref="y domain", text=" inf/NaN here", showarrow=False,
                           xanchor="left", row=1, col=1)


def _loss_and_norm_rows(norm_title: str, title: str) -> go.Figure:
    """Two log-scale rows over the updates: the task loss above, a gradient norm below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("task loss", norm_title))
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(title_text="update", row=2, col=1)
    return fig.update_layout(height=560, title=title, legend=LEGEND_BELOW)


def _labelled_hline(fig: go.Figure, y: float, text: str, dash: str, row: int) -> None:
    """A grey line at y > 0 across row `row` (a log axis), labelled above its right end. Not add_hline's
    own label: on a log axis an annotation's y is log₁₀ of the value, so that label sat at 10^y."""
    fig.add_hline(y=y, line=dict(color="grey", dash=dash), row=row, col=1)
    fig.add_annotation(x=1, xref="x domain", y=math.log10(y), text=text, showarrow=False, xanchor="right",
                       yanchor="bottom", row=row, col=1)


def training_figure(history: TrainHistory) -> go.Figure:
    """Loss with its memoryless baseline, raw and clipped ‖g‖ per update (log scales)."""
    config = history.config
    u = np.arange(history.updates_done)
    fig = _loss_and_norm_rows("global gradient norm ‖g‖", f"{config.task} task, T = {config.length}: "
                              f"{history.fraction_clipped:.0%} of updates clipped")
    fig.add_scatter(x=u, y=_positive(history.loss), mode="lines", name="loss", row=1, col=1)
    _labelled_hline(fig, history.baseline, f"memoryless baseline {history.baseline:.4g}", "dash", row=1)
    fig.add_scatter(x=u, y=_positive(history.raw_norm), mode="lines", name="raw ‖g‖", row=2, col=1)
    fig.add_scatter(x=u, y=_positive(history.clipped_norm), mode="lines", name="clipped ‖g‖", row=2, col=1)
    if config.clip == "norm":
        _labelled_hline(fig, config.clip_threshold, f"c = {config.clip_threshold:g}", "dot", row=2)
    _nan_marker(fig, history, [1, 2])
    return themed(fig)


def training_heatmap_figure(history: TrainHistory) -> go.Figure:
    """log₁₀ ‖dL/dh_t‖ over (update, step t): how far back the gradient reaches as training goes."""
    if not history.heatmap:
        return themed(go.Figure().update_layout(title="No ‖dL/dh_t‖ sample was taken before the run ended"))
    rows = np.stack(history.heatmap)  # (samples, S)
    fig = go.Figure(go.Heatmap(x=np.arange(rows.shape[1]), y=history.heatmap_updates, z=_log10(rows),
                               colorscale="Viridis", colorbar=dict(title="log₁₀‖δ_t‖"),
                               hovertemplate="update %{y}<br>t=%{x}<br>log₁₀‖dL/dh_t‖=%{z}<extra></extra>"))
    k = history.config.truncation
    for boundary in range(k, rows.shape[1], k) if k else ():
        fig.add_vline(x=boundary - 0.5, line=dict(color="white", dash="dot", width=1))
    chunks = f"; dotted: truncated-BPTT chunk boundaries every {k} steps" if k else ""
    sampled = history.config.heatmap_every
    every = "every update" if sampled == 1 else f"every {ordinal(sampled)} update"
    few = len(history.heatmap_updates) <= FEW_ROWS  # Plotly would tick a few rows at fractions of an update
    fig.update_layout(title=f"‖dL/dh_t‖ on the batch of {every} (first layer; blank: exactly 0{chunks})",
                      xaxis_title="step t", height=420,
                      yaxis=dict(title=dict(text="update"), **(dict(tickvals=history.heatmap_updates) if few else {})))
    return themed(fig)


def compare_figure(runs: dict[str, TrainHistory]) -> go.Figure:
    """Overlay of several runs: loss and raw ‖g‖ per update."""
    fig = _loss_and_norm_rows("raw global gradient norm ‖g‖", "Compare runs")
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
    for i, (name, history) in enumerate(runs.items()):
        colour = palette[i % len(palette)]
        u = np.arange(history.updates_done)
        fig.add_scatter(x=u, y=_positive(history.loss), mode="lines", name=name, legendgroup=name,
                        line=dict(color=colour), row=1, col=1)
        fig.add_scatter(x=u, y=_positive(history.raw_norm), mode="lines", name=name, legendgroup=name,
                        showlegend=False, line=dict(color=colour), row=2, col=1)
    return themed(fig)

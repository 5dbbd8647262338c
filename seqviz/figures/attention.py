"""Figures of the Attention page: alignments, training curves, the bottleneck sweep, exposure bias.

Alignment heatmaps put decoder step t on the y axis (top to bottom, labelled with the token emitted
at that step) and encoder position j on the x axis (labelled with the source character); cell
(t, j) is α_tj. Axes are numeric with tick labels, so repeated characters stay separate columns.
The end token is shown as ⟨/s⟩: Plotly would read "</s>" as an HTML tag.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.figures.labels import data_decade_ticks
from seqviz.figures.theme import LEGEND_BELOW, themed
from seqviz.figures.unvalidated import figure, row_layout
from seqviz.seq2seq.experiments import Alignment, ExposureResult, SweepResult

MAX_FRAMES = 25
COLORS = {"none": "#7f7f7f", "attention": "#1f77b4", "teacher-forced": "#2ca02c", "free-running": "#d62728"}


def _reveal(weights: np.ndarray, rows: int) -> list:
    """α with only its first `rows` decoder steps shown (later rows blank), rounded for the payload."""
    shown = np.round(weights.astype(float), 4).tolist()
    return [row if t < rows else [None] * len(row) for t, row in enumerate(shown)]


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """How many decoder steps each animation frame reveals: every step, or every k-th when long."""
    stride = max(1, math.ceil(steps / max_frames))
    return sorted(set(list(range(stride, steps + 1, stride)) + [steps]))


def _panel_traces(alignment: Alignment, rows: int, show_scale: bool) -> list:
    """The heatmap of α (first `rows` steps) and the bar of the latest context vector c_t."""
    if alignment.weights is None:
        return [go.Heatmap(z=[[None]], showscale=False), go.Bar(x=[], y=[])]
    context = np.round(alignment.contexts[rows - 1].astype(float), 4).tolist()
    heatmap = go.Heatmap(z=_reveal(alignment.weights, rows), zmin=0, zmax=1, colorscale="Viridis",
                         showscale=show_scale, colorbar=dict(title="α", len=0.55, y=0.75),
                         hovertemplate="step %{y}, position %{x}: α = %{z:.3f}<extra></extra>")
    bar = go.Bar(x=list(range(len(context))), y=context, marker_color=COLORS["attention"],
                 hovertemplate="c[%{x}] = %{y:.3f}<extra></extra>")
    return [heatmap, bar]


def _display(token: str) -> str:
    return "⟨/s⟩" if token == "</s>" else token


def _step_title(alignments: list[Alignment], rows: int) -> str:
    emitted = [_display(a.output_tokens[min(rows, len(a.output_tokens)) - 1]) for a in alignments]
    return f"decoder step {rows - 1}: emitted " + " | ".join(repr(e) for e in emitted)


def alignment_figure(alignments: list[Alignment], titles: list[str]) -> go.Figure:
    """Animated alignment heatmaps (top) and context vectors c_t (bottom), one column per alignment.

    Frame k reveals the decoder steps up to k: the attention row and context of a step appear
    when its token is emitted. Long outputs reveal several steps per frame (at most MAX_FRAMES).
    """
    steps = max(len(a.output_tokens) for a in alignments)
    cols = len(alignments)
    fig = make_subplots(rows=2, cols=cols, row_heights=[0.7, 0.3], vertical_spacing=0.26,
                        subplot_titles=titles + [f"context c_t ({t})" for t in titles])
    for col, alignment in enumerate(alignments, start=1):
        for row, trace in enumerate(_panel_traces(alignment, len(alignment.output_tokens), col == 1), start=1):
            fig.add_trace(trace, row=row, col=col)
        _label_axes(fig, alignment, col)
    frames = []
    for rows in frame_steps(steps):
        data = [t for a in alignments for t in _panel_traces(a, min(rows, len(a.output_tokens)), False)]
        frames.append(go.Frame(data=data, name=str(rows), traces=list(range(2 * cols)),
                               layout=go.Layout(title_text=_step_title(alignments, rows))))
    fig.frames = frames
    stride_note = "" if len(frames) == steps else f" (every {math.ceil(steps / MAX_FRAMES)} steps per frame)"
    fig.update_layout(
        title_text=_step_title(alignments, steps), height=730, showlegend=False, margin=dict(t=90, b=200),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top", pad=dict(t=72),
                          active=-1, buttons=[
            dict(label="▶ Play", method="animate",
                 args=[None, dict(frame=dict(duration=500, redraw=True), fromcurrent=False, transition=dict(duration=0))]),
            dict(label="❚❚", method="animate", args=[[None], dict(mode="immediate", frame=dict(redraw=True))])])],
        sliders=[dict(active=len(frames) - 1, x=0, y=0, len=1.0, yanchor="top", pad=dict(t=112),  # under the buttons
                      currentvalue=dict(prefix="steps shown: ", suffix=stride_note),
                      steps=[dict(label=f.name, method="animate",
                                  args=[[f.name], dict(mode="immediate", frame=dict(redraw=True))]) for f in frames])],
    )
    return themed(fig)


def _label_axes(fig: go.Figure, alignment: Alignment, col: int) -> None:
    if alignment.weights is None:  # an empty panel: its one blank cell would carry the first labels only
        fig.update_xaxes(showticklabels=False, row=1, col=col)
        fig.update_yaxes(showticklabels=False, row=1, col=col)
        fig.add_annotation(text="no attention: the decoder sees only s₀", showarrow=False,
                           xref=f"x{col if col > 1 else ''} domain", yref=f"y{col if col > 1 else ''} domain",
                           x=0.5, y=0.5)
        return
    source, outputs = list(alignment.source), [_display(t) for t in alignment.output_tokens]
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(source))), ticktext=source,
                     title_text="encoder position j (source)", row=1, col=col)
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(outputs))), ticktext=outputs, autorange="reversed",
                     title_text="decoder step t (emitted)" if col == 1 else None, row=1, col=col)
    fig.update_xaxes(title_text="dimension k", row=2, col=col)


def training_figure(history: dict, title: str = "") -> go.Figure:
    """Mean training loss and held-out exact-sequence accuracy against the update step."""
    data = [dict(type="scatter", x=history["step"], y=history["loss"], mode="lines+markers", name="loss"),
            dict(type="scatter", x=history["step"], y=history["accuracy"], mode="lines+markers", name="accuracy",
                 xaxis="x2", yaxis="y2")]
    layout = row_layout(["training loss (cross-entropy)", "exact-sequence accuracy"])
    layout["xaxis"]["title"] = layout["xaxis2"]["title"] = dict(text="update step")
    layout["yaxis"].update(type="log", **data_decade_ticks(history["loss"]))
    layout["yaxis2"].update(range=[0, 1.02], tickvals=[0, 0.25, 0.5, 0.75, 1])
    layout.update(title=dict(text=title), height=360, showlegend=False)
    return figure(data, layout)


def bottleneck_figure(result: SweepResult, length: int) -> go.Figure:
    """Exact accuracy against source length, and per-position accuracy at `length`, per model."""
    k = result.lengths.index(length)
    fig = make_subplots(rows=1, cols=2, subplot_titles=[
        "exact-sequence accuracy<br>vs source length", f"per-position accuracy<br>at source length {length}"])
    for name in result.exact:
        color = COLORS["none"] if name == "none" else COLORS["attention"]
        label = "no attention (s₀ only)" if name == "none" else f"attention: {name}"
        fig.add_trace(go.Scatter(x=result.lengths, y=result.exact[name], mode="lines+markers", name=label,
                                 line=dict(color=color)), row=1, col=1)
        positions = result.position[name][k]
        fig.add_trace(go.Scatter(x=list(range(len(positions))), y=positions, mode="lines+markers", name=label,
                                 line=dict(color=color), showlegend=False), row=1, col=2)
    fig.update_yaxes(range=[0, 1.02], title_text="accuracy")
    fig.update_xaxes(title_text="source length", row=1, col=1)
    fig.update_xaxes(title_text="target position", row=1, col=2)
    fig.update_layout(height=400, legend=LEGEND_BELOW)
    return themed(fig)


def exposure_figure(result: ExposureResult) -> go.Figure:
    """Per-position accuracy teacher-forced vs free-running, and where free-running first diverges."""
    of_length = "" if result.length is None else f", length {result.length}"
    fig = make_subplots(rows=1, cols=2, subplot_titles=[
        f"per-position accuracy{of_length}", "first position where<br>free-running output diverges"])
    for name, values in (("teacher-forced", result.teacher_forced_position),
                         ("free-running", result.free_running_position)):
        fig.add_trace(go.Scatter(x=list(range(len(values))), y=values, mode="lines+markers", name=name,
                                 line=dict(color=COLORS[name])), row=1, col=1)
    if result.trained_positions is not None:  # after the last target character the training ever showed
        fig.add_vline(x=result.trained_positions - 0.5, line_dash="dash", line_color="gray", row=1, col=1,
                      annotation_text="longest trained", annotation_position="bottom left")
    labels, counts = divergence_histogram(result.first_divergence)
    fig.add_trace(go.Bar(x=labels, y=counts, marker_color=COLORS["free-running"], name="sources",
                         showlegend=False), row=1, col=2)
    fig.update_yaxes(range=[0, 1.02], title_text="accuracy", row=1, col=1)
    fig.update_yaxes(title_text="sources", row=1, col=2)
    fig.update_xaxes(title_text="target position", row=1, col=1)
    fig.update_xaxes(title_text="first wrong position", type="category", row=1, col=2)
    fig.update_layout(height=400, legend=LEGEND_BELOW)
    return themed(fig)


def divergence_histogram(first_divergence: list[int]) -> tuple[list[str], list[int]]:
    """Counts per first-divergence position ("never" for outputs that match the target)."""
    positions = sorted(set(d for d in first_divergence if d >= 0))
    labels = [str(p) for p in positions] + ["never"]
    counts = [first_divergence.count(p) for p in positions] + [first_divergence.count(-1)]
    return labels, counts

"""Figures of one recurrent cell over a sequence: animated bars, heatmaps, unit lines, order, parameters.

Glossary
    T  time steps    H  hidden size    U  units shown    F  animation frames
    states  name → (T, H) array, in display order: "h", "c" (LSTM), then the gates (i f g o / r z n)

Payload: every figure is sent to the browser whole (all frames) on every rerun, so each one is kept
under about 2 MB. Arrays are float32 (Plotly writes them as base64, ~5.3 bytes a number) and each
figure has a budget of numbers; when a sequence is bigger the figure shows every k-th step (bars)
or averages bins of k steps (heatmaps) and says so in its title.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.params import ParamCount

ANIMATION_VALUE_BUDGET = 200_000
HEATMAP_VALUE_BUDGET = 240_000
MAX_BAR_UNITS = 64
MAX_FRAMES = 500
STATE_TITLES = {"h": "h  hidden state", "c": "c  cell state", "i": "i  input gate", "f": "f  forget gate",
                "g": "g  candidate", "o": "o  output gate", "r": "r  reset gate", "z": "z  update gate",
                "n": "n  candidate"}
COLORS = {"h": "#1f77b4", "c": "#ff7f0e", "i": "#2ca02c", "f": "#d62728", "g": "#9467bd", "o": "#8c564b",
          "r": "#e377c2", "z": "#17becf", "n": "#bcbd22"}
KIND_LABELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def shown_units(H: int, max_units: int = MAX_BAR_UNITS) -> np.ndarray:
    """(U,) unit indices to draw: all H, or max_units evenly spaced ones."""
    if H <= max_units:
        return np.arange(H)
    return np.unique(np.linspace(0, H - 1, max_units).round().astype(int))


def frame_steps(T: int, values_per_frame: int, budget: int = ANIMATION_VALUE_BUDGET,
                max_frames: int = MAX_FRAMES) -> np.ndarray:
    """(F,) the steps that get an animation frame: every k-th step, k the smallest stride in budget."""
    allowed = max(1, min(max_frames, budget // max(1, values_per_frame)))
    stride = math.ceil(T / allowed)
    return np.arange(0, T, stride)


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def _value_range(values: np.ndarray) -> list[float]:
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    pad = 0.05 * max(hi - lo, 1e-3)
    return [min(lo, 0.0) - pad, max(hi, 0.0) + pad]


def _note(parts) -> str:
    """A subtitle saying what was left out to keep the figure small, or "" when nothing was."""
    parts = [p for p in parts if p]
    return f"<br><sup>{'; '.join(parts)} to keep the page light</sup>" if parts else ""


def _units_note(shown: int, H: int) -> str:
    return f"{shown} of {H} units shown" if shown < H else ""


def cell_animation(states: dict[str, np.ndarray], step_labels, current_step: int = 0,
                   max_units: int = MAX_BAR_UNITS, budget: int = ANIMATION_VALUE_BUDGET) -> go.Figure:
    """Bars of every state and gate at one step, animated over time (frames, a slider, play/pause).

    Args:
        states: name → (T, H), e.g. from `seqviz.cell.cell_states`.
        step_labels: T labels, shown on the slider.
        current_step: the step shown first (the nearest frame at or before it).
    Returns:
        a figure with one bar trace per state (one subplot row each) and one frame per shown step.
    """
    names = list(states)
    T, H = states[names[0]].shape
    units = shown_units(H, max_units)
    steps = frame_steps(T, len(names) * len(units), budget)
    start = int(np.searchsorted(steps, current_step, side="right") - 1)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[STATE_TITLES[n] for n in names])
    for row, name in enumerate(names, start=1):
        fig.add_trace(go.Bar(x=units, y=_f32(states[name][steps[start], units]), name=name,
                             marker_color=COLORS[name], showlegend=False), row=row, col=1)
        fig.update_yaxes(range=_value_range(states[name]), row=row, col=1)
    stride = int(steps[1] - steps[0]) if len(steps) > 1 else 1
    note = _note([_units_note(len(units), H), f"one frame every {stride} steps ({len(steps)} frames)" if stride > 1 else ""])
    fig.update_layout(title=f"States and gates at each step{note}", height=140 * len(names) + 160,
                      margin=dict(t=90, b=40), updatemenus=[_play_pause()])
    fig.update_xaxes(title_text="unit j", row=len(names), col=1)
    # Hundreds of frames and slider steps: built as plain dicts, skipping Plotly's slow per-object validation.
    frames = [dict(name=str(t), traces=list(range(len(names))),
                   data=[dict(type="bar", y=_f32(states[n][t, units])) for n in names]) for t in steps]
    layout = fig.layout.to_plotly_json() | {"sliders": [_slider(steps, step_labels, start)]}
    return go.Figure(data=fig.data, layout=layout, frames=frames, _validate=False)


def _step_label(t: int, label: str) -> str:
    return str(t) if label == f"t={t}" else f"{t} {label}"


def _slider(steps: np.ndarray, step_labels, active: int) -> dict:
    jump = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    return dict(active=active, currentvalue=dict(prefix="step t = "), pad=dict(t=40), len=0.9, x=0.1,
                steps=[dict(method="animate", label=_step_label(int(t), step_labels[t]), args=[[str(t)], jump])
                       for t in steps])


def _play_pause() -> dict:
    play = dict(label="▶ play", method="animate",
                args=[None, dict(frame=dict(duration=80, redraw=False), fromcurrent=True, transition=dict(duration=0))])
    pause = dict(label="❚❚ pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))])
    return dict(type="buttons", direction="left", x=0.0, y=0, xanchor="left", yanchor="top", pad=dict(t=45),
                buttons=[play, pause])


def time_bins(T: int, H: int, panels: int, budget: int = HEATMAP_VALUE_BUDGET) -> int:
    """Steps averaged per heatmap column so that panels × H × columns stays within budget."""
    columns = max(1, budget // max(1, panels * H))
    return math.ceil(T / columns)


def _binned(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, H) → ((C, H) means over bins of k steps, (C,) bin centres in steps)."""
    T = values.shape[0]
    starts = np.arange(0, T, k)
    means = np.add.reduceat(values.astype(np.float64), starts, axis=0) / np.diff(np.append(starts, T))[:, None]
    return means, starts + (np.minimum(starts + k, T) - 1 - starts) / 2


def state_heatmaps(states: dict[str, np.ndarray], current_step: int = 0,
                   budget: int = HEATMAP_VALUE_BUDGET) -> go.Figure:
    """One units × time heatmap per state and gate, the current step marked by a vertical line.

    Args:
        states: name → (T, H).
        current_step: the step to mark.
    Returns:
        a figure with one heatmap trace per state (rows), z of shape (H, columns).
    """
    names = list(states)
    T, H = states[names[0]].shape
    k = time_bins(T, H, len(names), budget)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[STATE_TITLES[n] for n in names])
    for row, name in enumerate(names, start=1):
        means, centres = _binned(states[name], k)
        fig.add_trace(go.Heatmap(z=_f32(means.T), x=_f32(centres), y=np.arange(H), coloraxis=_coloraxis(name),
                                 name=name, hovertemplate="t=%{x}<br>unit %{y}<br>%{z:.3f}<extra>" + name + "</extra>"),
                      row=row, col=1)
        fig.add_vline(x=current_step, line=dict(color="black", width=2, dash="dot"), row=row, col=1)
        fig.update_yaxes(title_text="unit", row=row, col=1)
    note = _note([f"each column averages {k} steps" if k > 1 else ""])
    fig.update_layout(title=f"Units × time (current step t = {current_step} marked){note}",
                      height=170 * len(names) + 120, margin=dict(t=90, b=40), **_coloraxes(names, states))
    fig.update_xaxes(title_text="step t", row=len(names), col=1)
    return fig


def _coloraxis(name: str) -> str:
    return "coloraxis" if name in ("i", "f", "o", "r", "z") else "coloraxis2"


def _coloraxes(names, states) -> dict:
    """Gates in (0, 1) share a sequential scale; states and tanh candidates a diverging one."""
    signed = [states[n] for n in names if _coloraxis(n) == "coloraxis2"]
    bound = max(float(np.nanmax(np.abs(s))) if np.isfinite(s).any() else 1.0 for s in signed)
    axes = {"coloraxis2": dict(colorscale="RdBu", reversescale=True, cmin=-bound, cmax=bound,
                               colorbar=dict(title="h, c, g / n", x=1.02, len=0.45, y=0.75))}
    if any(_coloraxis(n) == "coloraxis" for n in names):
        axes["coloraxis"] = dict(colorscale="Viridis", cmin=0, cmax=1, colorbar=dict(title="gates", x=1.12, len=0.45, y=0.25))
    return axes


def unit_lines(states: dict[str, np.ndarray], units, current_step: int = 0) -> go.Figure:
    """Chosen units of h (and c) over time, one line each, the current step marked.

    Args:
        states: name → (T, H); "h" and, when present, "c" are drawn.
        units: unit indices to draw.
    """
    fig = go.Figure()
    for name in [n for n in ("h", "c") if n in states]:
        T = states[name].shape[0]
        for j in units:
            fig.add_trace(go.Scatter(x=np.arange(T), y=_f32(states[name][:, j]), mode="lines", name=f"{name}[{j}]",
                                     line=dict(dash="solid" if name == "h" else "dot")))
    fig.add_vline(x=current_step, line=dict(color="black", width=1, dash="dot"))
    fig.update_layout(title=f"Chosen units over time (current step t = {current_step} marked)",
                      xaxis_title="step t", yaxis_title="value", height=360, margin=dict(t=60, b=40))
    return fig


def order_matters(forward_final: np.ndarray, reversed_final: np.ndarray, step_labels,
                  max_units: int = MAX_BAR_UNITS) -> go.Figure:
    """Final states of the same module on the sequence in order and reversed, side by side.

    Args:
        forward_final, reversed_final: (H,) final hidden states.
        step_labels: the labels of the sequence in order (the first and last few name the panels).
    """
    H = forward_final.shape[0]
    units = shown_units(H, max_units)
    gap = float(np.linalg.norm(forward_final.astype(np.float64) - reversed_final))
    titles = [f"in order: {_sequence_name(step_labels)}", f"reversed: {_sequence_name(step_labels[::-1])}"]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=titles)
    for col, (final, color) in enumerate(((forward_final, "#1f77b4"), (reversed_final, "#ff7f0e")), start=1):
        fig.add_trace(go.Bar(x=units, y=_f32(final[units]), marker_color=color, showlegend=False,
                             name=titles[col - 1].split(":")[0]), row=1, col=col)
        fig.update_xaxes(title_text="unit j", row=1, col=col)
    fig.update_layout(title=f"Same steps, different order → different final state (‖Δh‖ = {gap:.3f})"
                            + _note([_units_note(len(units), H)]),
                      yaxis_title="final h", height=360, margin=dict(t=100, b=40))
    return fig


def _sequence_name(step_labels, shown: int = 3) -> str:
    labels = [str(s) for s in step_labels]
    if len(labels) <= shown:
        return " → ".join(labels)
    return f"{labels[0]} → … → {labels[-1]} ({len(labels)} steps)"


def parameter_counts(counts: dict[str, ParamCount], description: str) -> go.Figure:
    """Stacked bars of input weights, recurrent weights and biases per kind, with the ratio to the RNN.

    Args:
        counts: kind → ParamCount (e.g. `seqviz.params.compare_kinds`).
        description: the sizes, e.g. "I=3, H=16, 1 layer".
    """
    kinds = list(counts)
    labels = [KIND_LABELS[k] for k in kinds]
    fig = go.Figure()
    for part, title in (("input_weights", "input weights W_i·"), ("recurrent_weights", "recurrent weights W_h·"),
                        ("biases", "biases b_i·, b_h·")):
        fig.add_trace(go.Bar(x=labels, y=[getattr(counts[k], part) for k in kinds], name=title))
    base = counts["rnn"].total if "rnn" in counts else None
    for label, kind in zip(labels, kinds):
        ratio = f" ({counts[kind].total / base:.2f}× RNN)" if base else ""
        fig.add_annotation(x=label, y=counts[kind].total, text=f"{counts[kind].total:,}{ratio}", showarrow=False, yshift=12)
    fig.update_layout(barmode="stack", title=f"Parameters for {description}: about n², 4n², 3n²",
                      yaxis_title="parameters", height=380, margin=dict(t=60, b=40))
    return fig

"""Figures of the Language lab: text coloured by a unit, gate saturation, the units' activations
with a brushable span (Altair), next-character distributions before and after a decoding strategy,
and gradient reach.

Characters are drawn visibly: space as ␣, newline as ↵, tab as ⇥ (in chart labels; the coloured
text keeps its own layout and marks a newline with a faint ↵ before the line break).
"""
from __future__ import annotations

import html

import altair as alt
import numpy as np
import pandas as pd

from seqviz.figures.labels import colour_key, data_decade_ticks
from seqviz.figures.theme import TEXT
from seqviz.figures.unvalidated import figure

VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}
POSITIVE, NEGATIVE = (214, 39, 40), (31, 119, 180)  # D3 red and blue, translucent by |value|
KIND_COLOURS = {"rnn": "#7f7f7f", "lstm": "#1f77b4", "gru": "#2ca02c"}
GATE_COLOURS = {"i": "#1f77b4", "f": "#ff7f0e", "o": "#2ca02c", "r": "#9467bd", "z": "#8c564b"}
KEPT, DROPPED = "#1f77b4", "rgba(128, 128, 128, 0.5)"


def visible(c: str) -> str:
    """A character as a chart label can show it."""
    return VISIBLE.get(c, c if c.isprintable() else f"U+{ord(c):04X}")


def _background(value: float, scale: float) -> str:
    r, g, b = POSITIVE if value >= 0 else NEGATIVE
    return f"rgba({r},{g},{b},{min(abs(value) / scale, 1.0):.2f})"


def coloured_text(text: str, values: np.ndarray, scale: float, start: int = 0) -> str:
    """HTML of `text`, each character's background red (positive) or blue (negative), opaque at |value|
    ≥ `scale`; hovering shows the step and value. `start` numbers the steps of a window."""
    spans = []
    for t, (c, v) in enumerate(zip(text, values)):
        shown = html.escape("↵" if c == "\n" else c)
        spans.append(f'<span style="background:{_background(float(v), scale)}" title="t={start + t} '
                     f'{html.escape(visible(c))}: {float(v):+.3f}">{shown}</span>' + ("\n" if c == "\n" else ""))
    return ('<div style="font-family:monospace;white-space:pre-wrap;line-height:1.5;font-size:0.9rem;'
            f'overflow-wrap:anywhere">{"".join(spans)}</div>')


def unit_figure(values: np.ndarray, text: str, start: int, title: str):
    """One unit's value at every step of a window (T,), the character on hover: the coloured text's
    numbers as a line, to read its rises and falls."""
    steps = list(range(start, start + len(values)))
    data = [dict(type="scatter", mode="lines", x=steps, y=np.round(values.astype(float), 4).tolist(),
                 customdata=[visible(c) for c in text[:len(values)]], line=dict(width=1.2, color=KIND_COLOURS["lstm"]),
                 hovertemplate="t=%{x} '%{customdata}': %{y:+.3f}<extra></extra>")]
    layout = dict(title=dict(text=title), showlegend=False, height=240, margin=dict(t=50, b=60),
                  xaxis=dict(title=dict(text="step t (character)")), yaxis=dict(zeroline=True))
    return figure(data, layout)


def saturation_figure(fractions: dict[str, np.ndarray], title: str):
    """Per gate unit, the fraction of steps left-saturated (< 0.1) against right-saturated (> 0.9)."""
    data = [dict(type="scatter", mode="markers", name=gate, x=f[:, 0].tolist(), y=f[:, 1].tolist(),
                 marker=dict(size=6, opacity=0.7, color=GATE_COLOURS.get(gate)),
                 hovertemplate=f"gate {gate}, unit %{{customdata}}<br>< 0.1: %{{x:.0%}}<br>> 0.9: %{{y:.0%}}"
                               "<extra></extra>", customdata=list(range(len(f))))
            for gate, f in fractions.items()]
    data.append(dict(type="scatter", mode="lines", x=[0, 1], y=[1, 0], hoverinfo="skip", showlegend=False,
                     line=dict(color=TEXT, width=1, dash="dot")))
    key = colour_key([(f"gate {g}", GATE_COLOURS.get(g, TEXT)) for g in fractions])
    layout = dict(title=dict(text=f"{title}<br><sub>{key}</sub>"), showlegend=False,
                  xaxis=dict(title=dict(text="fraction of steps < 0.1 (left-saturated)"), range=[-0.02, 1.02],
                             tickformat=".0%"),
                  yaxis=dict(title=dict(text="fraction of steps > 0.9 (right-saturated)"), range=[-0.02, 1.02],
                             tickformat=".0%"),
                  height=420, margin=dict(t=80))
    return figure(data, layout)


def activation_chart(values: np.ndarray, units: list[int], text: str, start: int, threshold: float):
    """Altair lines of `units`' values (T, len(units)) over steps start…start+T−1, with an interval
    selection "span" on the step axis (a brush the page reads back) and the threshold as a rule."""
    T = values.shape[0]
    frame = pd.DataFrame({"step": np.repeat(np.arange(start, start + T), len(units)),
                          "unit": np.tile([f"unit {u}" for u in units], T),
                          "value": values.reshape(-1).astype(float),
                          "character": np.repeat([visible(c) for c in text[:T]], len(units))})
    span = alt.selection_interval(encodings=["x"], name="span")
    lines = alt.Chart(frame).mark_line(strokeWidth=1.5).encode(
        x=alt.X("step:Q", title="step t (character)", scale=alt.Scale(domain=[start, start + T - 1])),
        y=alt.Y("value:Q", title="activation"), color=alt.Color("unit:N", legend=alt.Legend(orient="bottom")),
        tooltip=["step", "character", "unit", alt.Tooltip("value:Q", format="+.3f")],
    ).add_params(span)
    rule = alt.Chart(pd.DataFrame({"threshold": [threshold]})).mark_rule(strokeDash=[4, 4], color="gray") \
        .encode(y="threshold:Q")
    return (lines + rule).properties(height=260)


def distribution_figure(p: np.ndarray, q: np.ndarray, chars: str, chosen: int, title: str, top: int = 24):
    """Bars of the model's p (grey outline) and the strategy's q (blue where kept) for the `top` most
    probable characters; the one chosen at this step is marked, and the mass the cut removed is in the title."""
    order = np.argsort(-p, kind="stable")[:top]
    labels = [visible(chars[i]) for i in order]
    kept_mass = float(p[q > 0].sum())
    data = [dict(type="bar", name="model p", x=labels, y=p[order].tolist(), marker=dict(color=DROPPED),
                 hovertemplate="%{x}: p = %{y:.3f}<extra></extra>"),
            dict(type="bar", name="strategy q", x=labels, y=q[order].tolist(),
                 marker=dict(color=[KEPT if q[i] > 0 else DROPPED for i in order],
                             line=dict(color=[TEXT if i == chosen else "rgba(0,0,0,0)" for i in order], width=2)),
                 hovertemplate="%{x}: q = %{y:.3f}<extra></extra>")]
    key = colour_key([("model p", "gray"), ("strategy q (renormalised)", KEPT)])
    layout = dict(barmode="group", showlegend=False, height=340, margin=dict(t=90),
                  title=dict(text=f"{title}<br><sub>{key} · kept mass {kept_mass:.1%} of p · chosen "
                                  f"{visible(chars[chosen])} (outlined)</sub>"),
                  xaxis=dict(title=dict(text="next character (most probable first)"), type="category"),
                  yaxis=dict(title=dict(text="probability"), rangemode="tozero"))
    return figure(data, layout)


def reach_figure(reach: dict[str, np.ndarray], context: str, title: str):
    """‖dL_t/dx_s‖ (log scale) against how many characters back s is from t, one line per model."""
    data = []
    for kind, norms in reach.items():
        back = np.arange(len(norms))[::-1]  # s = 0 is furthest back
        data.append(dict(type="scatter", mode="lines", name=kind.upper(), x=back.tolist(),
                         y=np.where(norms > 0, norms, np.nan).tolist(), line=dict(color=KIND_COLOURS.get(kind)),
                         customdata=[visible(c) for c in context[-len(norms):]],
                         hovertemplate=f"{kind.upper()}: %{{x}} back, '%{{customdata}}': %{{y:.2e}}<extra></extra>"))
    key = colour_key([(k.upper(), KIND_COLOURS.get(k, TEXT)) for k in reach])
    every = np.concatenate([v for v in reach.values()])
    layout = dict(showlegend=False, height=380, margin=dict(t=80),
                  title=dict(text=f"{title}<br><sub>{key}</sub>"),
                  xaxis=dict(title=dict(text="characters back from t (t − s)")),
                  yaxis=dict(title=dict(text="‖dL_t/dx_s‖"), type="log", **data_decade_ticks(every)))
    return figure(data, layout)

"""Plotly figures from plain dicts, for the figures redrawn on every change of a page's main control.

`plotly.graph_objects` validates every property it is given and `make_subplots` builds its grid the
same way; for a figure with a few traces that costs tens of milliseconds per rerun, more than the
numbers behind it. The helpers here write the dicts to Plotly's schema directly and skip validation:
`figure` wraps them, `axis` names subplot axes, and the two layouts place subplots in one column
(`stacked_layout`) or one row (`row_layout`) with their titles as annotations, as make_subplots does.
`colour_key` writes a colour key into a title in place of a legend; `markdown_table` and `html_table`
write a small table of numbers as Markdown or HTML, for the tables shown with such a figure.
"""
from __future__ import annotations

import html
import math
import numbers
import re

import numpy as np
import plotly.graph_objects as go

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MARKDOWN_SPECIALS = re.compile(r"[\\`*_\[\]<>|$~]")  # inside a table cell


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A figure from trace, layout and frame dicts, unvalidated (they must follow Plotly's schema)."""
    return go.Figure(data=data, layout=layout, frames=frames, _validate=False)


def axis(prefix: str, k: int) -> str:
    """Name of subplot k's axis (1-based): axis("x", 1) = "x", axis("yaxis", 2) = "yaxis2"."""
    return prefix if k == 1 else f"{prefix}{k}"


def _title(text: str, x: float, y: float) -> dict:
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                showarrow=False, font=dict(size=14))


def stacked_layout(titles: list[str], x_title: str, spacing: float) -> dict:
    """Layout of len(titles) subplots stacked in one column, sharing the bottom x axis."""
    n = len(titles)
    height = (1 - spacing * (n - 1)) / n
    layout = {"annotations": []}
    for row, title in enumerate(titles, start=1):
        top = round(1 - (row - 1) * (height + spacing), 6)
        layout[axis("yaxis", row)] = dict(domain=[max(0.0, round(top - height, 6)), top], anchor=axis("x", row))
        layout[axis("xaxis", row)] = dict(anchor=axis("y", row), showticklabels=row == n,
                                          **({} if row == 1 else {"matches": "x"}))
        layout["annotations"].append(_title(title, 0.5, top))
    layout[axis("xaxis", n)]["title"] = dict(text=x_title)
    return layout


def row_layout(titles: list[str], widths: list[float] | None = None, gap: float = 0.08) -> dict:
    """Layout of len(titles) subplots side by side in one row; `widths` are relative column widths."""
    n = len(titles)
    widths = widths or [1.0] * n
    scale = (1 - gap * (n - 1)) / sum(widths)
    layout, left = {"annotations": []}, 0.0
    for col, (title, width) in enumerate(zip(titles, widths), start=1):
        right = left + width * scale
        domain = [round(left, 6), round(min(right, 1.0), 6)]
        layout[axis("xaxis", col)] = dict(domain=domain, anchor=axis("y", col))
        layout[axis("yaxis", col)] = dict(anchor=axis("x", col))
        layout["annotations"].append(_title(title, sum(domain) / 2, 1.0))
        left = right + gap
    return layout


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, 22nd: as in "every 2nd step shown"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def colour_key(entries: list[tuple[str, str]]) -> str:
    """A colour key for a figure's title: each (label, colour) as coloured text, separated by " · ".

    For the figures redrawn at every change of a page's main control, in place of a legend: Plotly
    lays a legend out entry by entry, measuring each text, and on the gradient-through-time figure
    its six entries took ~10 of the ~33 ms the figure took to draw (Chromium, Plotly.newPlot). The
    traces keep their names, which the hover labels show."""
    return " · ".join(f"<span style='color:{colour}'>{label}</span>" for label, colour in entries)


def decade_ticks(low: float, high: float, labels: dict[float, str] | None = None, most: int = 8) -> dict:
    """Tick values and texts for a log axis over [low, high] (both > 0): powers of ten written 10⁻³, at
    most `most` of them in range (every 2nd, 5th, 10th… decade when the range is wider) and one more
    beyond each end (Plotly hides ticks outside the axis range), plus `labels`
    (value → text), which displace the powers of ten too close to them to be read apart. Returns {}
    (Plotly's own ticks) when the range holds fewer than two such ticks.

    Plotly's own log ticks ("power" exponents, minor labels) are typeset and measured one by one in
    the browser; written-out labels draw several times faster on a figure redrawn at every change.
    """
    first, last = math.ceil(math.log10(low)), math.floor(math.log10(high))
    stride = next(k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500) if (last - first) // k + 1 <= most or k == 500)
    labels = labels or {}
    taken = [math.log10(value) for value in labels]
    start = math.ceil(first / stride) * stride
    powers = [k for k in range(start - stride, last + stride + 1, stride)  # one more at each end, for an
              if -323 <= k <= 308]                                           # autorange past the data (floats)
    ticks = {10.0 ** k: f"10{str(k).translate(SUPERSCRIPTS)}" if k not in (0, 1) else f"{10 ** k}"
             for k in powers if all(abs(k - v) >= 0.5 * stride for v in taken)}
    inside = sum(first <= k <= last for k in powers)
    if last - first < 1:  # under two powers of ten in range: 1, 2 and 5 times them as well
        ticks = {m * 10.0 ** k: f"{m * 10.0 ** k:g}" for k in range(first - 1, last + 1) for m in (1, 2, 5)
                 if low <= m * 10.0 ** k <= high}
        inside = len(ticks)
    if inside < 2:  # too narrow a range to label this way: Plotly's own ticks
        return {}
    ticks |= labels
    return dict(tickmode="array", tickvals=list(ticks), ticktext=list(ticks.values()))


def data_decade_ticks(values) -> dict:
    """`decade_ticks` over the positive, finite entries of `values` (any array-like); {} where there
    are none."""
    values = np.asarray(values, dtype=np.float64).ravel()
    positive = values[np.isfinite(values) & (values > 0)]
    return decade_ticks(float(positive.min()), float(positive.max())) if positive.size else {}


def _text(value) -> str:
    """A table cell's text: reals to 3 significant digits (∞, −∞, NaN written out), integers in full,
    anything else as str()."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.3g}".replace("-", "−")
    return str(value)


def _cell(value) -> str:
    """A Markdown table cell: `_text`, with Markdown's special characters escaped in text (so dL/dx_0
    keeps its underscore and $ starts no formula)."""
    return _text(value) if isinstance(value, numbers.Real) else escape_markdown(str(value))


def escape_markdown(text: str) -> str:
    """`text` with Markdown's special characters backslash-escaped, so it is shown literally."""
    return MARKDOWN_SPECIALS.sub(r"\\\g<0>", text)


def _columns(rows: list[dict]) -> tuple[list, list[bool]]:
    """A table's column names (the first row's keys) and, per column, whether all its values are numbers."""
    if not rows:
        raise ValueError("a table needs at least one row")
    columns = list(rows[0])
    return columns, [all(isinstance(row[c], numbers.Real) for row in rows) for c in columns]


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table of `rows` (dicts with the same keys, in column order); numbers right-aligned.

    In the browser a Markdown table is static HTML: next to a chart redrawn at every change it
    costs little, where an interactive st.dataframe grid (a canvas, measured and painted) is
    rendered in the same frame as the chart.
    """
    columns, numeric = _columns(rows)
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |",
             "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(_cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


_CELL_STYLE = "border:1px solid rgba(128,128,128,0.35);padding:0.25rem 0.5rem;vertical-align:top;"
HTML_TABLE_STYLE = "border-collapse:collapse;font-size:0.875rem;margin:0 0 1rem"  # the table's own style
HTML_CELL_STYLES = {False: _CELL_STYLE + "text-align:left",  # a text column's cells, by "numeric column"
                    True: _CELL_STYLE + "text-align:right;font-variant-numeric:tabular-nums"}


def html_table(rows: list[dict]) -> str:
    """`markdown_table`'s table as HTML for st.html: the same cells (text escaped), numbers right-aligned,
    borders in a grey that reads on light and dark themes.

    For a table redrawn with its chart at every change of a main control: the browser draws the app
    again at each of a rerun's script-state changes and parsed a Markdown table anew each time,
    where HTML is set once. The gain measured on the cell's step table (4–8 ms sooner on screen, in
    runs of 60 and 80 changes) is within the noise that longer runs later showed (README, Interaction latency).
    Every cell carries its style inline, with no <style> element: st.html sets the table's HTML anew at
    every change, and a style sheet that comes and goes with it makes the browser match the page's style
    rules again. Without it the cell's step chart came 10 and 8 ms sooner (two benchmark invocations of
    120 changes each, side by side, fresh sessions; each difference within that invocation's noise).
    """
    columns, numeric, cells = table_texts(rows)

    def line(tag: str, texts) -> str:
        return "<tr>" + "".join(f'<{tag} style="{HTML_CELL_STYLES[n]}">{html.escape(text)}</{tag}>'
                                for text, n in zip(texts, numeric)) + "</tr>"
    body = "".join(line("td", row) for row in cells)
    return f'<table style="{HTML_TABLE_STYLE}"><thead>{line("th", columns)}</thead><tbody>{body}</tbody></table>'


def table_texts(rows: list[dict]) -> tuple[list[str], list[bool], list[list[str]]]:
    """A table's column names, whether each column is numeric (right-aligned), and its cells' texts
    row by row (`_text`): what `html_table` writes, for a table the browser fills in itself."""
    columns, numeric = _columns(rows)
    return [_text(c) for c in columns], numeric, [[_text(row[c]) for c in columns] for row in rows]

"""Labels for figures: ordinals, colour keys in titles, and written-out ticks for log axes."""
from __future__ import annotations

import math

import numpy as np

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, 22nd: as in "every 2nd step shown"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def colour_key(entries: list[tuple[str, str]]) -> str:
    """A colour key for a figure's title: each (label, colour) as coloured text, separated by " · ".

    For the figures redrawn at every change of a page's main control, in place of a legend: Plotly
    lays a legend out entry by entry, measuring each text, a good part of such a figure's drawing
    time. The traces keep their names, which the hover labels show."""
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

"""Instant views: a page's main control drawn in the browser together with the chart it drives.

A Streamlit widget reruns the script for each change, and the browser then renders the page's new
elements again before the new chart is drawn (docs/performance.md). Here the server sends,
with the control, the chart (a `Chart`) of the value on screen and of the values a visitor is likely
to pick next; instant.js redraws the chart of a picked value at once with Plotly.react on the same
plot node, then reports the value as the component's state "pick" (with the sequence number it was
picked under), and a callback makes it the session's before the rerun that draws the rest of the
page. A value without a chart waits for that rerun, its old chart dimmed.

plotly.js is served from the app's static files (seqviz.ui.components.plotly_static, which stages it
there): Streamlit's client keeps its own copy to itself. Where that cannot be done (`available()`),
`seqviz.ui.state` draws Streamlit's own widget and chart instead. `static_chart` draws a figure with no
control the same way.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict

import plotly.io as pio
import streamlit as st

from seqviz.ui.charts import plotly_chart
from seqviz.ui.components.plotly_static import check_traces, staged_plotly
from seqviz.ui.components.sync import refuse_report, take_report, value_to_send

WIDGET_SUFFIX = "_instant"  # the component's widget key: the session key's, with this added
CHART_SUFFIX = "_static"  # a static chart's component key: its key, with this added
CHART_BYTE_BUDGET = 2_000_000  # the charts sent with one control, the current value's always included
_HERE = Path(__file__).resolve().parent
_COMPONENT = st.components.v2.component(
    "seqviz_instant_view", js=(_HERE / "instant.js").read_text(),
    css=(_HERE.parent / "range.css").read_text() + (_HERE / "instant.css").read_text(),
    isolate_styles=False)  # in the page's DOM: its theme's font, and a test or benchmark reads it like the rest


@dataclass(frozen=True)
class Chart:
    """What one value of the control shows: a Plotly figure, markup under it (HTML made by seqviz.figures,
    every text in it escaped), a caption, an optional warning."""
    figure: object
    caption: str = ""
    warning: str = ""
    html: str = ""


class ChartPayload(TypedDict):
    """A Chart as instant.js draws it (its typedef ChartPayload)."""

    id: str  # changes with the content: an unchanged chart is not drawn again
    figure: str  # the Plotly figure as JSON text
    html: str  # drawn under the figure; "" for none
    caption: str
    warning: str


class ChoiceControl(TypedDict):
    """One option always selected, as a row of buttons (instant.js: ChoiceControl)."""

    kind: Literal["choice"]
    options: list[list[str]]  # [value text, label] of each option


class SelectControl(TypedDict):
    """One of many options, as a drop-down list (instant.js: SelectControl); the arrow keys step through it."""

    kind: Literal["select"]
    options: list[list[str]]  # [value text, label] of each option


class RangeControl(TypedDict):
    """A whole number in [min, max]: with − and + buttons by `step` ("number") or on a slider over the
    grid min, min + step, … ("slider") (instant.js: RangeControl)."""

    kind: Literal["number", "slider"]
    min: int
    max: int
    step: int


class NoControl(TypedDict):
    """No control: a chart alone, drawn with the instant views' plotly.js (instant.js: NoControl)."""

    kind: Literal["none"]


Control = ChoiceControl | SelectControl | RangeControl | NoControl


class InstantData(TypedDict):
    """What instant.js is sent (its typedef InstantData)."""

    label: str
    help: str | None
    control: Control
    control_id: str  # changes with label, control and help: the control is built again
    seq: str  # the sequence number of `value` (seqviz.ui.components.sync)
    value: str | int  # the value to show: an option's text, or a number
    current: str  # the session's value as text, which the rest of the page follows
    charts: dict[str, ChartPayload] | None  # value text → its chart; None: the control alone
    plotly: str  # the URL of plotly.js


class Pick(TypedDict):
    """What instant.js reports as its state "pick" (its typedef Pick): the value picked, and the sequence
    number the browser held when it was picked."""

    value: str | int
    seq: str


def available() -> bool:
    """True when the browser can load plotly.js from this server (static serving on, the file staged)."""
    return bool(st.get_option("server.enableStaticServing")) and staged_plotly() is not None


def plotly_url() -> str:
    base = st.get_option("server.baseUrlPath").strip("/")
    return "/" + "/".join(part for part in (base, "app/static", staged_plotly()) if part)


def chart_payload(chart: Chart) -> ChartPayload:
    """A chart as instant.js draws it: the figure as JSON text, an id that changes with its content.
    ValueError for a trace type the browser's plotly.js lacks."""
    check_traces(chart.figure)
    figure = pio.to_json(chart.figure, validate=False)
    digest = hashlib.blake2b("\0".join((figure, chart.html, chart.caption, chart.warning)).encode(),
                             digest_size=8).hexdigest()
    return ChartPayload(id=digest, figure=figure, html=chart.html, caption=chart.caption, warning=chart.warning)


def within_budget(payloads: dict[str, ChartPayload], current: str) -> dict[str, ChartPayload]:
    """`payloads` (value text → chart_payload) with those other than `current`'s dropped past CHART_BYTE_BUDGET."""
    kept = {current: payloads[current]} if current in payloads else {}
    size = sum(_size(p) for p in kept.values())
    for value, payload in payloads.items():
        if value != current and size + _size(payload) <= CHART_BYTE_BUDGET:
            kept[value], size = payload, size + _size(payload)
    return kept


def _size(payload: ChartPayload) -> int:
    return len(payload["figure"]) + len(payload["html"])


def instant_view(label: str, control: Control, key: str, charts: dict | None, parse, help: str | None = None) -> None:
    """Draw `control` at st.session_state[key], with `charts` (value → Chart; None: the control alone),
    under the widget key `{key}{WIDGET_SUFFIX}`. `parse` turns the value the browser reports into the
    session's (raising ValueError for one it must not take) before the next run."""
    widget = f"{key}{WIDGET_SUFFIX}"
    seq, value = value_to_send(key)  # the session's value, or the one the browser moved to itself
    current = str(st.session_state[key])
    payloads = None if charts is None else within_budget(
        {str(v): chart_payload(chart) for v, chart in charts.items()}, current)
    control_id = hashlib.blake2b(json.dumps([label, control, help]).encode(), digest_size=8).hexdigest()
    data = InstantData(label=label, help=help, control=control, control_id=control_id, seq=seq,
                       value=str(value) if control["kind"] in ("choice", "select") else value, current=current,
                       charts=payloads, plotly=plotly_url())
    _COMPONENT(key=widget, data=data, on_pick_change=lambda: _take_pick(key, widget, parse))


def static_chart(figure, key: str) -> None:
    """A figure drawn as the instant views draw theirs, with no control: a page whose charts are all drawn
    this way never loads Streamlit's own Plotly (a second, larger copy: docs/performance.md). Streamlit's
    chart where the instant views cannot draw (`available()`)."""
    if not available():
        plotly_chart(figure, key=key)
        return
    data = InstantData(label="", help=None, control=NoControl(kind="none"), control_id="none", seq="0", value="0",
                       current="0", charts={"0": chart_payload(Chart(figure))}, plotly=plotly_url())
    _COMPONENT(key=f"{key}{CHART_SUFFIX}", data=data)


def show_on_server(chart: Chart | None) -> None:
    """The fallback: the chart drawn with Streamlit's own chart, caption and warning."""
    if chart is not None:
        plotly_chart(chart.figure)
        if chart.html:
            st.html(chart.html)
        if chart.caption:
            st.caption(chart.caption)
        if chart.warning:
            st.warning(chart.warning)


def _take_pick(key: str, widget: str, parse) -> None:
    """The on-change callback: the value the browser reported (state "pick", a Pick) becomes the
    session's, if `parse` takes it."""
    reported = st.session_state[widget].get("pick")
    try:
        value = parse(reported["value"])
    except (TypeError, ValueError, KeyError):
        refuse_report(key)
        return
    take_report(key, value, reported.get("seq"))

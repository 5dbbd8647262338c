"""The step scrubber: a step slider drawn in the browser together with the view it drives.

`seqviz.figures.cell.step_scrub` gives the bars and the numbers of every step; scrubber.js draws
them and redraws them as its slider moves, in the same frame, with no round trip to the server. A
Streamlit slider reruns the script for each step, and the browser then draws the page's new
elements again before the bars (docs/performance.md).

Each committed change (a key press, the end of a drag) comes back as the component's state "t",
and a callback copies it into the session key the page reads, so the URL and the view's download
follow. The browser is sent the server's step with a sequence number raised only when the server
moves the step itself (seqviz.ui.components.sync).
"""
from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import streamlit as st

from seqviz.figures.cell import StepScrub
from seqviz.ui.components.sync import refuse_report, take_report, value_to_send

_HERE = Path(__file__).resolve().parent
_COMPONENT = st.components.v2.component(
    "seqviz_step_scrubber", js=(_HERE / "scrubber.js").read_text(),
    css=(_HERE.parent / "range.css").read_text() + (_HERE / "scrubber.css").read_text(),
    isolate_styles=False)  # in the page's DOM: its theme's font, and a test or benchmark reads it like the rest


class ScrubberData(StepScrub):
    """What scrubber.js is sent (its typedef ScrubberData): the bars and numbers of every step, the
    slider's label and help, and the step to show under its sequence number (seqviz.ui.components.sync)."""

    label: str
    help: str | None
    seq: str
    t: int


class StepReport(TypedDict):
    """What scrubber.js reports as its state "t" (its typedef StepReport): the step, and the sequence
    number the browser held when it was set."""

    t: int
    seq: str


def step_scrubber(label: str, spec: StepScrub, key: str, help: str | None = None) -> None:
    """Draw the scrubber of `spec` at step st.session_state[key] under the widget key `{key}_scrubber`;
    a step the visitor sets in the browser becomes st.session_state[key] before the next run."""
    widget = f"{key}_scrubber"
    seq, t = value_to_send(key)
    _COMPONENT(key=widget, data=ScrubberData(**spec, label=label, help=help, seq=seq, t=t),
               on_t_change=lambda: _take_step(key, widget, spec["steps"]))


def _take_step(key: str, widget: str, steps: int) -> None:
    """The on-change callback: the step the browser reported (a StepReport) becomes the session's."""
    reported = st.session_state[widget].get("t")
    t = reported.get("t") if isinstance(reported, dict) else None
    if isinstance(t, int) and not isinstance(t, bool) and 0 <= t < steps:
        take_report(key, t, reported.get("seq"))
    else:
        refuse_report(key)

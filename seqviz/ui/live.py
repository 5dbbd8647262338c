"""Live training on a page: a Stop button, a progress bar and live charts while a backend training
runs in the page's script, and the snapshot so far kept when Stop cuts it short.

A click on Stop reruns the page: Streamlit interrupts the running script at its next message to the
browser (the next progress report), so the training call never returns. Each report leaves its
snapshot in session state, and the next run of the page takes it with `LiveTraining.interrupted`;
leaving the page mid-run leaves it there the same way, until the page runs again.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

import streamlit as st

from seqviz.ui.charts import plotly_chart

Result = TypeVar("Result")
REDRAW_S = 1.0  # live charts are redrawn at most this often: each redraw sends whole figures
TICK_S = 0.25  # the progress bar is sent at least this often while training runs (see LiveTraining.run)


@dataclass(frozen=True)
class LiveReport:
    """What one progress report shows: the bar's fraction done and text, a function giving the live
    charts (called only when they are redrawn; None: no charts), and the snapshot a Stop keeps (None:
    nothing)."""

    fraction: float
    text: str
    figures: Callable[[], Sequence] | None = None
    snapshot: object = None


@dataclass(frozen=True)
class LiveTraining:
    """One page's live training: `stop_key`, the Stop button's widget key; `stop_help`, what the button
    says Stop keeps; `slot`, the session key of the latest snapshot (None: a Stop keeps nothing)."""

    stop_key: str
    stop_help: str | None = None
    slot: str | None = None

    def run(self, train: Callable[[Callable[..., bool]], Result], report: Callable[..., LiveReport | None],
            stop_container=st, clock: Callable[[], float] = time.perf_counter) -> Result:
        """`train(on_progress)`, with a Stop button (in `stop_container`) and a progress bar while it runs.

        The backend calls `on_progress(*progress)` as it trains, after every unit of work;
        `report(*progress)` says what to show, or None for no news. The bar is sent again at least every
        TICK_S even without news: Streamlit stops a script whose visitor pressed Stop (or left) only
        when the script sends something, so this is how a Stop takes effect within a fraction of a
        second. Returns what `train` returns, the screen cleared."""
        stop = stop_container.empty()
        stop.button("Stop", key=self.stop_key, help=self.stop_help)
        bar, charts = st.progress(0.0, text="Training…"), st.empty()
        shown = {"fraction": 0.0, "text": "Training…"}
        drawn_at, ticked_at, reports, started = -math.inf, -math.inf, 0, clock()

        def on_progress(*progress) -> bool:
            nonlocal drawn_at, ticked_at, reports
            update = report(*progress)
            if update is not None:
                reports += 1
                if self.slot is not None:
                    st.session_state[self.slot] = update.snapshot
                shown.update(fraction=min(update.fraction, 1.0), text=update.text)
                if update.figures is not None and clock() - drawn_at >= REDRAW_S:
                    with charts.container():
                        for k, figure in enumerate(update.figures()):
                            plotly_chart(figure, key=f"{self.stop_key}_chart_{reports}_{k}")
                    drawn_at = clock()
            if clock() - ticked_at >= TICK_S or shown["fraction"] >= 1.0:
                bar.progress(shown["fraction"], text=shown["text"] + time_left(clock() - started, shown["fraction"]))
                ticked_at = clock()
            return True

        result = train(on_progress)
        self.interrupted()  # it finished: its last snapshot is not a stopped run's
        for placeholder in (stop, bar, charts):
            placeholder.empty()
        return result

    def interrupted(self):
        """The snapshot a run cut short (by Stop, or by leaving the page) left, taken once; else None."""
        return None if self.slot is None else st.session_state.pop(self.slot, None)


def time_left(elapsed: float, fraction: float) -> str:
    """' · about 40 s left', extrapolated from the share done so far in `elapsed` seconds; empty until
    the estimate means something (a second in and 2 % done) and once done."""
    if elapsed < 1.0 or not 0.02 <= fraction < 1.0:
        return ""
    left = elapsed * (1.0 - fraction) / fraction
    if left < 60:
        return f" · about {max(1, round(left))} s left"
    return f" · about {left / 60:.0f} min left" if left < 5940 else f" · about {left / 3600:.1f} h left"


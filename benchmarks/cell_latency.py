"""Server-side time from a changed control to the new figures on "Inside the cell", next to a trivial page.

Both pages run under Streamlit's AppTest in this one process: after a warm-up run, one slider is moved
to a new value and the rerun is timed, several times; the median is printed with its ratio to the
trivial one-slider, one-chart page (benchmarks/trivial_page.py).

Two kinds of rerun are timed:
  full      the whole script reruns (what AppTest does by default, and what a browser does for a
            control outside the page's st.fragment, e.g. the hidden size);
  fragment  only the page's st.fragment reruns, as in a browser session when a control inside it
            (the step t, the units) changes. AppTest has no public switch for this, so the benchmark
            queues the page's fragment id on each rerun request, as Streamlit's server does (this uses
            AppTest's private fragment storage; see `fragment_reruns`).
The default view's step t is the step scrubber's (seqviz.ui.components.scrubber), drawn in the browser: its
rerun is what follows a change there (the URL and the download catch up), after the bars are on
screen; it is set as the scrubber's callback sets it, in session state.
Run from the repository root: python -m benchmarks.cell_latency [--repeats 7]
"""
from __future__ import annotations

import argparse
import functools
import statistics
import time
import warnings
from contextlib import contextmanager, nullcontext

from streamlit.testing.v1 import local_script_runner

from harness.apptest import app_test

PAGE = "pages/inside_the_cell.py"
CASES = (  # (label, query string of the starting view, slider key, values it is moved through, fragment rerun?)
    ("default view: step t from the scrubber (full rerun)", {}, "cell_step", range(1, 99, 7), False),
    ("default view: step t from the scrubber (fragment rerun)", {}, "cell_step", range(1, 99, 7), True),
    ("default view: change hidden size (new trace)", {}, "cell_hidden", range(17, 200, 11), False),
    ("T=500, H=128: move step t (full rerun)", {"cell_T": 500, "cell_hidden": 128}, "cell_step", range(3, 499, 37), False),
    ("T=500, H=128: move step t (fragment rerun)", {"cell_T": 500, "cell_hidden": 128}, "cell_step", range(3, 499, 37),
     True),
)


@contextmanager
def fragment_reruns(at):
    """Make at.run() rerun only the fragments the last run registered, like a widget change inside them."""
    fragment_ids = list(at._fragment_storage._fragments)
    original = local_script_runner.RerunData
    local_script_runner.RerunData = functools.partial(original, fragment_id_queue=fragment_ids)
    try:
        yield
    finally:
        local_script_runner.RerunData = original


def median_rerun(path: str, query: dict, key: str, values, repeats: int, fragment: bool = False) -> float:
    """Median seconds of at.run() after setting control `key` (see `move`), over `repeats` distinct values."""
    at = app_test(path, **query).run()
    if at.exception:
        raise RuntimeError(f"{path} failed: {at.exception}")
    times = []
    with fragment_reruns(at) if fragment else nullcontext():
        for value in list(values)[:repeats]:
            move(at, key, value)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            if at.exception or at.error:
                raise RuntimeError(f"{path} failed after {key}={value}: {at.exception or at.error}")
    return statistics.median(times)


def move(at, key: str, value) -> None:
    """Set control `key` to `value` as a visitor would: a slider by its value; the step scrubber's step
    (no Streamlit widget) as its callback does, in session state."""
    sliders = [s for s in at.slider if s.key == key]
    if sliders:
        sliders[0].set_value(value)
    else:
        at.session_state[key] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    trivial = median_rerun("benchmarks/trivial_page.py", {}, "frequency", range(4, 50, 3), args.repeats)
    print(f"median of {args.repeats} reruns under AppTest (server side, no browser), one process")
    print(f"{'case':<50}{'page (ms)':>11}{'trivial (ms)':>14}{'ratio':>8}")
    for label, query, key, values, fragment in CASES:
        page = median_rerun(PAGE, query, key, values, args.repeats, fragment)
        print(f"{label:<50}{page * 1e3:>11.0f}{trivial * 1e3:>14.1f}{page / trivial:>7.1f}x")


if __name__ == "__main__":
    main()

"""Server-side time from a changed control to the new figures on "Inside the cell", next to a trivial page.

Both pages run under Streamlit's AppTest in this one process: after a warm-up run, one slider is moved
to a new value and the rerun is timed, several times; the median is printed with its ratio to the
trivial one-slider, one-chart page (benchmarks/trivial_page.py). AppTest reruns the whole script,
so the page's st.fragment (which, in a browser session, reruns only the step view when the step,
layer, direction or units change) is not exploited here: the numbers are an upper bound for those.
Run from the repository root: python -m benchmarks.cell_latency [--repeats 7]
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

from tests.support import app_test

CASES = (  # (label, query string of the starting view, slider key, values it is moved through)
    ("default view: move step t (trace cached)", {}, "cell_step", range(1, 99, 7)),
    ("default view: change hidden size (new trace)", {}, "cell_hidden", range(17, 200, 11)),
    ("T=500, H=128 LSTM: move step t", {"cell_T": 500, "cell_hidden": 128}, "cell_step", range(3, 499, 37)),
)


def median_rerun(path: str, query: dict, key: str, values, repeats: int) -> float:
    """Median seconds of at.run() after setting slider `key`, over `repeats` distinct values."""
    at = app_test(path, **query).run()
    if at.exception:
        raise RuntimeError(f"{path} failed: {at.exception}")
    times = []
    for value in list(values)[:repeats]:
        at.slider(key=key).set_value(value)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    trivial = median_rerun("benchmarks/trivial_page.py", {}, "frequency", range(4, 50, 3), args.repeats)
    print(f"median of {args.repeats} reruns under AppTest (server side, no browser), one process")
    print(f"{'case':<48}{'page (ms)':>11}{'trivial (ms)':>14}{'ratio':>8}")
    for label, query, key, values in CASES:
        page = median_rerun("pages/inside_the_cell.py", query, key, values, args.repeats)
        print(f"{label:<48}{page * 1e3:>11.0f}{trivial * 1e3:>14.1f}{page / trivial:>7.1f}x")


if __name__ == "__main__":
    main()

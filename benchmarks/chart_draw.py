"""Plotly's drawing time alone, for every chart each page shows at its defaults, next to the trivial page's chart.

A page's latency (benchmarks/latency.py) is Streamlit's round trip, its React renders and Plotly drawing
the changed chart: Streamlit gives a changed figure a new element ID, so each one is drawn from scratch
with Plotly.newPlot. This benchmark isolates that last part. It opens every page in Chromium, takes
each chart's figure as the page drew it (data and layout, template included: for the trivial page,
Streamlit's chart theme as that page applies it), and draws the figures again with Plotly.newPlot
in a blank page of their own, interleaved round by round in alternating order. It prints each
chart's median draw time (newPlot until the plot is laid out) and its ratio to the trivial page's
chart (benchmarks/trivial_app.py) measured in the same rounds.

The blank page loads the plotly.js that the Python plotly package bundles (4.1.1 with plotly 7.1),
as Streamlit's frontend does not expose its own (4.2.0 in Streamlit 1.67). Run from the repository root:

    python -m benchmarks.chart_draw [--rounds 40] [--pages inside-the-cell ...]
"""
from __future__ import annotations

import argparse
import re
import statistics
from pathlib import Path

import plotly

from benchmarks.latency import TRIVIAL, add_page_arguments, open_drawn, pages_to_measure
from harness import browser as driver

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
WARM_UP = 5  # rounds drawn but not counted: the browser's compiler warms up on the first draws

# Every main-area chart as drawn: its data and layout, read back from Plotly's graph div (the layout
# then holds the width and height Streamlit gave it, so each is drawn again at its size on the page).
# A numpy array arrives as {dtype, bdata} (base64), to which Plotly adds the decoded typed array as
# _inputArray: that is left out, so the figure is drawn again from what the page sent.
READ_CHARTS = """() => Array.from(document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot"))
  .map((g) => JSON.parse(JSON.stringify({data: g.data, layout: g.layout},
                                        (key, value) => (key === "_inputArray" ? undefined : value))))"""

# Draws one figure in a fresh div, after removing the previous one; resolves with the ms from the
# start of Plotly.newPlot until the plot is drawn and laid out.
DRAW = """async (figure) => {
  const root = document.getElementById("root");
  if (root.firstChild) { Plotly.purge(root.firstChild); root.firstChild.remove(); }
  const div = document.createElement("div");
  root.appendChild(div);
  const copy = JSON.parse(JSON.stringify(figure));
  const start = performance.now();
  await Plotly.newPlot(div, copy.data, copy.layout, {displaylogo: false});
  div.getBoundingClientRect();
  return performance.now() - start;
}"""


def chart_name(page: str, k: int, layout: dict) -> str:
    """`page`, the chart's number on it and its title's first line without markup."""
    text = (layout.get("title") or {}).get("text", "")  # plotly.js 3+ takes a title only as {text, …}
    first = re.sub(r"<[^>]+>", "", re.split(r"<br\s*/?>", text)[0]).strip()
    return f"{page} #{k}" + (f": {first[:40]}" if first else "")


def read_figures(browser, targets: dict[str, str]) -> dict[str, dict]:
    """Chart name → {data, layout}, for every chart of every page (page name → URL), the trivial page's first."""
    figures = {}
    for page_name, url in targets.items():
        page = open_drawn(browser, url)
        for k, figure in enumerate(page.evaluate(READ_CHARTS), start=1):
            figures[chart_name(page_name, k, figure["layout"])] = figure
        page.context.close()
    return figures


def draw_times(browser, figures: dict[str, dict], rounds: int) -> dict[str, list[float]]:
    """Chart name → its draw times in ms, WARM_UP rounds left out; each round draws every chart once,
    in alternating order, so neither end of the list always follows the same chart."""
    page = driver.new_context(browser).new_page()
    page.set_content("<html><body style='margin:0'><div id='root'></div></body></html>")
    page.add_script_tag(path=str(PLOTLY_JS))
    times = {name: [] for name in figures}
    names = list(figures)
    for r in range(WARM_UP + rounds):
        for name in names if r % 2 else names[::-1]:
            ms = page.evaluate(DRAW, figures[name])
            if r >= WARM_UP:
                times[name].append(ms)
    page.context.close()
    return times


def report(times: dict[str, list[float]]) -> None:
    """Each chart's median draw time and its ratio to the first chart's (the trivial page's)."""
    baseline = next(iter(times.values()))
    reference = statistics.median(baseline)
    print(f"Plotly.newPlot, Chromium, {len(baseline)} draws per chart (plotly.js of the plotly package)")
    print(f"{'chart':<60} {'median ms':>10} {'÷ trivial':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<60} {median:>10.1f} {median / reference:>9.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    add_page_arguments(parser)
    args = parser.parse_args()
    pages = pages_to_measure(args)
    with driver.StreamlitServer(extra_pages=args.fixture, page_dirs=tuple(args.page_dir)) as app, \
            driver.StreamlitServer(TRIVIAL) as trivial, driver.chromium() as browser:
        targets = {"trivial page": trivial.url} | {info.title: f"{app.url}/{info.url_path}" for info in pages}
        figures = read_figures(browser, targets)
        times = draw_times(browser, figures, args.rounds)
    report(times)


if __name__ == "__main__":
    main()

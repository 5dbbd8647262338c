"""Cold page loads in real Chromium: a link opened by a new visitor on a server started fresh, page ÷ trivial page.

For each page, and for benchmarks/trivial_app.py (one slider, one chart), a server is started fresh and
waited for until it answers its health check; then a new browser context (no cache, no cookies: a
new visitor) opens the page's URL, and the time is taken from the navigation's start to the first
moment every chart of the main area is drawn with data (seqviz.harness.browser.wait_for_charts). A
server that warms up before it reports healthy (seqviz.ui.serve) does so on its own time, as a
server does before it takes visitors; the load starts when it would take them. seqviz's pages are
served as `make run` serves them (seqviz's launcher, pages warmed); the trivial page by plain
`streamlit run`, as any Streamlit app is (seqviz's additions to the page's HTML, seqviz.ui.preload,
would only slow it). Pages and the trivial page alternate in an order shuffled every round (seeded), so
both sides see the same machine. The bar: each page's median at most BAR times the trivial page's. Run
from the repository root:

    python -m benchmarks.cold_load [--rounds 3] [--pages gradient-flow ...]
"""
from __future__ import annotations

import argparse
import random
import statistics

from benchmarks.latency import TRIVIAL, add_page_arguments, pages_to_measure
from harness import browser as driver

BAR = 1.25  # median cold load of every page ÷ the trivial page's
ORDER_SEED = 11
TRIVIAL_NAME = "trivial page"
CHARTS_DRAWN_AT = "() => performance.now()"  # ms since the navigation started (the page's time origin)


def cold_load(browser, script: str, path: str = "", launcher: str = "seqviz") -> float:
    """ms from navigation start to every main-area chart drawn, for a new visitor of a fresh server."""
    with driver.StreamlitServer(script, launcher=launcher, warm=launcher == "seqviz") as server:
        context = driver.new_context(browser)
        try:
            page = context.new_page()
            page.goto(f"{server.url}/{path}")
            driver.wait_for_charts(page, timeout_ms=120_000)
            return page.evaluate(CHARTS_DRAWN_AT)
        finally:
            context.close()


def measure(args) -> dict[str, list[float]]:
    """Page title (and the trivial page) → cold loads in ms, `args.rounds` of each."""
    targets = {TRIVIAL_NAME: (TRIVIAL, "", "streamlit")} | {p.title: ("app.py", p.url_path)
                                                             for p in pages_to_measure(args)}
    loads = {name: [] for name in targets}
    order = random.Random(ORDER_SEED)
    with driver.chromium() as browser:
        for _ in range(args.rounds):
            for name in order.sample(list(targets), len(targets)):
                loads[name].append(cold_load(browser, *targets[name]))
                print(f"  {name}: {loads[name][-1]:.0f} ms", flush=True)
    return loads


def report(loads: dict[str, list[float]]) -> None:
    base = statistics.median(loads[TRIVIAL_NAME])
    print(f"\nnew visitor, fresh server: navigation start → every chart drawn ({len(loads[TRIVIAL_NAME])} rounds)")
    print(f"{'page':<28}{'median ms':>10}{'max ms':>9}{'median ÷ trivial':>18}  bar ≤ {BAR}")
    for name, values in loads.items():
        ratio = statistics.median(values) / base
        mark = "" if name == TRIVIAL_NAME else ("meets" if ratio <= BAR else "OVER")
        print(f"{name:<28}{statistics.median(values):>10.0f}{max(values):>9.0f}{ratio:>17.2f}x  {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="cold loads of each page (each on a fresh server)")
    add_page_arguments(parser)
    args = parser.parse_args()
    report(measure(args))


if __name__ == "__main__":
    main()

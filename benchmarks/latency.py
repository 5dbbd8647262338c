"""Interaction latency in real Chromium: input event → updated chart on screen, page ÷ trivial page.

Starts the app and benchmarks/trivial_app.py (one slider, one chart) on two loopback ports, opens
each page at its default settings and changes its main control (MAIN_CONTROL, else its first
widget) `--repeats` times, always to a value not shown before where the control allows it (slider
steps away from the default, so each change is computed, not served from the cache). Changes are
interleaved page by page so that both sides see the same machine load, in an order shuffled every
round (seeded, so reruns repeat it): in a fixed order each page always followed the same page and
inherited whatever work that one left behind (its server's prefetch, the browser's collection).

Latency is measured inside the page from the timestamp of the input event the browser delivered
(key press or click), twice: to the first animation frame that renders the charts with new data,
every one fully drawn (by Plotly, or by the cell's step scrubber, which draws in the page itself)
and none missing (the updated chart on screen; the bar applies to this one), and to the first frame
at which, in addition, the script run the change started has finished (the whole page up to date).
A frame is timed when its rendering begins (performance.now() in its animation frame callback, right
before style, layout and paint), not by the frame's start timestamp: Chromium
starts a frame, then runs the long task in which Streamlit mounts and draws the new chart, and only
then renders the frame, so the start timestamp comes before the chart is drawn. The watch
is armed before the input event. Streamlit replaces a changed chart's DOM node, so "the data differ"
alone would also fire at the frame where the old chart is gone and the new one not yet drawn.

A reference row, "trivial page in the app", times the same slider and chart served as a page of the
app (benchmarks/shell_page/): its ratio is what the app's shell (navigation, sidebar, fragment)
adds before a page computes or draws anything of its own. With --trace N, N further changes per page
are recorded in a Chromium performance trace and a last table splits input → chart on the page's
main thread: idle (waiting for the server, a timer or a frame), in tasks, on CPU, and style, layout,
paint, GC and script (benchmarks/main_thread.py).

With --runs K the whole measurement is repeated K times, each with fresh servers (cold caches, so
every run walks the same values from the defaults) and a fresh browser; the tables pool the changes
of all runs, and a last table gives each run's median ratio, which moves more than the pooled one.
A table after them gives each page's median ratio over the first and over the second half of every
run's changes: a fresh session's first changes cost some pages more than later ones, as the
browser's compiler warms up. --page-dir DIR serves the pages of DIR with the app and measures them
too: a page and a variant of it, timed side by side. docs/performance.md records the results, and
how many changes an A/B needs to tell a difference from the noise. Run from the repository root:

    python -m benchmarks.latency [--repeats 10] [--runs 3] [--pages inside-the-cell ...] [--fixture]
                                 [--page-dir DIR ...] [--trace 10]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
from pathlib import Path

from benchmarks.main_thread import KINDS, TRACE_CATEGORIES, MainThread, breakdown
from harness import browser as driver
from seqviz.ui.registry import PageInfo, discover_pages

BAR = 1.5  # median latency ratio to the trivial page that every page must stay under
TRIVIAL = "benchmarks/trivial_app.py"
SHELL_PAGE_DIR = Path(__file__).resolve().parent / "shell_page"
IN_APP = "trivial page in the app"  # the reference row: the yardstick inside the app's shell
ORDER_SEED = 7  # seeds the order of the pages in each round, and the bootstrap resamples
RESAMPLES = 2000  # bootstrap resamples for the interval of each median ratio


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def open_drawn(browser, url: str):
    """A fresh session (its own browser context) on `url`, with its charts drawn."""
    page = driver.new_context(browser).new_page()
    driver.open_page(page, url, timeout_ms=120_000)
    driver.wait_for_charts(page, timeout_ms=120_000)
    return page


def open_target(browser, url: str, label: str | None):
    """A fresh session on `url`, charts drawn; returns (page, main control label)."""
    page = open_drawn(browser, url)
    label = label or driver.first_control_label(page)
    if label is None:
        raise RuntimeError(f"{url} has no widget to change")
    return page, label


def page_directory(value: str) -> Path:
    """argparse type of --page-dir: an existing directory."""
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such directory: {value}")
    return path


def add_page_arguments(parser: argparse.ArgumentParser) -> None:
    """--pages, --fixture and --page-dir: the pages `pages_to_measure` picks from `parser`'s arguments."""
    parser.add_argument("--pages", nargs="*", help="url paths of the pages to measure (default: all)")
    parser.add_argument("--fixture", action="store_true", help="also measure the test-only fixture page")
    parser.add_argument("--page-dir", type=page_directory, action="append", default=[], metavar="DIR",
                        help="also serve and measure the pages in DIR (e.g. a variant of a page); repeatable")


def pages_to_measure(args) -> list[PageInfo]:
    pages = discover_pages() + (discover_pages(driver.FIXTURE_PAGES) if args.fixture else [])
    pages = [p for p in pages if p.charts] + [info for directory in args.page_dir for info in discover_pages(directory)]
    if args.pages:
        pages = [p for p in pages if p.url_path in args.pages]
    return pages


MEASURES = ("chart", "rerun")  # input → updated chart on screen; input → rerun finished as well


def measure(args) -> tuple[dict[str, dict[str, list[float]]], dict[str, list], dict[str, list[MainThread]]]:
    """(page name → {"chart": latencies, "rerun": latencies} in ms, page name → per change the long
    frame that showed the chart: (duration, longest script, its invoker), or None if under 50 ms,
    page name → the main thread's time in each of `args.trace` further changes, recorded in a trace)."""
    pages = pages_to_measure(args)
    if not pages:
        raise SystemExit("no pages to measure (none discovered; --fixture adds the test-only fixture page)")
    with driver.StreamlitServer(extra_pages=args.fixture, page_dirs=(SHELL_PAGE_DIR, *args.page_dir)) as app, \
            driver.StreamlitServer(TRIVIAL) as trivial, driver.chromium() as browser:
        shell = discover_pages(SHELL_PAGE_DIR)[0]
        targets = {"trivial page": open_target(browser, trivial.url, "Points"),
                   IN_APP: open_target(browser, f"{app.url}/{shell.url_path}", shell.main_control)}
        for info in pages:
            targets[info.title] = open_target(browser, f"{app.url}/{info.url_path}", info.main_control)
        for page, label in targets.values():
            driver.change_and_wait(page, label, timeout_ms=120_000)  # warm-up: first rerun of the session
        latencies = {name: {m: [] for m in MEASURES} for name in targets}
        frames = {name: [] for name in targets}
        order = random.Random(ORDER_SEED)
        for name in shuffled_rounds(list(targets), args.repeats, order):
            page, label = targets[name]
            for m, value in zip(MEASURES, driver.change_and_time(page, label, timeout_ms=120_000)):
                latencies[name][m].append(value)
            frames[name].append(driver.long_frame_of_last_chart(page))
        traced = {name: [] for name in targets}
        # after the timed changes: tracing slows the browser down
        for name in shuffled_rounds(list(targets), args.trace, order):
            traced[name] += traced_change(browser, *targets[name])[1]
    return latencies, frames, traced


def shuffled_rounds(names: list[str], rounds: int, order: random.Random):
    """Every name once per round, `rounds` times, in an order `order` shuffles anew each round."""
    for _ in range(rounds):
        yield from order.sample(names, len(names))


def traced_change(browser, page, label: str) -> tuple[float, list[MainThread]]:
    """Change the control while Chromium records a performance trace: (input → updated chart in ms, as
    `driver.change_and_time` measures it; the main thread's time in that change, one MainThread)."""
    browser.start_tracing(page=page, categories=list(TRACE_CATEGORIES))
    try:
        chart, _ = driver.change_and_time(page, label, timeout_ms=120_000)
    finally:
        trace = json.loads(browser.stop_tracing())
    return chart, breakdown(trace["traceEvents"] if isinstance(trace, dict) else trace)[:1]


def pooled(runs: list[dict]) -> dict:
    """The runs' dicts merged key by key: lists joined in run order, nested dicts merged the same way."""
    return {key: pooled([run[key] for run in runs]) if isinstance(value, dict)
            else [x for run in runs for x in run[key]] for key, value in runs[0].items()}


def run_ratios(runs: list[dict[str, dict[str, list[float]]]]) -> dict[str, list[float]]:
    """Per page, each run's median chart latency ÷ that run's median for the trivial page."""
    return {name: [statistics.median(run[name]["chart"]) / statistics.median(run["trivial page"]["chart"])
                   for run in runs] for name in runs[0]}


def report_runs(runs: list[dict[str, dict[str, list[float]]]]) -> None:
    """Each run's median ratio (input → updated chart), and in how many runs a page stayed under the bar."""
    print(f"\nmedian ratio to the trivial page in each of the {len(runs)} runs (input → updated chart)")
    print(f"{'page':<28}" + "".join(f"{f'run {k}':>9}" for k in range(1, len(runs) + 1)) + f"   runs ≤ {BAR}")
    for name, ratios in run_ratios(runs).items():
        if name == "trivial page":
            continue
        kept = "" if name == IN_APP else f"{sum(r <= BAR for r in ratios)}/{len(ratios)}"
        print(f"{name:<28}" + "".join(f"{r:>8.2f}x" for r in ratios) + f"   {kept}")


def halves(values: list) -> tuple[list, list]:
    """The first and the second half of a run's changes (the second gets the odd one)."""
    middle = len(values) // 2
    return values[:middle], values[middle:]


def position_ratios(runs: list[dict[str, dict[str, list[float]]]]) -> dict[str, tuple[float, float]]:
    """Per page, (median ratio to the trivial page over the first half of every run's changes, the same
    over the second half): each half pooled over the runs and compared with the trivial page's changes
    at the same places (input → updated chart)."""
    def ratio(name: str, k: int) -> float:
        page = [v for run in runs for v in halves(run[name]["chart"])[k]]
        base = [v for run in runs for v in halves(run["trivial page"]["chart"])[k]]
        return statistics.median(page) / statistics.median(base)

    return {name: (ratio(name, 0), ratio(name, 1)) for name in runs[0] if name != "trivial page"}


def report_positions(runs: list[dict[str, dict[str, list[float]]]]) -> None:
    """The median ratio over each run's first and second half of changes: how much more a fresh
    session's first changes cost a page than its later ones."""
    first, second = halves(runs[0]["trivial page"]["chart"])
    print(f"\nmedian ratio to the trivial page by place in the run: changes 1–{len(first)} and "
          f"{len(first) + 1}–{len(first) + len(second)} of each run, pooled (input → updated chart)")
    print(f"{'page':<28}{'first half':>12}{'second half':>13}")
    for name, (early, late) in position_ratios(runs).items():
        print(f"{name:<28}{early:>11.2f}x{late:>12.2f}x")


def report_main_thread(traced: dict[str, list[MainThread]]) -> None:
    """Medians of where input → chart went on the page's main thread (see benchmarks/main_thread.py)."""
    print("\nthe page's main thread from the input event to the updated chart (Chromium trace, median ms)")
    columns = ("traced", "wall", "idle", "in tasks", "on CPU", *KINDS, "script")
    print(f"{'page':<28}" + "".join(f"{c:>10}" for c in columns))
    for name, runs in traced.items():
        if not runs:
            print(f"{name:<28}{0:>10}")
            continue
        values = [statistics.median(getattr(r, f) for r in runs) for f in ("wall", "idle", "in_tasks", "cpu")]
        values += [statistics.median(r.kinds[k] for r in runs) for k in (*KINDS, "script")]
        print(f"{name:<28}{len(runs):>10}" + "".join(f"{v:>10.0f}" for v in values))


def report_frames(frames: dict[str, list]) -> None:
    """How long the frame that showed the chart took, and its longest script (Long Animation Frames)."""
    print("\nthe frame that showed the updated chart (Chromium's long animation frames, ≥ 50 ms)")
    print(f"{'page':<28}{'long':>7}{'median ms':>10}{'longest script ms':>19}  invoker")
    for name, per_change in frames.items():
        long = [f for f in per_change if f is not None]
        if not long:
            print(f"{name:<28}{0:>6}/{len(per_change)}")
            continue
        invokers = [f[2] for f in long]
        print(f"{name:<28}{len(long):>4}/{len(per_change):<2}{statistics.median(f[0] for f in long):>10.0f}"
              f"{statistics.median(f[1] for f in long):>19.0f}  {max(set(invokers), key=invokers.count)}")


def ratio_interval(values: list[float], base: list[float], draw: random.Random) -> tuple[float, float]:
    """The 90% bootstrap interval of median(values) ÷ median(base), both resampled with replacement."""
    ratios = sorted(statistics.median(draw.choices(values, k=len(values)))
                    / statistics.median(draw.choices(base, k=len(base))) for _ in range(RESAMPLES))
    return ratios[int(0.05 * RESAMPLES)], ratios[int(0.95 * RESAMPLES) - 1]


def verdict(ratio: float, interval: tuple[float, float]) -> str:
    """ok or OVER by the median ratio; "within noise" when the 90% interval also reaches the other side."""
    side = "ok" if ratio <= BAR else "OVER"
    return side + (", within noise" if interval[0] <= BAR < interval[1] else "")


def report(latencies: dict[str, dict[str, list[float]]]) -> None:
    """One table per measure; the bar applies to the chart (the issue's "updated chart on screen"). The
    interval shows how far the median ratio moves with the sample of changes alone; whole runs and
    invocations move further."""
    draw = random.Random(ORDER_SEED)
    for m, heading in zip(MEASURES, ("input event → updated chart on screen (the bar applies here)",
                                     "input event → rerun finished, whole page up to date (stricter)")):
        base = latencies["trivial page"][m]
        base_median, base_p90 = statistics.median(base), p90(base)
        print(f"\n{heading}")
        print(f"{'page':<28}{'median ms':>10}{'p90 ms':>9}{'median ÷ trivial':>18}{'90% interval':>15}"
              f"{'p90 ÷ trivial':>15}" + (f"  bar ≤ {BAR}" if m == "chart" else ""))
        for name, by_measure in latencies.items():
            values = by_measure[m]
            median, high = statistics.median(values), p90(values)
            low, up = ratio_interval(values, base, draw)
            mark = ("" if name == "trivial page" or m != "chart" else "(reference)" if name == IN_APP
                    else verdict(median / base_median, (low, up)))
            print(f"{name:<28}{median:>10.0f}{high:>9.0f}{median / base_median:>17.2f}x{f'{low:.2f}–{up:.2f}':>15}"
                  f"{high / base_p90:>14.2f}x  {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="changes of the main control per page (≥ 2)")
    parser.add_argument("--runs", type=int, default=1, help="independent runs, each with fresh servers and "
                        "browser, pooled in the tables (≥ 1)")
    add_page_arguments(parser)
    parser.add_argument("--trace", type=int, default=0, metavar="N",
                        help="after the timed changes, N more per page in a Chromium trace: where the main "
                             "thread's time went (idle, on CPU, style, layout, paint, GC, script)")
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error(f"--repeats must be at least 2; got {args.repeats}")
    if args.trace < 0:
        parser.error(f"--trace must be 0 or more; got {args.trace}")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1; got {args.runs}")
    runs = [measure(args) for _ in range(args.runs)]
    latencies, frames, traced = (pooled([run[k] for run in runs]) for k in range(3))
    print(f"{args.repeats} changes per page after one warm-up change, {args.runs} run(s) pooled; "
          f"Chromium {driver.CHROMIUM}, loopback")
    report(latencies)
    report_frames(frames)
    if args.runs > 1:
        report_runs([run[0] for run in runs])
    report_positions([run[0] for run in runs])
    if args.trace:
        report_main_thread(traced)


if __name__ == "__main__":
    main()

"""A long session in Chromium: does a page slow down or grow after hundreds of changes (a lecture)?

Opens each page at its default settings in one session and changes its main control (MAIN_CONTROL,
else its first widget) `--changes` times, `--sweep` steps forward, then as many back, and again, as a
teacher steps a control to and fro (so after the first sweep the server answers from its cache, and
what is left is the browser's work). After every `--block` changes it reads the page's CSS rules (every
style sheet's, Streamlit's emotion styles included), its DOM elements and its JavaScript heap, and
the server's resident memory. It prints them per block with the block's median input → updated chart
latency (benchmarks/latency.py's measure), and the last block's median ÷ the first's: a page whose
styles, DOM or listeners pile up with every rerun gets slower block by block. Run from the
repository root:

    python -m benchmarks.long_session [--changes 300] [--block 50] [--sweep 20] [--pages inside-the-cell ...]
"""
from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass

from benchmarks.latency import add_page_arguments, open_target, pages_to_measure
from harness import browser as driver

# What the page holds now: CSS rules over every readable style sheet, DOM elements, JS heap in bytes
# (Chromium's performance.memory; 0 where a browser has none).
PAGE_SIZE = """() => [
  Array.from(document.styleSheets).reduce((n, sheet) => { try { return n + sheet.cssRules.length; }
                                                          catch (error) { return n; } }, 0),
  document.getElementsByTagName("*").length,
  performance.memory ? performance.memory.usedJSHeapSize : 0]"""


@dataclass(frozen=True)
class Block:
    """One block of changes: its median latency (ms), and the page and server after its last change."""
    median_ms: float
    css_rules: int
    dom_elements: int
    js_heap_bytes: int
    server_rss_bytes: int


def forward_at(k: int, sweep: int) -> bool:
    """Direction of change k (0-based): `sweep` changes forward, `sweep` back, and so on."""
    return (k // sweep) % 2 == 0


def slowdown(blocks: list[Block]) -> float:
    """The last block's median latency ÷ the first's."""
    return blocks[-1].median_ms / blocks[0].median_ms


def run_session(browser, server, url: str, label: str | None, changes: int, block: int, sweep: int) -> list[Block]:
    """One fresh session on `url`: `changes` changes of the control `label` (None: the first widget), a
    Block per `block` of them (the last may be shorter)."""
    page, label = open_target(browser, url, label)
    blocks, times = [], []
    for k in range(changes):
        times.append(driver.change_and_wait(page, label, forward=forward_at(k, sweep), timeout_ms=120_000))
        if len(times) == block or k == changes - 1:
            rules, elements, heap = page.evaluate(PAGE_SIZE)
            blocks.append(Block(statistics.median(times), rules, elements, heap, server.rss_bytes()))
            times = []
    page.context.close()
    return blocks


def report(title: str, blocks: list[Block], block: int, changes: int) -> None:
    print(f"\n{title}")
    print(f"{'changes':>9} {'median ms':>10} {'CSS rules':>10} {'DOM elements':>13} {'JS heap MB':>11} "
          f"{'server MB':>10}")
    for k, b in enumerate(blocks):
        span = f"{k * block + 1}–{min((k + 1) * block, changes)}"
        print(f"{span:>9} {b.median_ms:>10.0f} {b.css_rules:>10} {b.dom_elements:>13} "
              f"{b.js_heap_bytes / 1e6:>11.0f} {b.server_rss_bytes / 1e6:>10.0f}")
    print(f"last block ÷ first block: {slowdown(blocks):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=300, help="changes of the main control per page")
    parser.add_argument("--block", type=int, default=50, help="changes per reported block")
    parser.add_argument("--sweep", type=int, default=20, help="changes in one direction before turning back")
    add_page_arguments(parser)
    args = parser.parse_args()
    if min(args.changes, args.block, args.sweep) < 1:
        parser.error("--changes, --block and --sweep must be at least 1")
    pages = pages_to_measure(args)
    if not pages:
        raise SystemExit("no pages to measure")
    print(f"{args.changes} changes per page in one session each, {args.sweep} forward then back; "
          f"Chromium {driver.CHROMIUM}")
    with driver.StreamlitServer(extra_pages=args.fixture, page_dirs=tuple(args.page_dir)) as server, \
            driver.chromium() as browser:
        for info in pages:
            blocks = run_session(browser, server, f"{server.url}/{info.url_path}", info.main_control,
                                 args.changes, args.block, args.sweep)
            report(info.title, blocks, args.block, args.changes)


if __name__ == "__main__":
    main()

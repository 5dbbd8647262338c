"""Make the README's screenshot (assets/screenshot.png) the way the browser tests make theirs.

Starts the app on a free loopback port, opens a page (by default the first: lowest ORDER; Home when
there is none) at its default settings in Debian's headless Chromium, waits for its charts and saves
a screenshot 1280 px wide (800 high by default). `make screenshot` makes the README's: Gradient flow,
1400 high. Run from the repository root: python scripts/screenshot.py [--page url-path] [--height px]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import browser as driver  # noqa: E402
from seqviz.ui.registry import discover_pages  # noqa: E402

OUTPUT = driver.ROOT / "assets" / "screenshot.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", help="url path of the page to show (default: the first page)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--height", type=int, default=800, help="viewport height in pixels (width 1280)")
    args = parser.parse_args()
    pages = discover_pages()
    url_path = args.page if args.page is not None else (pages[0].url_path if pages else "")
    if not driver.chromium_available():
        raise SystemExit(f"Chromium not found at {driver.CHROMIUM}: apt-get install -y chromium")
    with driver.StreamlitServer() as server, driver.chromium() as browser:
        page = driver.new_context(browser, viewport=(1280, args.height)).new_page()
        driver.open_page(page, f"{server.url}/{url_path}", timeout_ms=120_000)
        if driver.chart_count(page):
            driver.wait_for_charts(page, timeout_ms=120_000)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=args.output)
    print(f"wrote {args.output} ({url_path or 'Home'})")


if __name__ == "__main__":
    main()

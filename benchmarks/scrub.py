"""Scrubbing the cell animation in Chromium, next to the trivial page's slider: a click on the
animation's own slider → its bars and numbers at that step on screen, against benchmarks/trivial_app.py's
input event → updated chart (the latency benchmark's yardstick), interleaved in one run.

The animation ("Inside the cell", view "Animation (play)") holds a frame per step and redraws in
the browser, with no round trip to the server; the trivial page's every change is a Streamlit rerun.
A click is timed from its pointerdown event to the first animation frame, timed as
benchmarks/latency.py times it (performance.now() when the frame's rendering begins), in which both
the slider's current value and the numbers' header read the clicked step. Run from the repository root:

    python -m benchmarks.scrub [--repeats 40]
"""
from __future__ import annotations

import argparse
import statistics
from urllib.parse import quote

from benchmarks.latency import TRIVIAL, open_target, p90
from harness import browser as driver

ANIMATION_URL = "inside-the-cell?cell_tab=" + quote("Animation (play)")
# Armed before the click: records in window.__seqvizScrub the first animation frame (its rendering's
# start, as benchmarks/latency.py times frames) in which both the slider's current value and the
# numbers' header read `step`; the click's time is the driver's input clock (window.__seqvizInputAt).
WATCH_FOR_STEP = """
(step) => {
  const watch = window.__seqvizScrub = {shown: null};
  const label = "step t = " + step;
  const check = () => {
    const now = performance.now();
    const texts = document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot text");
    if (window.__seqvizInputAt !== null && Array.from(texts).filter((t) => t.textContent === label).length === 2) {
      watch.shown = now - window.__seqvizInputAt;
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
}
"""


def click_step(page, step: int) -> float:
    """Click the animation slider's tick of `step` (frames are one per step at the default T = 100);
    returns the click's input event → the step's bars and numbers on screen, in ms."""
    page.evaluate(WATCH_FOR_STEP, step)
    driver.click_chart_slider_step(page, step)
    page.wait_for_function("() => window.__seqvizScrub.shown !== null", timeout=30_000)
    return page.evaluate("() => window.__seqvizScrub.shown")


def measure(repeats: int) -> dict[str, list[float]]:
    with driver.StreamlitServer() as app, driver.StreamlitServer(TRIVIAL) as trivial, driver.chromium() as browser:
        cell, _ = open_target(browser, f"{app.url}/{ANIMATION_URL}", None)
        page, label = open_target(browser, trivial.url, "Points")
        driver.change_and_wait(page, label)  # warm-up: first rerun of the session
        times = {"trivial page: slider": [], "cell animation: slider": []}
        for k in range(repeats):
            times["trivial page: slider"].append(driver.change_and_time(page, label)[0])
            times["cell animation: slider"].append(click_step(cell, 1 + k % 98))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=40)
    times = measure(parser.parse_args().repeats)
    base = statistics.median(times["trivial page: slider"])
    print(f"{'':24}median ms   p90 ms   median ÷ trivial")
    for name, values in times.items():
        print(f"{name:24}{statistics.median(values):9.0f}{p90(values):9.0f}{statistics.median(values) / base:12.2f}x")


if __name__ == "__main__":
    main()

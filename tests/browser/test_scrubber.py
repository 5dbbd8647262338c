"""The cell's step scrubber (seqviz/ui/components/scrubber/scrubber.js) in Chromium: its slider redraws the bars and the
numbers in the browser, the server and the URL follow, and a step the server sets reaches it."""
from __future__ import annotations

import re

from harness import browser as driver
from tests.browser.test_history import go
from tests.browser.test_pages import assert_clean

STEP = "Current step t"
SCRUBBER = f"{driver.MAIN} [data-testid='seqvizScrubber']"

# Moves the slider to step t as a drag would (an input event, no change event yet) and reads, in the
# same task, what the scrubber shows: nothing can have come from the server in between.
MOVE_AND_READ = """(t) => {
  const root = document.querySelector("[data-testid='stMain'] [data-testid='seqvizScrubber']");
  const input = root.querySelector("input[type='range']");
  input.value = t;
  input.dispatchEvent(new Event("input", {bubbles: true}));
  const title = root.querySelector("svg text").textContent;
  const header = root.querySelector("th").textContent;
  const hRow = Array.from(root.querySelectorAll("tr")).find((row) => row.cells[0].textContent.startsWith("h "));
  const firstBar = root.querySelector("svg rect title").textContent;
  return {signature: root.dataset.signature, title, header, h0: hRow.cells[1].textContent, firstBar};
}"""


def open_cell(page, server, query: str = "") -> None:
    driver.open_page(page, f"{server.url}/inside-the-cell{query}")
    driver.wait_for_charts(page)


def view(page, name: str) -> None:
    """Choose the step view `name` (a button of the views' segmented control)."""
    page.locator(f"{driver.MAIN} [data-testid='stButtonGroup'] button").filter(has_text=name).click()


def shown_step(page) -> int:
    return int(page.locator(SCRUBBER).get_attribute("data-signature").rsplit(":", 1)[1])


def test_moving_the_step_redraws_bars_and_numbers_in_the_browser_before_the_server_hears(page, console, app_server):
    open_cell(page, app_server)
    shown = page.evaluate(MOVE_AND_READ, 37)
    assert shown["signature"].endswith(":37") and shown["title"] == "States and gates at step t = 37"
    assert shown["header"] == "step t = 37"
    bar = re.fullmatch(r"h  hidden state, unit 0: (\S+)", shown["firstBar"])  # the bar and the table agree
    assert bar and shown["h0"].endswith(f"= {float(bar[1]):.3f}".replace("-", "−"))
    assert "cell_step" not in page.url  # no change event yet: the server has not been told
    page.locator(SCRUBBER).locator("input").dispatch_event("change")
    page.wait_for_url("**/inside-the-cell?cell_step=37")
    assert_clean(page, console)


def test_keys_step_the_scrubber_and_back_returns_to_the_step_before(page, console, app_server):
    open_cell(page, app_server)
    for _ in range(2):
        driver.change_and_wait(page, STEP)
    assert shown_step(page) == 2 and driver.control_value(page, STEP) == "2" and page.url.endswith("?cell_step=2")
    go(page, "back")
    assert shown_step(page) == 1 and driver.control_value(page, STEP) == "1"
    go(page, "back")
    assert shown_step(page) == 0 and page.url.endswith("/inside-the-cell")
    assert_clean(page, console)


def test_the_step_carries_over_between_the_scrubber_and_the_other_views_slider(page, console, app_server):
    open_cell(page, app_server, "?cell_step=4")
    assert shown_step(page) == 4
    view(page, "Heatmaps: units × time")
    driver.wait_for_app_run(page)
    assert driver.control_value(page, STEP) == "4"
    driver.change_and_wait(page, STEP)  # a Streamlit slider here: the heatmaps' step marker moves
    view(page, "Bars at step t")
    driver.wait_for_app_run(page)
    driver.wait_for_charts(page)
    assert shown_step(page) == 5 and page.url.endswith("cell_step=5")
    assert_clean(page, console)


def control(page, testid: str):
    return page.locator(f"{SCRUBBER} [data-testid='{testid}']")


def test_single_steps_forward_and_back_move_the_bars_and_the_url(page, console, app_server):
    open_cell(page, app_server)
    control(page, "seqvizStepForward").click()
    page.wait_for_url("**/inside-the-cell?cell_step=1")
    control(page, "seqvizStepForward").click()
    page.wait_for_url("**/inside-the-cell?cell_step=2")
    control(page, "seqvizStepBack").click()
    page.wait_for_url("**/inside-the-cell?cell_step=1")
    driver.wait_for_app_run(page)
    assert shown_step(page) == 1 and driver.control_value(page, STEP) == "1"
    assert_clean(page, console)


def test_play_runs_to_the_last_step_and_reports_it_once_it_rests(page, console, app_server):
    open_cell(page, app_server, "?cell_step=90")
    last = int(page.locator(SCRUBBER).locator("input").get_attribute("max"))
    control(page, "seqvizSpeed").select_option("32")
    control(page, "seqvizPlay").click()
    page.wait_for_url(f"**/inside-the-cell?cell_step={last}")
    driver.wait_for_app_run(page)
    assert shown_step(page) == last and control(page, "seqvizPlay").inner_text() == "▶ play"
    control(page, "seqvizPlay").click()  # from the last step, play starts again at 0
    control(page, "seqvizPlay").click()  # and pauses at once: the step it rests on is reported
    rested = shown_step(page)
    page.wait_for_url(f"**/inside-the-cell?cell_step={rested}" if rested else "**/inside-the-cell")
    driver.wait_for_app_run(page)
    assert rested < last and driver.control_value(page, STEP) == str(rested)
    assert_clean(page, console)

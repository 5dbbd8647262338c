"""Stop buttons stop live training in the browser, and the run so far is kept."""
from __future__ import annotations

import re

import pytest

from harness import browser as driver
from tests.browser.test_pages import PAGES, assert_clean, open_app_page

PROGRESS = f"{driver.MAIN} [data-testid='stProgress']"


def page_info(url_path: str):
    return next(p for p in PAGES if p.url_path == url_path)


def train_then_stop(page, train_label: str, progress_pattern: str) -> None:
    """Click Train, wait until the progress bar reads `progress_pattern` (a run under way), click Stop."""
    page.locator(driver.MAIN).get_by_role("button", name=train_label).click()
    page.locator(PROGRESS, has_text=re.compile(progress_pattern)).wait_for(timeout=60_000)
    page.locator(driver.MAIN).get_by_role("button", name="Stop").click()
    page.locator(PROGRESS).wait_for(state="detached", timeout=60_000)
    driver.wait_for_app_run(page)


@pytest.mark.parametrize("url_path, query, train_label, progress, kept", [
    ("attention", "?attn_steps=5000&attn_hidden=16", "Train bahdanau model (5000 updates)", r"update [1-9]\d*/5000",
     r"(\d+) updates in [\d.]+ s, stopped early"),
    ("gradient-flow", "?grad_view=Clipping+in+training&grad_updates=2000", "Train", r"Update [1-9]\d* of 2000",
     r"Stopped by the user after (\d+) updates"),
])
def test_stop_ends_a_live_run_and_keeps_it(url_path, query, train_label, progress, kept, page, console, app_server):
    """Each run has far more updates than the time to the Stop click allows (5000 and 2000)."""
    open_app_page(page, app_server, page_info(url_path), query)
    driver.wait_for_app_run(page)
    train_then_stop(page, train_label, progress)
    text = page.locator(driver.MAIN).inner_text()
    done = re.search(kept, text)
    assert done and 0 < int(done[1]) < 2000, text[:2000]
    assert page.locator(driver.MAIN).get_by_role("button", name="Stop").count() == 0
    assert_clean(page, console)


def test_stop_ends_the_token_cost_measurement_and_nothing_half_measured_is_shown(page, console, app_server):
    """The cost view measures as it opens (seconds at 16k tokens and L = 2048): Stop is clicked as soon as the
    progress bar shows, without waiting for the page's run to end."""
    page.goto(f"{app_server.url}/recurrence-vs-attention?rva_view=What+a+token+costs&rva_cost_T=16384&rva_cost_L=2048")
    page.locator(PROGRESS, has_text=re.compile(r"measuring .* at [\d,]+ tokens")).wait_for(timeout=60_000)
    page.locator(driver.MAIN).get_by_role("button", name="Stop").click()
    page.get_by_text("Measuring stopped: nothing is shown until “Measure again”.").wait_for(timeout=60_000)
    driver.wait_for_app_run(page)
    assert page.locator(PROGRESS).count() == 0 and driver.chart_count(page) == 0
    assert page.locator(driver.MAIN).get_by_role("button", name="Stop").count() == 0
    assert page.locator(driver.MAIN).get_by_role("button", name="Measure again").count() == 1
    assert_clean(page, console)

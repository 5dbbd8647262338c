"""The Recurrence-vs-attention page in Chromium at 1024×768: its formulas fit, its charts have data."""
from __future__ import annotations

from harness import browser as driver

SMALL_SCREEN = (1024, 768)


def test_who_looks_at_whom_fits_a_1024_by_768_window_with_every_chart_drawn(browser, app_server, artifacts):
    context = driver.new_context(browser, SMALL_SCREEN)
    page = context.new_page()
    console = driver.ConsoleErrors(page)
    driver.open_page(page, f"{app_server.url}/recurrence-vs-attention")
    driver.wait_for_charts(page)
    assert page.locator(".katex").count() > 0 and driver.overflowing_formulas(page) == []
    charts = driver.charts_with_data(page)
    assert len(charts) == 1 and charts[0] == 2 * 2 + 2, charts  # 2 layers × 2 heads, Mamba, the LSTM
    assert page.locator(driver.EXCEPTION).count() == 0
    assert console.errors == []
    page.screenshot(path=artifacts / "recurrence-vs-attention-1024x768.png", full_page=True)
    context.close()

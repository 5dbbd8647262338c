"""Visitors at once: each browser session keeps its own settings and sees only its own results."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from harness import browser as driver
from tests.browser.test_pages import PAGES, main_control_label


def query(page) -> dict:
    return parse_qs(urlparse(page.url).query)


def test_two_sessions_with_different_settings_each_see_only_their_own(browser, app_server):
    info = PAGES[0]
    first_context, second_context, check_context = (driver.new_context(browser) for _ in range(3))
    try:
        first, second = first_context.new_page(), second_context.new_page()
        for page in (first, second):
            driver.open_page(page, f"{app_server.url}/{info.url_path}")
            driver.wait_for_charts(page)
        label = main_control_label(first, info)
        driver.change_and_wait(first, label)
        driver.change_and_wait(second, "Seed", area=driver.SIDEBAR)
        driver.change_and_wait(first, label)

        assert "seed" not in query(first) and query(second)["seed"] == ["1"]  # the default 0 is left out
        assert driver.control_value(second, label) != driver.control_value(first, label)
        assert driver.chart_signature(first) != driver.chart_signature(second)
        for page in (first, second):
            fresh = check_context.new_page()
            driver.open_page(fresh, page.url)
            driver.wait_for_charts(fresh)
            assert driver.chart_signature(fresh) == driver.chart_signature(page), page.url
            fresh.close()
    finally:
        for context in (first_context, second_context, check_context):
            context.close()

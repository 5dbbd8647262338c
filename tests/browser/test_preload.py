"""What seqviz's launcher adds to a page's HTML (seqviz.ui.preload), in Chromium: a visitor who opens a page's
URL reaches the server at once, plotly.js is fetched once (the head's script, which the instant views wait
for), and no page at its defaults needs Streamlit's own, larger copy of Plotly."""
from __future__ import annotations

import pytest

from harness import browser as driver
from seqviz.ui.registry import discover_pages

CHART_PAGES = [p for p in discover_pages() if p.charts]


def visit(page, server, path: str) -> tuple[list[str], list[str]]:
    """(the URLs answered with an error, the URLs requested) of a new visitor (`page`) opening `path`."""
    failed, requested = [], []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.on("request", lambda request: requested.append(request.url))
    driver.open_page(page, f"{server.url}/{path}")
    driver.wait_for_charts(page)
    return failed, requested


def test_a_visitor_at_a_pages_url_meets_no_failed_request_and_fetches_plotly_once(app_server, cold_page):
    page, console = cold_page, driver.ConsoleErrors(cold_page)
    failed, requested = visit(page, app_server, "gradient-flow")
    assert failed == []  # no probe of /gradient-flow/_stcore/health first
    assert len([url for url in requested if "/app/static/plotly" in url]) == 1
    assert page.evaluate("() => Boolean(document.getElementById('seqviz-plotly') && window.Plotly)")
    assert console.errors == []


@pytest.mark.parametrize("info", CHART_PAGES, ids=lambda p: p.url_path)
def test_no_page_at_its_defaults_loads_streamlits_own_plotly(app_server, cold_page, info):
    page, console = cold_page, driver.ConsoleErrors(cold_page)
    _, requested = visit(page, app_server, info.url_path)
    assert not [url for url in requested if "/PlotlyChart." in url]
    assert console.errors == []

"""Every page in real Chromium: it loads cleanly, draws its charts, and its main control updates them."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from harness import browser as driver
from seqviz.ui.registry import PageInfo, discover_pages

PAGES = discover_pages() + [p for p in discover_pages(driver.FIXTURE_PAGES) if p not in discover_pages()]
CHART_PAGES = [p for p in PAGES if p.charts]  # the pages whose main control drives a chart


def page_id(page: PageInfo) -> str:
    return page.url_path


def open_app_page(page, server, info: PageInfo | None, query: str = "") -> None:
    driver.open_page(page, f"{server.url}/{info.url_path if info else ''}{query}")


def main_control_label(page, info: PageInfo) -> str:
    label = info.main_control or driver.first_control_label(page)
    assert label, f"{info.path.name} has charts but no widget; declare MAIN_CONTROL = '<widget label>'"
    return label


def assert_clean(page, console) -> None:
    assert page.locator(driver.EXCEPTION).count() == 0, page.locator(driver.EXCEPTION).first.inner_text()
    assert driver.latex_errors(page) == []
    assert console.errors == []


# Views whose equations change with the settings, beyond the pages' defaults.
EQUATION_VIEWS = ("inside-the-cell?cell_layers=2&cell_bidir=1&cell_layer=1&cell_direction=1",
                  "inside-the-cell?cell_kind=gru", "inside-the-cell?cell_kind=rnn-relu",
                  "attention?attn_view=Alignment&attn_attention=luong-general&attn_feed=1",
                  "attention?attn_view=Alignment&attn_attention=none&attn_bidir=1",
                  "attention?attn_view=Exposure+bias", "state-space-models?ssm_k_method=bilinear",
                  "state-space-models?ssm_view=Memory+%28HiPPO%29", "state-space-models?ssm_view=Selection+%28Mamba%29",
                  "state-space-models?ssm_view=Conv+%3D+recurrence", "gradient-flow",
                  "gradient-flow?grad_view=Phase+diagram", "gradient-flow?grad_view=Clipping+in+training")
PROJECTOR = (1024, 700)  # a lecture hall's projector, the narrowest window the formulas must fit unscrolled


@pytest.mark.parametrize("path", EQUATION_VIEWS)
def test_katex_typesets_every_formula_of_views_whose_equations_vary_and_they_fit_a_projector(
        path, page, console, app_server):
    page.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
    driver.open_page(page, f"{app_server.url}/{path}")
    asked, shown = parse_qs(urlparse(path).query), parse_qs(urlparse(page.url).query)
    assert {key: shown.get(key) for key in asked} == asked  # the view asked for, not a fallback
    assert page.locator(".katex").count() > 0
    assert driver.overflowing_formulas(page) == []
    assert_clean(page, console)


def test_the_browser_reaches_the_app_on_loopback_and_nothing_outside(cold_page, app_server):
    """Outside addresses go to a proxy that does not exist (harness.browser.LOOPBACK_ONLY): they fail at once
    whether or not the machine is online, and a test can never depend on the network."""
    page = cold_page
    driver.open_page(page, app_server.url)
    fetched = page.evaluate("""(urls) => Promise.all(urls.map((url) => fetch(url, {mode: "no-cors"})
      .then(() => "reached", () => "blocked")))""", ["http://example.org/", "http://93.184.215.14/", app_server.url])
    assert fetched == ["blocked", "blocked", "reached"]
    for outside in ("http://example.org/", "http://93.184.215.14/"):
        with pytest.raises(Exception, match="ERR_PROXY_CONNECTION_FAILED"):
            page.goto(outside)


def test_home_page_loads_cleanly_and_links_every_page(page, console, app_server, artifacts):
    open_app_page(page, app_server, None)
    assert page.locator("h1").first.inner_text() == "seqviz"
    for info in PAGES:
        assert page.locator(driver.page_link(info.url_path, driver.MAIN)).count() == 1, info.title
    page.screenshot(path=artifacts / "home.png", full_page=True)
    assert_clean(page, console)


@pytest.mark.parametrize("info", CHART_PAGES, ids=page_id)
def test_page_loads_cleanly_and_every_chart_has_data(info, page, console, app_server, artifacts):
    open_app_page(page, app_server, info)
    assert page.locator("h1").first.inner_text() == info.title
    driver.wait_for_charts(page)  # fails unless the page shows at least one chart
    assert all(traces > 0 for traces in driver.charts_with_data(page)), driver.charts_with_data(page)
    page.screenshot(path=artifacts / f"{info.url_path}.png", full_page=True)
    assert_clean(page, console)


@pytest.mark.parametrize("info", CHART_PAGES, ids=page_id)
def test_the_main_control_updates_the_chart_and_url_and_the_url_reproduces_the_view(
        info, page, console, app_server, tabs):
    open_app_page(page, app_server, info)
    driver.wait_for_charts(page)
    label = main_control_label(page, info)
    url_before, chart_before = page.url, driver.chart_signature(page)
    driver.change_and_wait(page, label)  # raises unless the chart's data changed
    assert driver.chart_signature(page) != chart_before
    assert parse_qs(urlparse(page.url).query) != parse_qs(urlparse(url_before).query)
    copy = tabs.new_page()  # another visitor, with a session of its own
    try:
        driver.open_page(copy, page.url)
        driver.wait_for_charts(copy)
        assert driver.control_value(copy, label) == driver.control_value(page, label)
        assert driver.chart_signature(copy) == driver.chart_signature(page)
    finally:
        copy.close()
    assert_clean(page, console)


def test_sidebar_links_reach_every_page_and_home(page, console, app_server):
    open_app_page(page, app_server, None)
    for info in PAGES:
        page.locator(driver.page_link(info.url_path)).click()
        page.wait_for_url(f"**/{info.url_path}**")
        driver.wait_for_app_run(page)
        assert page.locator("h1").first.inner_text() == info.title
    page.locator(driver.page_link("")).click()
    page.wait_for_function("() => document.querySelector('h1')?.innerText === 'seqviz'")
    assert_clean(page, console)


def test_shared_sidebar_settings_come_from_the_url(page, console, app_server):
    open_app_page(page, app_server, PAGES[0] if PAGES else None, "?seed=7&device=cpu")
    assert driver.control_value(page, "Seed", driver.SIDEBAR) == "7"
    assert "cpu" == driver.control_value(page, "Device", driver.SIDEBAR)
    assert_clean(page, console)


def test_the_driver_changes_every_kind_of_control_both_ways(page, console, app_server):
    open_app_page(page, app_server, next(p for p in PAGES if p.path.parent == driver.FIXTURE_PAGES))
    driver.wait_for_charts(page)
    for label, area, kind in [("Sequence length T", driver.MAIN, "stSlider"), ("Cell", driver.MAIN, "stSelectbox"),
                              ("Loss", driver.MAIN, "stRadio"), ("Precision", driver.MAIN, "stButtonGroup"),
                              ("Seed", driver.SIDEBAR, "stNumberInput")]:
        start = driver.control_value(page, label, area)
        for forward in (True, False):
            before = driver.control_value(page, label, area)
            assert driver.change_control(page, label, forward, area) == kind
            driver.wait_for_app_run(page)
            assert driver.control_value(page, label, area) != before, label
        assert driver.control_value(page, label, area) == start, label
    assert_clean(page, console)


def test_the_cell_step_download_holds_the_step_on_screen(page, console, app_server):
    """The step view's download button is drawn outside the step fragment, yet after t moves it
    downloads the figure of the new step."""
    open_app_page(page, app_server, next(p for p in PAGES if p.url_path == "inside-the-cell"))
    driver.wait_for_charts(page)
    driver.change_and_wait(page, "Current step t")  # t = 0 → 1
    page.get_by_role("button", name="Download the trace or a figure").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Bars at step t: figure (HTML)").click()
    html = Path(download.value.path()).read_text()
    assert "States and gates at step t = 1" in html and "States and gates at step t = 0" not in html
    assert_clean(page, console)


BAR_SHAPES = """() => Array.from(document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot .bars path"))
                         .map((bar) => bar.getAttribute("d")).join(" ")"""


def test_the_cell_animation_scrubs_bars_and_numbers_together_in_the_browser(page, console, app_server):
    """A click on the animation's own slider redraws its bars and the numbers under them at that step,
    with no rerun of the page (the frames are in the figure; Plotly redraws the SVG and leaves the
    figure's data as sent, so the bars are compared by their drawn shapes)."""
    info = next(p for p in PAGES if p.url_path == "inside-the-cell")
    open_app_page(page, app_server, info, "?cell_tab=Animation+%28play%29")
    driver.wait_for_charts(page)
    before = page.evaluate(BAR_SHAPES)
    driver.click_chart_slider_step(page, 5)
    page.wait_for_function("""() => Array.from(document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot text"))
                              .filter((t) => t.textContent === "step t = 5").length === 2""")  # slider and numbers
    assert page.evaluate(BAR_SHAPES) != before
    assert page.locator(driver.APP_IDLE).count() == 1 and "cell_step" not in page.url
    assert_clean(page, console)


# Blocks the main thread for 150 ms in the task that adds the new chart's plot to the page, before
# the browser renders the frame that shows it (a MutationObserver callback runs at the end of that task).
BLOCK_WHEN_A_PLOT_IS_ADDED = """() => {
  window.__blockEnd = null;
  const observer = new MutationObserver(() => {
    if (window.__blockEnd !== null || !document.querySelector("[data-testid='stMain'] .js-plotly-plot svg.main-svg")) return;
    const until = performance.now() + 150;
    while (performance.now() < until) {}
    window.__blockEnd = performance.now();
    observer.disconnect();
  });
  observer.observe(document.querySelector("[data-testid='stMain']"), {childList: true, subtree: true});
}"""


def block_before_the_next_chart(page, app_server) -> None:
    """Open the fixture page, change its T once (a first rerun), then arm BLOCK_WHEN_A_PLOT_IS_ADDED."""
    open_app_page(page, app_server, next(p for p in PAGES if p.path.parent == driver.FIXTURE_PAGES))
    driver.wait_for_charts(page)
    driver.change_and_time(page, "Sequence length T")
    page.evaluate(BLOCK_WHEN_A_PLOT_IS_ADDED)


@pytest.mark.timing
def test_the_chart_is_timed_when_its_frame_renders_not_when_that_frame_started(page, console, app_server):
    """A long task before the frame that shows the chart counts: the frame's start timestamp, which
    precedes that task, would date the chart too early."""
    block_before_the_next_chart(page, app_server)
    chart, done = driver.change_and_time(page, "Sequence length T")
    block_end, input_at = page.evaluate("() => [window.__blockEnd, window.__seqvizInputAt]")
    assert block_end is not None and chart >= block_end - input_at >= 150
    assert done >= chart
    frame = driver.long_frame_of_last_chart(page)
    frames, watched = page.evaluate("() => [window.__seqvizLongFrames, window.__seqvizChartWatch.chart]")
    assert frame is not None, f"the blocked frame lasted over 50 ms; chart at {watched}, long frames {frames}"
    duration, script, invoker = frame
    assert duration >= 150 and 0 <= script <= duration and isinstance(invoker, str), (watched, frames)
    assert_clean(page, console)


@pytest.mark.timing
def test_a_traced_change_leaves_the_input_and_chart_marks_around_the_measured_latency(page, console, app_server,
                                                                                      browser):
    """benchmarks/latency.py --trace reads the driver's two console.timeStamp marks from Chromium's
    trace: they must be on the page's main thread and span what the watch measured, with the block
    the test puts before the new chart counted as time in tasks and in script."""
    from benchmarks.latency import traced_change

    block_before_the_next_chart(page, app_server)
    chart, [result] = traced_change(browser, page, "Sequence length T")
    assert result.wall == pytest.approx(chart, abs=5)
    assert result.in_tasks >= 150 and result.kinds["script"] >= 150  # the block's wall time, even if descheduled
    assert 0 < result.cpu <= result.in_tasks
    assert result.idle + result.in_tasks == pytest.approx(result.wall)
    assert_clean(page, console)

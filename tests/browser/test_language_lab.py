"""The Language lab's pattern search in Chromium: a drag across the Altair chart is an interval selection
that Streamlit sends back (st.altair_chart on_select="rerun"); the page answers with the units on over the
span and their matches in the held-out corpus."""
from __future__ import annotations

from harness import browser as driver
from tests.browser.test_pages import assert_clean

CHART = f"{driver.MAIN} [data-testid='stVegaLiteChart']"


def drag_across(page, start: float, end: float) -> None:
    """Press, move and release the mouse across the chart's plot area (Vega's root frame, axes and legend
    outside it), from `start` to `end` of its width."""
    box = page.locator(f"{CHART} svg.marks .role-frame.root > g > path.background").first.bounding_box()  # the plot area
    y = box["y"] + box["height"] * 0.5
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    for k in range(1, 9):  # in steps, as a hand moves
        page.mouse.move(box["x"] + box["width"] * (start + (end - start) * k / 8), y)
    page.mouse.up()


def test_a_brushed_span_finds_its_pattern_in_the_corpus(page, console, app_server):
    driver.open_page(page, f"{app_server.url}/language-lab?lang_view=Pattern+search", timeout_ms=120_000)
    page.locator(CHART).wait_for()
    assert page.get_by_text("Drag across the chart to select a span of steps").count() == 1
    drag_across(page, 0.45, 0.6)
    page.get_by_text("unit(s)").first.wait_for(timeout=120_000)  # "Span a…b: n unit(s) on over it …"
    driver.wait_for_app_run(page, 120_000)
    assert page.get_by_text("Drag across the chart to select a span of steps").count() == 0
    summary = page.locator(f"{driver.MAIN} p", has_text="unit(s)").first.inner_text()
    assert summary.startswith("Span ")
    assert_clean(page, console)


def coloured_text(page) -> str:
    """The markup of the text coloured by the chosen unit (drawn by the instant view under its line)."""
    return page.locator(f"{driver.MAIN} [data-testid='seqvizInstant'] .seqviz-instant-html").inner_html()


def test_the_arrow_key_on_the_unit_list_recolours_the_text_and_goes_to_the_url(page, console, app_server):
    driver.open_page(page, f"{app_server.url}/language-lab", timeout_ms=120_000)
    driver.wait_for_charts(page, timeout_ms=120_000)
    before, first = coloured_text(page), driver.control_value(page, "Unit")
    driver.change_and_wait(page, "Unit", timeout_ms=120_000)
    second = driver.control_value(page, "Unit")
    assert second != first and coloured_text(page) != before
    caption = page.locator(f"{driver.MAIN} [data-testid='seqvizInstant'] .seqviz-instant-caption")
    assert f"unit {second}" in caption.inner_text()
    page.wait_for_function(f"() => location.search.includes('lang_unit={second}')")
    assert_clean(page, console)

"""Controls keep their values in the browser when a run stops at an error above them, and across pages."""
from __future__ import annotations

from harness import browser as driver
from tests.browser.test_pages import PAGES, assert_clean, open_app_page

CELL = next(p for p in PAGES if p.url_path == "inside-the-cell")
HEATMAPS = "Heatmaps: units × time"


def type_text(page, text: str) -> None:
    box = driver.control(page, "Text (one character per step)").locator("input")
    box.fill(text)
    box.press("Enter")
    driver.wait_for_app_run(page)


def test_an_input_error_leaves_the_controls_below_it_as_they_were(page, console, app_server):
    """An empty text stops the run at its message, before the step view's controls: the next good
    text shows the same view again (a dropped choice came back empty, and the run after it failed)."""
    open_app_page(page, app_server, CELL, "?cell_source=text&cell_tab=Heatmaps%3A+units+%C3%97+time")
    driver.wait_for_charts(page)
    type_text(page, "")
    assert "the text is empty" in page.locator(f"{driver.MAIN} [data-testid='stAlert']").first.inner_text()
    for text in ("abc", "abcd"):
        type_text(page, text)
        driver.wait_for_charts(page)
        assert driver.control_value(page, "Step view") == HEATMAPS
    assert "cell_tab=Heatmaps" in page.url
    assert_clean(page, console)


def test_a_page_keeps_its_settings_while_the_visitor_is_on_another_page(page, console, app_server):
    open_app_page(page, app_server, CELL)
    driver.wait_for_charts(page)
    driver.change_and_wait(page, "Hidden size H")
    hidden = driver.control_value(page, "Hidden size H")
    page.locator(driver.page_link("gradient-flow")).click()
    page.wait_for_url("**/gradient-flow**")
    driver.wait_for_charts(page)
    page.locator(driver.page_link("inside-the-cell")).click()
    page.wait_for_url("**/inside-the-cell**")
    driver.wait_for_charts(page)
    assert driver.control_value(page, "Hidden size H") == hidden != "16"
    assert f"cell_hidden={hidden}" in page.url
    assert_clean(page, console)

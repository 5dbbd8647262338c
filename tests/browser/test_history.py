"""The browser's history: one entry per page visit and per change of a control; Back and Forward move
between them and the page follows (seqviz.ui.state.url_batch)."""
from __future__ import annotations

from harness import browser as driver
from tests.browser.test_pages import assert_clean

HIDDEN = "Hidden size H"


def entries(page) -> int:
    return page.evaluate("history.length")


def go(page, direction: str) -> None:
    """Back or Forward to an entry whose charts differ from the ones shown, and wait for them."""
    driver.act_and_wait(page, getattr(page, f"go_{direction}"), f"going {direction}")


def test_back_undoes_each_change_then_leaves_the_page_and_forward_redoes(page, console, app_server):
    driver.open_page(page, app_server.url)
    home = entries(page)
    page.locator(driver.page_link("inside-the-cell")).click()
    page.wait_for_url("**/inside-the-cell")
    driver.wait_for_charts(page)
    values = [driver.control_value(page, HIDDEN)]
    for _ in range(2):
        driver.change_and_wait(page, HIDDEN)
        values.append(driver.control_value(page, HIDDEN))
    assert entries(page) == home + 3 and page.url.endswith(f"?cell_hidden={values[-1]}")
    for expected in values[-2::-1]:
        go(page, "back")
        assert driver.control_value(page, HIDDEN) == expected
    assert page.url.endswith("/inside-the-cell")  # the defaults: a bare URL
    page.go_back()
    page.wait_for_function("() => document.querySelector('h1')?.innerText === 'seqviz'")
    go(page, "forward")
    go(page, "forward")
    assert driver.control_value(page, HIDDEN) == values[1] and entries(page) == home + 3
    assert_clean(page, console)


def test_a_link_back_to_a_page_carries_its_settings_in_one_entry(page, console, app_server):
    driver.open_page(page, f"{app_server.url}/inside-the-cell")
    driver.wait_for_charts(page)
    driver.change_and_wait(page, HIDDEN)
    hidden = driver.control_value(page, HIDDEN)
    page.locator(driver.page_link("gradient-flow")).click()
    page.wait_for_url("**/gradient-flow")
    driver.wait_for_charts(page)
    before = entries(page)
    page.locator(driver.page_link("inside-the-cell")).click()
    page.wait_for_url("**/inside-the-cell?*")
    driver.wait_for_charts(page)
    assert entries(page) == before + 1 and page.url.endswith(f"?cell_hidden={hidden}")
    go(page, "back")
    assert page.url.endswith("/gradient-flow")
    assert_clean(page, console)

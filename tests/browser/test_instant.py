"""Instant views (seqviz/ui/components/instant/instant.js) in Chromium: Attention's task and Gradient flow's T redraw their
chart in the click's own task, before the server hears of it; the URL and Back follow; a value whose
chart was not sent waits for the server, and the chart it gets is the server's."""
from __future__ import annotations

import re

from harness import browser as driver
from tests.browser.test_history import go
from tests.browser.test_pages import assert_clean

INSTANT = f"{driver.MAIN} [data-testid='seqvizInstant']"

# Clicks the control's element `selector` and reads, in the same task, what the chart then holds:
# nothing can have come from the server in between.
CLICK_AND_READ = """(selector) => {
  const root = document.querySelector("[data-testid='stMain'] [data-testid='seqvizInstant']");
  const plot = root.querySelector(".js-plotly-plot");
  const before = plot.data;
  root.querySelector(selector).click();
  return {replaced: plot.data !== before, xmax: plot._fullLayout.xaxis.range[1],
          caption: root.querySelector(".seqviz-instant-caption").textContent,
          checked: Array.from(root.querySelectorAll("[aria-checked='true']")).map((b) => b.textContent)};
}"""


def open_page(page, server, path: str) -> None:
    driver.open_page(page, f"{server.url}/{path}")
    driver.wait_for_charts(page)


def x_max(page) -> float:
    """The right end of the instant view's chart's x axis, as Plotly drew it."""
    return page.evaluate("""() => document.querySelector("[data-testid='stMain'] [data-testid='seqvizInstant']"
      + " .js-plotly-plot")._fullLayout.xaxis.range[1]""")


def test_a_task_click_shows_that_tasks_curves_before_the_server_hears_and_the_url_and_back_follow(
        page, console, app_server):
    open_page(page, app_server, "attention")
    reverse = page.evaluate(CLICK_AND_READ, "button:nth-child(1)")  # the task shown: nothing to redraw
    assert not reverse["replaced"] and reverse["checked"] == ["reverse"]
    sort = page.evaluate(CLICK_AND_READ, "button:nth-child(2)")
    assert sort["replaced"] and sort["checked"] == ["sort"] and "shipped checkpoint" in sort["caption"]
    assert "attn_task" not in page.url  # the click's own task: the server has not answered yet
    page.wait_for_url("**/attention?attn_task=sort")
    driver.wait_for_app_run(page)
    assert driver.control_value(page, "Task") == "sort"
    go(page, "back")
    page.wait_for_function("""() => document.querySelector("[data-testid='stMain'] [data-testid='seqvizInstant']"
      + " [aria-checked='true']").textContent === "reverse" """)
    driver.wait_for_charts(page)
    assert_clean(page, console)


def test_t_steps_in_the_browser_and_a_typed_t_far_away_gets_the_servers_chart(page, console, app_server):
    # the next T is sent only where T itself took under 0.25 s to compute: H = 8 is quick even on a
    # machine busy with the browser and the other tests
    open_page(page, app_server, "gradient-flow?grad_H=8")
    assert 98 < x_max(page) < 101  # steps 0 … 99
    shown = page.evaluate(CLICK_AND_READ, "[data-testid='seqvizStepUp']")
    assert shown["replaced"] and 108 < shown["xmax"] < 111 and "grad_T" not in page.url
    page.wait_for_url("**/gradient-flow?grad_H=8&grad_T=110")
    driver.wait_for_app_run(page)
    assert driver.control_value(page, "Sequence length T") == "110"
    field = page.locator(f"{INSTANT} input")
    before = driver.chart_signature(page)
    field.fill("300")
    field.press("Enter")  # not sent ahead: the chart waits, dimmed, for the server's
    page.wait_for_url("**/gradient-flow?grad_H=8&grad_T=300")
    page.wait_for_function("(before) => window.__seqvizChartSignature() !== before", arg=before)
    driver.wait_for_app_run(page)
    driver.wait_for_charts(page)
    assert page.locator(f"{INSTANT} .seqviz-instant-stale").count() == 0
    assert 298 < x_max(page) < 301
    assert_clean(page, console)


def test_t_out_of_bounds_is_brought_back_inside_them(page, console, app_server):
    open_page(page, app_server, "gradient-flow?grad_T=4990")
    field = page.locator(f"{INSTANT} input")
    field.fill("99999")
    field.press("Enter")
    page.wait_for_url("**/gradient-flow?grad_T=5000", timeout=120_000)
    assert page.locator(f"{INSTANT} [data-testid='seqvizStepUp']").is_disabled()
    assert driver.control_value(page, "Sequence length T") == "5000"
    assert_clean(page, console)


# Moves the slider to `value` as a drag does (an input event, no change event yet) and reads, in the same
# task, the title of the chart it then shows.
DRAG_AND_READ = """(value) => {
  const root = document.querySelector("[data-testid='stMain'] [data-testid='seqvizInstant']");
  const input = root.querySelector("input[type='range']");
  input.value = value;
  input.dispatchEvent(new Event("input", {bubbles: true}));
  return {title: root.querySelector(".js-plotly-plot").layout.title.text,
          stale: root.querySelector(".seqviz-instant-stale") !== null, shown: root.querySelector("output").textContent};
}"""


def test_dragging_n_previews_the_plots_it_was_sent_and_the_drags_end_commits(page, console, app_server):
    open_page(page, app_server, "state-space-models?ssm_k_L=256")
    near = page.evaluate(DRAG_AND_READ, 66)
    assert "N=66" in near["title"] and not near["stale"] and near["shown"] == "66"
    far = page.evaluate(DRAG_AND_READ, 100)  # not sent: the chart of 66 stays, dimmed
    assert "N=66" in far["title"] and far["stale"] and "ssm_k_N" not in page.url
    page.locator(f"{INSTANT} input").dispatch_event("change")
    page.wait_for_url("**/state-space-models?ssm_k_L=256&ssm_k_N=100")
    page.wait_for_function("""() => document.querySelector("[data-testid='stMain'] [data-testid='seqvizInstant']"
      + " .js-plotly-plot").layout.title.text.includes("N=100")""")
    assert page.locator(f"{INSTANT} .seqviz-instant-stale").count() == 0
    assert_clean(page, console)


def chart_box_shown(page) -> bool:
    return page.locator(f"{INSTANT} [data-testid='seqvizInstantChart']").is_visible()


def test_a_task_without_curves_hides_the_last_tasks_chart_once_the_server_has_answered(page, console, app_server):
    open_page(page, app_server, "attention?attn_min_len=12&attn_max_len=10&attn_task=dates")  # lengths only dates ignores
    assert chart_box_shown(page)
    page.locator(f"{INSTANT} button", has_text="reverse").click()
    page.wait_for_url("**/attention?attn_min_len=12")  # 10 is Longest source's default
    page.locator(f"{driver.MAIN} [data-testid='stAlert']").first.wait_for()
    driver.wait_for_app_run(page)
    assert not chart_box_shown(page)  # the error is the answer, not the curves of dates, dimmed
    assert "Shortest source (12) is longer" in page.locator(f"{driver.MAIN} [data-testid='stAlert']").first.inner_text()
    assert_clean(page, console)


def test_the_same_value_picked_again_after_the_server_moved_it_is_taken(page, console, app_server):
    open_page(page, app_server, "gradient-flow?grad_H=8")
    driver.change_and_wait(page, "Sequence length T")  # + : 110
    page.locator(f"{driver.MAIN} [data-testid='stButton'] button", has_text="Preset").click()  # the server: T = 100
    page.wait_for_function("""() => document.querySelector("[data-testid='stMain'] [data-testid='seqvizInstant'] input")
      .value === "100" """)
    driver.wait_for_app_run(page)
    driver.change_and_wait(page, "Sequence length T")  # + again: 110, the value the browser reported before
    page.wait_for_url(re.compile(r".*[?&]grad_T=110(&|$)"))
    assert driver.control_value(page, "Sequence length T") == "110" and 108 < x_max(page) < 111
    assert_clean(page, console)

"""Every view at a wide window (1400 px) and a projector's (1024×768): no text box of a chart on another
(titles, axis titles, legends, annotations, colour-bar titles), no alert over a chart, no widget label
cut off (harness/layout.py says how each is read off the page)."""
from __future__ import annotations

import pytest

from harness import browser as driver
from harness.layout import VIEWS, layout_problems, settle

WIDE, PROJECTOR = (1400, 900), (1024, 768)

# Resolves once every Plotly chart has been redrawn at its container's width (the window was resized).
CHARTS_FIT = """() => Array.from(document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot"))
  .every((plot) => !plot._fullLayout || Math.abs(plot._fullLayout.width - plot.getBoundingClientRect().width) < 2)"""


@pytest.fixture(scope="module")
def view_page(browser):
    context = driver.new_context(browser, WIDE)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", VIEWS)
def test_no_text_on_text_and_no_cut_labels_wide_or_on_a_projector(path, view_page, app_server):
    page = view_page
    page.set_viewport_size({"width": WIDE[0], "height": WIDE[1]})
    console = driver.ConsoleErrors(page)
    page.goto(f"{app_server.url}/{path}")
    settle(page)
    assert page.locator(driver.EXCEPTION).count() == 0
    wide = layout_problems(page)
    page.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
    page.wait_for_function(CHARTS_FIT)
    assert (wide, layout_problems(page)) == ([], [])
    assert console.errors == []


# Plotly's and Streamlit's class names on hand-placed boxes: a legend on the x axis title, an alert on the
# chart, a label cut to 60 px, and boxes that only touch.
PROBE_FIXTURE = """<div data-testid="stMain">
  <div data-testid="stPlotlyChart" style="position:absolute; left:0; top:0; width:400px; height:300px">
    <div class="js-plotly-plot"><svg width="400" height="300"><g class="infolayer">
      <g class="g-xtitle"><text class="xtitle" x="150" y="280" font-size="14">step</text></g>
      <g class="legend"><rect class="bg" x="140" y="268" width="120" height="20"></rect></g>
      <g class="g-ytitle"><text class="ytitle" x="2" y="150" font-size="14">value</text></g>
      <g class="annotation"><rect x="300" y="0" width="60" height="20"></rect></g>
      <g class="annotation"><rect x="360" y="0" width="40" height="20"></rect></g>
    </g></svg></div>
  </div>
  <div data-testid="stAlert" style="position:absolute; left:10px; top:250px; width:100px; height:30px">careful</div>
  <div style="position:absolute; top:400px"><div class="stMarkdownEllipsis"
       style="width:60px; overflow:hidden; white-space:nowrap; text-overflow:ellipsis">A label far too long</div></div>
</div>"""


def test_the_probe_sees_text_on_text_an_alert_on_a_chart_and_a_cut_label(page):
    page.set_content(PROBE_FIXTURE)
    problems = layout_problems(page)
    # not the two annotations side by side, which only touch, nor the y title, which overlaps nothing
    assert problems[:2] == ["in 'chart 1': xtitle 'step' overlaps legend ''",
                            "alert stAlert 'careful' is drawn over a chart"]
    assert len(problems) == 3 and problems[2].startswith("label 'A label far too long' is cut off (60 of")


def test_t_typed_into_gradient_flow_puts_the_underflow_warning_beside_the_chart_not_on_it(view_page, app_server):
    """T = 1000 typed and entered: the float32-underflow warning appears with the new chart and stays clear of
    it (it was once drawn over the chart's title)."""
    page = view_page
    for width, height in (WIDE, PROJECTOR):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{app_server.url}/gradient-flow")
        settle(page)
        field = page.locator(f"{driver.MAIN} [data-testid='seqvizInstant'] input")
        field.fill("1000")
        field.press("Enter")
        page.wait_for_url("**/gradient-flow?grad_T=1000")
        settle(page)
        page.locator(f"{driver.MAIN} .seqviz-instant-warning", has_text="float32").wait_for()  # the instant view's
        assert layout_problems(page) == []

"""benchmarks/chart_draw.py reads a page's charts back as Plotly figures and draws them again on their own."""
from __future__ import annotations


import numpy as np

from benchmarks.chart_draw import chart_name, draw_times, read_figures
from harness import browser as driver
from harness.apptest import plotly_array
from tests.browser.test_pages import PAGES


def test_a_chart_read_back_holds_the_numbers_the_page_sent_and_draws_again(browser, app_server):
    """The fixture page sends its norms as numpy arrays, {dtype, bdata} in the figure's JSON: read back,
    every trace's y is that again, T = 20 numbers without Plotly's decoded copy, and Plotly draws it."""
    fixture = next(p for p in PAGES if p.path.parent == driver.FIXTURE_PAGES)
    figures = read_figures(browser, {fixture.title: f"{app_server.url}/{fixture.url_path}"})
    assert figures and all(name.startswith(f"{fixture.title} #") for name in figures)
    for figure in figures.values():
        for trace in figure["data"]:
            y = trace["y"]
            assert set(y) == {"dtype", "bdata"}, list(y)
            values = plotly_array(y)
            assert values.size == 20 and np.isfinite(values).all()
    times = draw_times(browser, figures, rounds=2)
    assert all(len(values) == 2 and all(ms > 0 for ms in values) for values in times.values())


def test_a_chart_is_named_by_its_page_number_and_title_first_line():
    layout = {"title": {"text": "Kernels <b>K</b><br><sup>note</sup>"}}
    assert chart_name("SSM", 2, layout) == "SSM #2: Kernels K"
    assert chart_name("Page", 1, {}) == "Page #1"

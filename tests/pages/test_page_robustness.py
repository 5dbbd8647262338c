"""Every page survives any valid input: widget bounds, random combinations (Hypothesis), any device.

Pages are discovered, so a new page is covered without touching this file. SEQVIZ_FUZZ_EXAMPLES
sets the number of random sessions per page (tests/conftest.py; small by default, as each one is
a real page run).
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import find, given
from hypothesis.errors import NoSuchExample
from hypothesis import strategies as st

from harness.apptest import ROOT, app_test, instant_charts
from harness.browser import FIXTURE_PAGES
from seqviz.core.devices import DEVICE_CHOICES
from seqviz.figures.theme import TEMPLATE
from seqviz.ui.registry import discover_pages
from tests.pages.widgets import (bound_value, drive_bounds, drive_randomly, run_checked, value_strategy, widget_name,
                                 widgets)

SCRIPTS = ["app.py"] + [str(p.path.relative_to(ROOT)) for p in discover_pages() + discover_pages(FIXTURE_PAGES)]


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_widget_at_its_bounds_runs_without_exception_and_leaves_shared_objects_unchanged(script, recorder):
    """Other sessions at the bounds (training included) while a first session holds the page's shared cached
    objects (tests/pages/conftest.py's recorder): its rerun finds every one as it was."""
    first_session = app_test(script).run()
    drive_bounds(script)
    first_session.run()
    assert not first_session.exception
    assert recorder.changed() == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_random_valid_widget_values_run_without_exception(script):
    @given(data=st.data())
    def random_session(data):
        drive_randomly(script, data.draw)

    random_session()


@pytest.mark.parametrize("script", [str(p.path.relative_to(ROOT)) for p in discover_pages() if p.charts])
def test_every_chart_carries_the_seqviz_template_and_is_drawn_without_streamlits_theme(script):
    at = app_test(script)
    run_checked(at, {})
    charts = at.get("plotly_chart")
    figures = [json.loads(chart.proto.spec) for chart in charts] + [view["figure"] for view in instant_charts(at)]
    assert figures, f"{script} drew no chart at its default settings"
    assert all(chart.proto.theme == "" for chart in charts)
    for figure in figures:
        template = figure["layout"]["template"]["layout"]
        assert template["paper_bgcolor"] == TEMPLATE.layout.paper_bgcolor and template["font"]["color"] == TEMPLATE.layout.font.color


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_number_input_has_a_min_and_a_max(script):
    at = app_test(script)
    run_checked(at, {})
    unbounded = [w.label for w in at.number_input if w.min is None or w.max is None]
    assert unbounded == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_device_choice_runs_falling_back_to_cpu_where_missing(script):
    for device in DEVICE_CHOICES:
        at = app_test(script)
        at.session_state["device"] = device
        run_checked(at, {"device": device})


def test_the_drivers_keep_a_choice_of_numbers_at_or_under_its_cost_cap():
    lengths = SimpleNamespace(label="Longest context T", options=["256", "4096", "16384"])
    views = SimpleNamespace(label="View", options=["a", "b"])
    caps = {"Longest context T": 4096}
    assert [bound_value(lengths, side, caps) for side in ("low", "high")] == ["256", "4096"]
    assert bound_value(lengths, "high") == "16384" and bound_value(views, "high", caps) == "b"
    assert find(value_strategy(lengths, caps), lambda v: v == "4096") == "4096"
    with pytest.raises(NoSuchExample):
        find(value_strategy(lengths, caps), lambda v: v == "16384")


def test_the_driver_reports_a_page_that_fails_at_a_bound():
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        drive_bounds("tests/fixtures/broken_page.py")


@pytest.mark.parametrize("script, key", [("pages/gradient_flow.py", "grad_T"), ("pages/attention.py", "attn_task")])
def test_the_drivers_reach_the_main_controls_drawn_in_the_browser(script, key):
    at = app_test(script)
    run_checked(at, {})
    assert f"InstantControl({key!r})" in [widget_name(w) for w in widgets(at)]

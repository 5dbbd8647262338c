"""seqviz.ui.components.instant and its URL-bound helpers: what the browser is sent, the callback that takes its
report, the byte budget, plotly.js staged for static serving, and Streamlit's own widget and chart
where the browser cannot load plotly.js."""
import hashlib
import json
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs_version
from streamlit.testing.v1 import AppTest

from harness.apptest import ROOT, instant_charts, instant_views
from scripts import make_plotly_bundle
from seqviz.ui.components import instant, plotly_static


def figure(n: int) -> go.Figure:
    return go.Figure(go.Scatter(x=list(range(n)), y=list(range(n))))


def test_a_views_id_follows_its_figure_caption_and_warning():
    spec = instant.chart_payload(instant.Chart(figure(3), "a caption"))
    assert json.loads(spec["figure"])["data"][0]["y"] == [0, 1, 2] and spec["caption"] == "a caption"
    assert spec["id"] == instant.chart_payload(instant.Chart(figure(3), "a caption"))["id"]
    others = [instant.Chart(figure(4), "a caption"), instant.Chart(figure(3), "another"),
              instant.Chart(figure(3), "a caption", "a warning")]
    assert len({spec["id"]} | {instant.chart_payload(v)["id"] for v in others}) == 4


def test_the_budget_keeps_the_shown_view_and_drops_the_others_that_do_not_fit(monkeypatch):
    specs = {str(n): instant.chart_payload(instant.Chart(figure(n))) for n in (10, 200, 20)}
    sizes = {n: len(s["figure"]) for n, s in specs.items()}
    assert list(instant.within_budget(specs, "200")) == ["200", "10", "20"]
    monkeypatch.setattr(instant, "CHART_BYTE_BUDGET", sizes["200"] + sizes["10"])
    assert list(instant.within_budget(specs, "200")) == ["200", "10"]  # 20 would not fit
    monkeypatch.setattr(instant, "CHART_BYTE_BUDGET", 1)
    assert list(instant.within_budget(specs, "200")) == ["200"]  # the shown one is always sent


def test_plotly_js_is_staged_next_to_app_py_for_streamlits_static_serving():
    plotly_static.staged_plotly.cache_clear()
    assert instant.available()
    staged = ROOT / "static" / plotly_static.staged_plotly()
    assert staged.read_bytes() == plotly_static.bundle()[0].read_bytes()
    assert instant.plotly_url() == f"/app/static/{staged.name}"


def test_the_vendored_cartesian_bundle_is_served_when_its_version_is_plotly_pys():
    manifest = json.loads((ROOT / "assets" / "plotly" / "manifest.json").read_text())
    path, traces = plotly_static.bundle()
    assert manifest["plotly_js"] == get_plotlyjs_version()
    assert path == ROOT / "assets" / "plotly" / manifest["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["sha256"]
    assert traces == set(manifest["traces"]) == set(make_plotly_bundle.trace_types(path.read_text()))


def test_a_plotly_py_with_another_plotly_js_gets_its_own_full_bundle(monkeypatch):
    monkeypatch.setattr(plotly_static, "get_plotlyjs_version", lambda: "0.0.1")
    plotly_static.bundle.cache_clear()
    try:
        path, traces = plotly_static.bundle()
        assert (path.name, traces) == ("plotly.min.js", None)
        plotly_static.check_traces(go.Figure(go.Scatter3d(x=[1], y=[1], z=[1])))  # the full bundle draws it
    finally:
        plotly_static.bundle.cache_clear()


def test_an_instant_chart_with_a_trace_the_bundle_lacks_is_refused_on_the_server():
    with pytest.raises(ValueError, match="scatter3d"):
        instant.chart_payload(instant.Chart(go.Figure(go.Scatter3d(x=[1], y=[1], z=[1]))))
    instant.chart_payload(instant.Chart({"data": [{"y": [1, 2]}, {"type": "heatmap", "z": [[1]]}]}))


def test_without_a_writable_static_folder_the_pages_fall_back_to_the_server(monkeypatch, tmp_path):
    blocked = tmp_path / "static"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setattr(plotly_static, "_STATIC", blocked)
    plotly_static.staged_plotly.cache_clear()
    try:
        assert not instant.available()
    finally:
        plotly_static.staged_plotly.cache_clear()


def task_choice():
    import plotly.graph_objects as go
    import streamlit as st

    from seqviz.ui.components.instant import Chart
    from seqviz.ui.state import url_instant_choice

    def curves(_):
        return {task: Chart(go.Figure(go.Bar(y=[k])), f"{task} caption") for k, task in enumerate(("reverse", "sort"))}

    st.session_state["seen"] = url_instant_choice("Task", ("reverse", "sort", "dates"), key="task", charts=curves,
                                                  format_func=str.title)


def test_a_choice_is_sent_with_its_options_labels_and_views_and_follows_the_url():
    at = AppTest.from_function(task_choice)
    at.query_params["task"] = "sort"
    at.run()
    assert not at.exception and at.session_state["seen"][0] == "sort"
    (sent,) = instant_views(at)
    assert set(sent) == instant.InstantData.__required_keys__  # the payload is an InstantData, nothing more
    assert set(sent["charts"]["sort"]) == instant.ChartPayload.__required_keys__
    assert sent["control"] == {"kind": "choice", "options": [["reverse", "Reverse"], ["sort", "Sort"], ["dates", "Dates"]]}
    assert sent["value"] == "sort" and sorted(sent["charts"]) == ["reverse", "sort"]  # dates: no chart, waits
    assert instant_charts(at)[0]["caption"] == "sort caption" and at.session_state["seen"][1].caption == "sort caption"
    assert sent["plotly"].startswith("/app/static/plotly-")
    at.session_state["task"] = "dates"
    at.run()
    assert at.session_state["seen"] == ("dates", None) and at.query_params["task"] in ("dates", ["dates"])
    assert not instant_charts(at)


def take_reports():
    import streamlit as st

    from seqviz.ui.components import instant
    from seqviz.ui.components.sync import value_to_send

    def parse(raw):
        if raw not in ("reverse", "sort", "dates"):
            raise ValueError(raw)
        return raw

    st.session_state.setdefault("task", "reverse")
    seq, _ = value_to_send("task")
    seqs, adopted = [seq], []
    for reported in ("sort", "junk", None, 7, "dates"):  # a junk report: the session's value is sent back
        st.session_state["report"] = {"pick": {"value": reported, "seq": seqs[-1]}}  # the state after a click
        instant._take_pick("task", "report", parse)
        seqs.append(value_to_send("task")[0])
        adopted.append((st.session_state["task"], value_to_send("task")[1]))
    st.session_state["report"] = {"pick": {"value": "sort", "seq": seqs[0]}}  # picked before the last move
    instant._take_pick("task", "report", parse)
    st.session_state.update(seqs=seqs + [value_to_send("task")[0]],
                            adopted=adopted + [(st.session_state["task"], value_to_send("task")[1])])


def test_the_browsers_report_is_taken_if_valid_and_told_back_if_not_or_picked_before_a_move():
    at = AppTest.from_function(take_reports).run()
    assert not at.exception
    seqs, adopted = at.session_state["seqs"], at.session_state["adopted"]
    assert [value for value, _ in adopted] == ["sort", "sort", "sort", "sort", "dates", "sort"]
    assert seqs[1] == seqs[0]  # a valid report: the browser shows it already, nothing to tell
    assert len(set(seqs[1:5])) == 4 and adopted[1][1] == "sort"  # each junk report: told the session's value
    assert seqs[5] == seqs[4]  # "dates", picked under the latest number
    assert seqs[6] != seqs[5] and adopted[5] == ("sort", "sort")  # "sort" under an old number: told again


def number_control():
    import plotly.graph_objects as go
    import streamlit as st

    from seqviz.ui.components.instant import Chart
    from seqviz.ui.state import url_instant_number

    def curves(T):
        return {t: Chart(go.Figure(go.Scatter(y=[t]))) for t in (T - 10, T, T + 10) if 10 <= t <= 100}

    st.session_state["seen"] = url_instant_number("T", 10, 100, key="T", default=50, step=10, charts=curves)


def test_a_number_is_sent_with_its_bounds_and_step_and_clamped_like_url_number():
    at = AppTest.from_function(number_control).run()
    (sent,) = instant_views(at)
    assert sent["control"] == {"kind": "number", "min": 10, "max": 100, "step": 10} and sent["value"] == 50
    assert sorted(sent["charts"], key=int) == ["40", "50", "60"]
    for raw, expected in (("100", 100), ("5000", 50), ("x", 50)):
        at = AppTest.from_function(number_control)
        at.query_params["T"] = raw
        at.run()
        assert instant_views(at)[0]["value"] == expected


@pytest.mark.parametrize("script", [task_choice, number_control])
def test_where_plotly_js_cannot_be_served_streamlits_own_widget_and_chart_are_drawn(script, monkeypatch):
    monkeypatch.setattr(instant, "available", lambda: False)
    at = AppTest.from_function(script).run()
    assert not at.exception and not instant_views(at)
    widget = at.segmented_control(key="task") if script is task_choice else at.number_input(key="T")
    assert widget.label in ("Task", "T") and len(at.get("plotly_chart")) == 1
    assert at.session_state["seen"][1] is not None

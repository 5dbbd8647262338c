"""The "Inside the cell" page under AppTest: defaults, every control, URL state and bad uploads."""
import json

import pytest

from harness.apptest import app_test, html_table_cells, page_figures, step_scrubbers
from seqviz.cell.inputs import InputSpec
from seqviz.cell.run import CellConfig
from seqviz.ui.components.scrubber import ScrubberData

PAGE = "pages/inside_the_cell.py"


def bar_names(bars: dict) -> list[str]:
    """The states a bar figure shows, in order (each bar carries its state's name; the animation's
    numbers are a text trace without bars)."""
    return list(dict.fromkeys(name for trace in bars["data"] if trace["type"] == "bar" for name, _ in trace["customdata"]))


def run_page(**query):
    return app_test(PAGE, **query).run()


FIGURES = {"animation": "States and gates over time", "bars": "States and gates at step", "heatmaps": "Units × time",
           "backward": "Backward pass",
           "units": "Chosen units over time", "order": "Same steps, reverse order", "params": "Parameters for"}


def titles(at):
    return [fig["layout"]["title"]["text"] for fig in page_figures(at)]


def charts(at) -> int:
    """Charts on the page: Plotly's (Streamlit's and the instant views') and the step scrubber's."""
    return len(page_figures(at)) + len(step_scrubbers(at))


def scrubber(at) -> dict:
    (sent,) = step_scrubbers(at)
    return sent


def drawn_bars(at) -> dict:
    """The bars at the step shown, as the step view's download saves them (the browser draws them)."""
    return at.session_state["cell_step_figure"]["figure"]().to_plotly_json()


VIEWS = {"bars": "Bars at step t", "animation": "Animation (play)", "backward": "Backward pass (play)",
         "heatmaps": "Heatmaps: units × time",
         "units": "Chosen units over time"}


def shown(at, name):
    return [fig for fig in page_figures(at) if fig["layout"]["title"]["text"].startswith(FIGURES[name])]


def figure(at, name):
    """The figure `name`; a step-view figure is built only in its view, which is chosen (and rerun) first."""
    if not shown(at, name) and name in VIEWS:
        at.session_state["cell_tab"] = VIEWS[name]
        at.run()
    (found,) = shown(at, name)
    return found


def title(at, name):
    return figure(at, name)["layout"]["title"]["text"]


def assert_clean(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.fixture(scope="module")
def default_page():
    return run_page()


def test_default_view_shows_lstm_on_a_sine_with_the_chosen_step_view_only(default_page):
    at = default_page
    assert_clean(at)
    assert at.title[0].value == "Inside the cell"
    assert [next(n for n, prefix in FIGURES.items() if t.startswith(prefix)) for t in titles(at)] == ["order", "params"]
    assert title(at, "params").startswith("Parameters for I=1, H=16, L=1")
    bars = scrubber(at)  # the bars at step t, drawn in the browser with their step slider
    assert set(bars) == ScrubberData.__required_keys__  # the payload is a ScrubberData, nothing more
    assert (bars["label"], bars["steps"], bars["t"]) == ("Current step t", 100, 0)
    states, gates = [(panel["prefix"], dict(panel["key"])) for panel in bars["panels"]]
    assert states[0] == "states: " and gates[0] == "gates (0 to 1): "  # each row's title is its colour key
    assert states[1]["c  cell state"] == "#ff7f0e" and "f  forget gate" in gates[1]
    assert bars["panels"][0]["names"][::16][:2] == ["h  hidden state", "c  cell state"]
    assert not [s for s in at.slider if s.key == "cell_step"]
    assert drawn_bars(at)["layout"]["title"]["text"] == "States and gates at step t = 0"


def test_the_controls_start_at_the_configs_defaults(default_page):
    at = default_page
    assert at.selectbox(key="cell_source").value == InputSpec.source
    assert at.selectbox(key="cell_kind").value == CellConfig.cell
    assert at.slider(key="cell_hidden").value == CellConfig.hidden_size
    assert at.slider(key="cell_T").value == InputSpec.steps


@pytest.mark.parametrize("name", list(VIEWS))
def test_each_step_view_builds_only_its_own_figure(name):
    at = run_page()
    at.segmented_control(key="cell_tab").set_value(VIEWS[name]).run()
    assert_clean(at)
    assert sorted(next(n for n, prefix in FIGURES.items() if t.startswith(prefix)) for t in titles(at)) == \
        sorted(([] if name == "bars" else [name]) + ["order", "params"])
    assert len(step_scrubbers(at)) == (name == "bars")
    if name == "animation":
        assert len(figure(at, "animation")["frames"]) == 100
    if name == "backward":  # from the last step back: the frames in the order the gradient travels
        frames = figure(at, "backward")["frames"]
        assert len(frames) == 100 and [f["name"] for f in frames[:2]] == ["99", "98"]
        assert "starts at the last step, t = 99" in frames[0]["layout"]["title"]["text"]
        assert any("t = 99" in c.value for c in at.caption)


def test_the_chosen_step_view_comes_from_the_url():
    at = run_page(cell_tab="Heatmaps: units × time")
    assert_clean(at)
    assert shown(at, "heatmaps")


def step_table_header(at) -> list[str]:
    """The header row of the table of the step's numbers (the step scrubber's, at the step it shows)."""
    if step_scrubbers(at):
        return scrubber(at)["table"]["cells"][scrubber(at)["t"]][0]
    return html_table_cells(next(e.proto.body for e in at.get("html") if ">step t = " in e.proto.body))[0]


def test_default_view_shows_the_equations_and_the_numbers_of_three_units(default_page):
    latex = [el.value for el in default_page.latex]
    assert any(r"c_t = f_t \odot c_{t-1}" in line for line in latex)
    assert step_table_header(default_page) == ["step t = 0", "unit j = 0", "unit j = 1", "unit j = 2"]


def test_default_view_offers_trace_and_figure_downloads_in_one_popover(default_page):
    labels = [el.proto.label for el in default_page.get("download_button")]
    assert labels == ["The trace (NPZ)", "The trace (CSV)", "Bars at step t: figure (HTML)",
                      "Order matters: figure (HTML)", "Parameter count: figure (HTML)"]
    assert [el.proto.popover.label for el in default_page.get("popover")] == ["Download the trace or a figure"]
    inside = [el.proto.label for el in default_page.get("popover")[0].get("download_button")]
    assert inside == labels


def test_moving_the_step_slider_moves_the_marker_the_numbers_and_the_bars():
    at = run_page(cell_tab="Heatmaps: units × time")
    at.slider(key="cell_step").set_value(42).run()
    assert_clean(at)
    assert "current step t = 42" in title(at, "heatmaps") and "current step t = 42" in title(at, "units")
    assert step_table_header(at)[0] == "step t = 42"
    at.segmented_control(key="cell_tab").set_value(VIEWS["bars"]).run()
    assert_clean(at)
    assert scrubber(at)["t"] == 42 and step_table_header(at)[0] == "step t = 42"
    assert drawn_bars(at)["layout"]["title"]["text"] == "States and gates at step t = 42"


def test_the_step_scrubber_is_told_a_step_only_when_the_server_moves_it():
    at = run_page()
    first = scrubber(at)
    at.selectbox(key="cell_init").set_value(at.selectbox(key="cell_init").value).run()  # a rerun, nothing changed
    assert scrubber(at) == first  # the same message: the browser keeps the step it shows
    at.session_state["cell_step"] = 7  # as Back or Forward to another URL does
    at.run()
    assert scrubber(at)["seq"] != first["seq"] and scrubber(at)["t"] == 7
    assert at.query_params["cell_step"] in ("7", ["7"])


def test_steps_too_many_to_send_at_once_are_computed_on_the_server():
    at = run_page(cell_T="2000", cell_hidden="64")
    assert_clean(at)
    assert not step_scrubbers(at) and [s.key for s in at.slider if s.key == "cell_step"] == ["cell_step"]
    assert any("too big to send" in c.value for c in at.caption)
    at.slider(key="cell_step").set_value(1500).run()
    assert title(at, "bars").startswith("States and gates at step t = 1500")
    assert step_table_header(at)[0] == "step t = 1500"


@pytest.mark.parametrize("cell,gate", [("rnn-tanh", None), ("rnn-relu", None), ("gru", "z  update gate")])
def test_each_cell_kind_shows_its_own_gates(cell, gate):
    at = run_page()
    at.selectbox(key="cell_kind").set_value(cell).run()
    assert_clean(at)
    animation = figure(at, "animation")
    names = bar_names(animation)
    assert names == (["h  hidden state"] if gate is None else ["h  hidden state", "n  candidate", "r  reset gate", gate])
    rows = [a["text"] for a in animation["layout"]["annotations"]]
    assert [row.split(":")[0] for row in rows] == (["states"] if gate is None else ["states", "gates (0 to 1)"])
    if cell == "gru":
        assert any("PyTorch's convention" in c.value for c in at.caption)
    if cell == "rnn-relu":
        assert any(r"\operatorname{ReLU}" in el.value for el in at.latex)


def test_model_controls_reach_the_trace_and_the_url():
    at = run_page()
    at.slider(key="cell_hidden").set_value(5)
    at.slider(key="cell_layers").set_value(2)
    at.toggle(key="cell_bidir").set_value(True)
    at.selectbox(key="cell_init").set_value("orthogonal")
    at.slider(key="cell_forget_bias").set_value(3.0).run()
    assert_clean(at)
    heatmaps = figure(at, "heatmaps")["data"]
    assert heatmaps[0]["name"] == "x" and heatmaps[0]["z"]["shape"].replace(" ", "") == "1,100"  # the input above
    assert heatmaps[1]["z"]["shape"].replace(" ", "") == "5,100"
    assert title(at, "params") == "Parameters for I=1, H=5, L=2, bidirectional: about n², 4n², 3n²"
    at.selectbox(key="cell_layer").set_value(1)
    at.radio(key="cell_direction").set_value(1).run()
    assert_clean(at)
    assert any("h_{t+1}" in el.value for el in at.latex)
    assert at.query_params["cell_hidden"] in ("5", ["5"]) and at.query_params["cell_init"] in ("orthogonal", ["orthogonal"])


def test_fewer_layers_or_directions_fall_back_to_the_first_shown():
    at = run_page(cell_layers="3", cell_bidir="1", cell_layer="2", cell_direction="1")
    assert (at.selectbox(key="cell_layer").value, at.radio(key="cell_direction").value) == (2, 1)
    at.slider(key="cell_layers").set_value(1)
    at.toggle(key="cell_bidir").set_value(False).run()
    assert_clean(at)
    assert (at.selectbox(key="cell_layer").value, at.radio(key="cell_direction").value) == (0, 0)


def test_url_reproduces_a_view():
    at = run_page(cell_kind="gru", cell_hidden="7", cell_source="impulse", cell_T="30", cell_onset="4",
                  cell_step="6", cell_units="2,5")
    assert_clean(at)
    assert scrubber(at)["t"] == 6 and drawn_bars(at)["layout"]["title"]["text"] == "States and gates at step t = 6"
    assert at.multiselect(key="cell_units").value == [2, 5]
    assert any("unit impulse at t = 4" in c.value for c in at.caption)


def test_units_selector_drives_the_lines_and_equations():
    at = run_page()
    at.multiselect(key="cell_units").set_value([1, 2, 3, 4, 5, 6]).run()
    assert_clean(at)
    lines = figure(at, "units")["data"]
    assert [trace["name"] for trace in lines][:7] == ["x"] + [f"h[{j}]" for j in range(1, 7)]  # the input above
    assert step_table_header(at)[1:] == [f"unit j = {j}" for j in range(1, 4)]  # the first 3 chosen


def test_a_link_with_more_units_than_the_selector_takes_keeps_the_first_eight():
    at = run_page(cell_units="0,1,2,3,4,5,6,7,8,9")
    assert_clean(at)
    assert at.multiselect(key="cell_units").value == list(range(8)) and at.query_params["cell_units"] == "0,1,2,3,4,5,6,7"


def test_no_unit_chosen_says_which_unit_is_shown():
    at = run_page()
    at.multiselect(key="cell_units").set_value([]).run()
    assert_clean(at)
    assert any("No unit chosen" in c.value for c in at.caption)
    assert step_table_header(at)[1:] == ["unit j = 0"]


@pytest.mark.parametrize("source,controls", [
    ("incident", {}),
    ("square", {"cell_T": ("slider", 60), "cell_period": ("slider", 12.0), "cell_noise": ("slider", 0.5)}),
    ("gaussian", {"cell_T": ("slider", 25), "cell_features": ("slider", 4)}),
    ("step", {"cell_T": ("slider", 20), "cell_onset": ("number_input", 5)}),
])
def test_generated_inputs_and_their_controls(source, controls):
    at = run_page()
    at.selectbox(key="cell_source").set_value(source).run()
    for key, (kind, value) in controls.items():
        getattr(at, kind)(key=key).set_value(value)
    at.run()
    assert_clean(at)
    frames = len(figure(at, "animation")["frames"])
    assert frames == {"incident": 3, "square": 60, "gaussian": 25, "step": 20}[source]


def test_incident_events_order_view_names_the_events():
    at = run_page(cell_source="incident")
    order = figure(at, "order")
    assert order["layout"]["annotations"][0]["text"] == ("in order: error logged →<br>reproduction confirmed →<br>"
                                                         "rollback requested")
    assert order["layout"]["annotations"][1]["text"].startswith("reversed: rollback requested")


def test_shrinking_the_length_keeps_step_and_onset_in_range():
    at = run_page(cell_source="impulse", cell_T="50", cell_onset="40", cell_step="45")
    at.slider(key="cell_T").set_value(10).run()
    assert_clean(at)
    assert scrubber(at)["t"] == 9 and at.number_input(key="cell_onset").value == 9


def test_smallest_sizes_one_step_one_unit_work_without_a_step_slider():
    at = run_page(cell_source="gaussian", cell_T="1", cell_hidden="1", cell_units="0,2")
    assert_clean(at)
    assert scrubber(at)["steps"] == 1  # which draws no slider (seqviz/ui/components/scrubber/scrubber.js)
    at.segmented_control(key="cell_tab").set_value(VIEWS["heatmaps"]).run()
    assert_clean(at)
    assert not [s for s in at.slider if s.key == "cell_step"]
    assert at.multiselect(key="cell_units").value == [0]
    assert len(figure(at, "animation")["frames"]) == 1


def test_text_from_the_url_becomes_the_input():
    at = run_page(cell_source="text", cell_text="xyzzy")
    assert_clean(at)
    assert title(at, "params").startswith("Parameters for I=3,") and len(figure(at, "animation")["frames"]) == 5


def test_typed_text_one_hot_and_embedding():
    at = run_page(cell_source="text")
    at.text_input(key="cell_text").input("abcab").run()
    assert_clean(at)
    assert title(at, "params").startswith("Parameters for I=3,")
    at.radio(key="cell_encoding").set_value("embedding").run()
    at.slider(key="cell_embed_dim").set_value(5).run()
    assert_clean(at)
    assert title(at, "params").startswith("Parameters for I=5,")


def test_empty_text_gives_a_message_not_a_traceback():
    at = run_page(cell_source="text")
    at.text_input(key="cell_text").input("").run()
    assert not at.exception
    assert "the text is empty" in at.error[0].value


def test_seed_from_the_shared_sidebar_changes_the_weights():
    first = run_page()
    at = app_test(PAGE)
    at.session_state["seed"] = 5
    at.run()
    assert_clean(at)
    assert title(at, "order") != title(first, "order")


def test_unavailable_device_falls_back_to_cpu_and_leaves_the_message_to_the_sidebar():
    import torch

    if torch.backends.mps.is_available():
        pytest.skip("MPS is available here")
    at = app_test(PAGE)
    at.session_state["device"] = "mps"
    at.run()
    assert_clean(at)
    assert not any("not available" in info.value for info in at.info)  # the sidebar says it once (test_app)
    assert page_figures(at)


def upload(data: bytes, name="series.csv"):
    at = run_page(cell_source="csv")
    at.file_uploader(key="cell_csv").set_value((name, data, "text/csv")).run()
    return at


def test_csv_upload_becomes_the_input():
    at = upload(b"a,b\n1,2\n3,4\n5,6\n0,1\n")
    assert_clean(at)
    assert len(figure(at, "animation")["frames"]) == 4
    assert any("CSV series.csv: 4 steps × 2 features" in c.value for c in at.caption)


def test_overflowing_states_are_flagged_with_the_step_they_start():
    at = run_page(cell_source="csv", cell_kind="rnn-relu", cell_init="identity")
    at.file_uploader(key="cell_csv").set_value(("huge.csv", b"3e38\n" * 2000, "text/csv")).run()
    assert not at.exception
    assert "infinite or NaN from step t = " in at.warning[0].value
    assert charts(at) == 3  # the chosen step view, order, parameters


def test_no_upload_yet_asks_for_a_file():
    at = run_page(cell_source="csv")
    assert not at.exception
    assert "no CSV uploaded yet" in at.error[0].value


@pytest.mark.parametrize("data,message", [
    (b"a,b\n1,2\n3,oops\n", "text cell 'oops' at row 3, column 2"),
    (b"", "is empty"),
    (b"1.0\n" * (50 * 1024**2 // 4), "CSV uploads are limited to 5 MB"),
    (b"a,b\n1,2\nnan,4\n5,\n", "2 row(s) with empty, NaN or infinite cells, or numbers beyond float32's ±3.4e38 (row 3, 4)"),
])
def test_bad_csv_gives_a_clear_message_never_a_traceback(data, message):
    at = upload(data, "bad.csv")
    assert not at.exception
    assert message in at.error[0].value and "bad.csv" in at.error[0].value
    assert not page_figures(at)


def test_page_opens_inside_the_app_shell_with_the_shared_sidebar():
    at = app_test("app.py", seed="3").run()
    at.switch_page("pages/inside_the_cell.py").run()
    assert_clean(at)
    assert at.title[0].value == "Inside the cell"
    assert at.sidebar.number_input(key="seed").value == 3
    assert charts(at) == 3  # the chosen step view, order, parameters


def test_the_animation_carries_its_own_step_and_numbers_and_is_built_once(monkeypatch):
    import streamlit as st

    import seqviz.figures.cell as cell_figures

    st.cache_resource.clear()  # the count below starts from an empty shared cache
    builds = []
    real = cell_figures.cell_animation
    monkeypatch.setattr(cell_figures, "cell_animation", lambda *a, **k: builds.append(1) or real(*a, **k))
    at = run_page(cell_T="37", cell_tab="Animation (play)", cell_units="2,5,7,9")
    assert_clean(at)
    first = figure(at, "animation")
    assert len(first["frames"]) == 37
    assert not [s for s in at.slider if s.key == "cell_step"] and not at.get("html")  # both are in the figure
    numbers = first["data"][-1]
    assert numbers["mode"] == "text" and numbers["text"][0] == "step t = 0"
    assert [text for text in numbers["text"] if text.startswith("unit j")] == ["unit j = 2", "unit j = 5"]  # ANIMATION_TABLE_UNITS
    assert first["frames"][9]["data"][-1]["text"][0] == "step t = 9"
    at.selectbox(key="cell_init").set_value(at.selectbox(key="cell_init").value).run()  # a rerun, nothing changed
    assert figure(at, "animation") == first
    assert builds == [1]


def test_section_headings_are_markdown_headings_shown_literally():
    at = app_test("pages/inside_the_cell.py").run()
    headings = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headings[:2] == ["### Cell", "### Input x\\_t"]  # the underscore is not emphasis
    assert "### Step by step" in headings and not at.subheader


def test_the_animation_with_its_numbers_at_t2000_h256_ships_under_two_megabytes():
    at = run_page(cell_T="2000", cell_hidden="256", cell_tab="Animation (play)")
    assert_clean(at)
    (spec,) = [el.proto.spec for el in at.get("plotly_chart") if "States and gates over time" in el.proto.spec]
    assert len(spec) <= 2 * 1024**2
    assert "to keep the page light" in json.loads(spec)["layout"]["title"]["text"]

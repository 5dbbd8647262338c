"""seqviz.ui.state: remembered values outside narrower bounds move to the nearest bound; the URL-bound
segmented control, and the views it chooses between (only the chosen one built)."""
from streamlit.testing.v1 import AppTest


def bounded_controls():
    import streamlit as st

    from seqviz.ui.state import url_number, url_slider

    high = st.session_state.get("high", 50)
    st.session_state["step_seen"] = url_slider("Step", 0, high, key="step", default=0)
    st.session_state["onset_seen"] = url_number("Onset", 5, high, key="onset", default=5)


def test_a_remembered_value_outside_new_bounds_is_clamped_not_an_error():
    at = AppTest.from_function(bounded_controls).run()
    at.slider(key="step").set_value(45)
    at.number_input(key="onset").set_value(40).run()
    at.session_state["high"] = 10
    at.run()
    assert not at.exception
    assert (at.session_state["step_seen"], at.session_state["onset_seen"]) == (10, 10)
    assert at.query_params["step"] == "10" and at.query_params["onset"] == "10"


def chosen_view():
    import streamlit as st

    from seqviz.ui.state import url_tab

    name = url_tab("View", ("First", "Second", "Third"), key="view_tab")
    st.write(f"built {name}")
    st.session_state["built"] = name


def test_url_tab_builds_only_the_chosen_tab_the_first_by_default_else_the_urls_and_writes_it_back():
    at = AppTest.from_function(chosen_view).run()
    assert not at.exception and at.session_state["built"] == "First"
    at = AppTest.from_function(chosen_view)
    at.query_params["view_tab"] = "Third"
    at.run()
    assert not at.exception and at.session_state["built"] == "Third"
    assert [m.value for m in at.markdown] == ["built Third"]
    at.segmented_control(key="view_tab").set_value("Second").run()
    assert at.session_state["built"] == "Second" and at.query_params["view_tab"] == "Second"
    assert at.segmented_control(key="view_tab").label == "View"


def segmented_task():
    import streamlit as st

    from seqviz.ui.state import url_segmented

    st.session_state["task_seen"] = url_segmented("Task", ("reverse", "sort", "dates"), key="task")


def test_url_segmented_reads_the_url_ignores_non_options_and_writes_the_choice_back():
    at = AppTest.from_function(segmented_task).run()
    assert not at.exception and at.session_state["task_seen"] == "reverse"  # the first option by default
    at.segmented_control(key="task").set_value("dates").run()
    assert at.session_state["task_seen"] == "dates" and at.query_params["task"] == "dates"
    for raw, expected in (("sort", "sort"), ("junk", "reverse")):
        at = AppTest.from_function(segmented_task)
        at.query_params["task"] = raw
        at.run()
        assert not at.exception and at.session_state["task_seen"] == expected


def stepped_sliders():
    import streamlit as st

    from seqviz.ui.state import url_slider

    st.session_state["n_seen"] = url_slider("N", 4, 256, key="n", default=64, step=2)
    st.session_state["dt_seen"] = url_slider("log Δ", -4.0, 0.0, key="dt", default=-2.0, step=0.25)


def test_a_url_value_off_a_sliders_steps_is_ignored_like_one_out_of_bounds():
    seen = []
    for n, dt in (("5", "-3.8"), ("6", "-3.75")):
        at = AppTest.from_function(stepped_sliders)
        at.query_params.update(n=n, dt=dt)
        at.run()
        assert not at.exception
        seen.append((at.session_state["n_seen"], at.session_state["dt_seen"]))
    assert seen == [(64, -2.0), (6, -3.75)]


def toggle_with_reason():
    import streamlit as st

    from seqviz.ui.state import url_toggle

    reason = "needs Luong" if st.session_state.get("bahdanau") else None
    st.session_state["feed_seen"] = url_toggle("Input feeding", key="feed", unavailable=reason)


def test_an_unavailable_toggle_is_drawn_off_and_disabled_and_the_choice_comes_back_when_it_applies():
    at = AppTest.from_function(toggle_with_reason).run()
    at.toggle(key="feed").set_value(True).run()
    assert at.session_state["feed_seen"] is True and at.query_params["feed"] == "1"
    at.session_state["bahdanau"] = True
    at.run()
    shown = at.toggle(key="feed_unavailable")
    assert not at.exception and at.session_state["feed_seen"] is False
    assert (shown.value, shown.proto.disabled, shown.help) == (False, True, "needs Luong")
    at.session_state["bahdanau"] = False
    at.run()
    assert at.session_state["feed_seen"] is True and at.toggle(key="feed").value is True


def batched_page():
    import streamlit as st

    from seqviz.ui.state import url_batch, url_slider, url_toggle

    with url_batch(st.session_state.get("page", "a")):
        st.session_state["n_seen"] = url_slider("N", 0, 10, key="n", default=3)
        st.session_state["on_seen"] = url_toggle("On", key="on")


def test_the_url_holds_only_values_off_their_defaults_and_the_browser_moving_it_wins():
    at = AppTest.from_function(batched_page).run()
    assert not at.exception and dict(at.query_params) == {}  # a page at its defaults adds nothing to the URL
    at.slider(key="n").set_value(5).run()
    at.toggle(key="on").set_value(True).run()
    assert dict(at.query_params) == {"n": "5", "on": "1"}
    at.query_params.pop("on")  # Back: the URL before the toggle
    at.run()
    assert (at.session_state["n_seen"], at.session_state["on_seen"]) == (5, False)
    at.query_params.pop("n")  # Back again: the page's bare URL, its defaults
    at.run()
    assert at.session_state["n_seen"] == 3 and dict(at.query_params) == {}
    at.query_params["n"] = "8"  # Forward, or a hand-edited URL
    at.run()
    assert at.session_state["n_seen"] == 8


def test_another_pages_url_does_not_overwrite_a_remembered_value_and_its_keys_leave_the_url():
    at = AppTest.from_function(batched_page).run()
    at.slider(key="n").set_value(6).run()
    at.session_state["page"] = "b"
    at.query_params.clear()
    at.query_params["foreign"] = "x"  # what the page switch left in the URL
    at.run()
    assert at.session_state["n_seen"] == 6 and dict(at.query_params) == {"n": "6"}

"""seqviz.ui.state: a remembered value that narrower bounds no longer allow moves to the nearest bound."""
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

"""Live training's progress bar: sent at least every TICK_S (so a Stop takes effect), at most then."""
from streamlit.testing.v1 import AppTest


def live_page():
    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator

    from seqviz.ui.live import LiveReport, LiveTraining

    sent = st.session_state.setdefault("sent", [])
    original = DeltaGenerator.progress

    def counted(self, value, text=None):
        sent.append((round(value, 2), text))
        return original(self, value, text=text)

    DeltaGenerator.progress = counted
    now = {"t": 0.0}

    def clock():
        return now["t"]

    def train(on_progress):
        for update in range(1, 1001):
            now["t"] += st.session_state.get("seconds_per_update", 0.001)
            on_progress(update)
        return "done"

    def report(update):
        return LiveReport(update / 1000, f"update {update}") if update % 100 == 0 else None

    try:
        st.session_state["result"] = LiveTraining("stop").run(train, report, clock=clock)
    finally:
        DeltaGenerator.progress = original


def test_the_bar_is_sent_every_quarter_second_and_at_the_end_not_at_every_update():
    at = AppTest.from_function(live_page, default_timeout=60).run()
    assert not at.exception and at.session_state["result"] == "done"
    sent = at.session_state["sent"]
    assert sent[0] == (0.0, "Training…")  # the bar drawn empty
    assert sent[-1] == (1.0, "update 1000")
    assert 5 <= len(sent) <= 7  # ticks at 0, 0.25, 0.5, 0.75 s and the end, not 1,000 messages
    assert all(text.startswith("update") or text == "Training…" for _, text in sent)


def test_the_time_left_is_extrapolated_from_the_share_done():
    from seqviz.ui.live import time_left

    assert time_left(0.5, 0.5) == ""  # under a second: too early to say
    assert time_left(10.0, 0.01) == ""  # under 2 % done: too early to say
    assert time_left(10.0, 0.25) == " · about 30 s left"
    assert time_left(60.0, 0.2) == " · about 4 min left"
    assert time_left(3600.0, 0.25) == " · about 3.0 h left"
    assert time_left(10.0, 1.0) == ""  # done


def test_the_bar_says_how_long_is_left_once_a_second_has_passed():
    at = AppTest.from_function(live_page, default_timeout=60)
    at.session_state["seconds_per_update"] = 0.01  # 1,000 updates in ten seconds
    at.run()
    texts = [text for _, text in at.session_state["sent"]]
    assert not any("left" in text for text in texts[:4])  # under a second in
    assert "update 100 · about 9 s left" in texts  # 10 % done in one second
    assert texts[-1] == "update 1000"

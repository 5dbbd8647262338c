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
            now["t"] += 0.001  # one update per millisecond: 1,000 updates in one second
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

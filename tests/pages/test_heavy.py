"""Page computations under the server-wide admission: a visitor over the limit waits, told how many are
ahead, and computes once a slot frees; known results skip the queue; background work never waits."""
import pytest
from streamlit.testing.v1 import AppTest

from seqviz.core import admission
from seqviz.ui import heavy


def waiting_page():
    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator

    from seqviz.core import admission
    from seqviz.ui.heavy import admitted

    shown = st.session_state.setdefault("shown", [])
    original = DeltaGenerator.info
    DeltaGenerator.info = lambda self, body, **kw: shown.append(body) or original(self, body, **kw)
    gate = st.session_state["gate"]
    ahead_of_me = st.session_state["held"]
    real_wait = admission.Ticket.wait
    waits = {"n": 0}

    def wait(ticket, timeout=None):  # the other visitor's computation ends after this one has waited twice
        waits["n"] += 1
        if waits["n"] == 3:
            ahead_of_me.release()
        return real_wait(ticket, 0 if waits["n"] < 3 else 30)

    server = admission.SERVER
    admission.Ticket.wait, admission.SERVER = wait, gate
    try:
        computed = admitted(lambda x: x * 2, "page.double", quiet=False)
        st.session_state["result"] = computed(st.session_state.get("x", 21))
    finally:
        admission.Ticket.wait, DeltaGenerator.info, admission.SERVER = real_wait, original, server


@pytest.fixture
def busy_server(monkeypatch):
    gate = admission.Admission(slots=1, budget_bytes=10**9)
    monkeypatch.setattr(admission, "SERVER", gate)
    heavy._known.clear()
    return gate, gate.ticket()  # another visitor's computation holds the only slot


def test_a_visitor_over_the_limit_waits_told_how_many_are_ahead_then_computes(busy_server):
    gate, held = busy_server
    at = AppTest.from_function(waiting_page, default_timeout=60)
    at.session_state["gate"], at.session_state["held"] = gate, held
    at.run()
    assert not at.exception and at.session_state["result"] == 42
    assert at.session_state["shown"] == ["The server is busy: waiting for 1 computation ahead of yours "
                                         "(at most 1 run at once)."] * 2
    assert gate.running() == 0  # the slot was given back


def test_a_known_result_and_background_work_never_wait(busy_server):
    gate, held = busy_server
    computed = heavy.admitted(lambda x: x + 1, "test.increment", quiet=True)
    with pytest.raises(admission.ServerBusy):
        computed(1)  # the prefetch worker's call: skipped while the server is busy
    held.release()
    assert computed(1) == 2  # a free slot: computed, and remembered
    again = gate.ticket()  # busy once more
    assert computed(1) == 2 and gate.running() == 1  # known: served without a slot
    again.release()


def slow_page():
    import threading

    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator

    from seqviz.core import admission
    from seqviz.ui import heavy

    shown = st.session_state.setdefault("shown", [])
    release = threading.Event()
    original, real_progress = DeltaGenerator.progress, heavy._progress

    def progress(name, charged, elapsed):  # the computation ends once the page has shown its bar twice
        shown.append(real_progress(name, charged, elapsed)[1].split(" s")[0])
        if len(shown) == 2:
            release.set()
        return real_progress(name, charged, elapsed)

    def work(x):
        admission.current().charge(1000, timeout=0)  # what check_budget does inside a backend call
        release.wait(30)
        return x + 1

    heavy._progress, server, admission.SERVER = progress, admission.SERVER, admission.Admission(1, 10**9)
    try:
        computed = heavy.admitted(work, "test.slow", quiet=False, background=work)
        st.session_state["result"] = computed(st.session_state.get("x", 1))
    finally:
        heavy._progress, DeltaGenerator.progress, admission.SERVER = real_progress, original, server


def test_a_slow_computation_shows_its_progress_and_an_estimate_from_earlier_runs(monkeypatch):
    monkeypatch.setattr(heavy, "SHOW_AFTER_S", 0.0)
    monkeypatch.setattr(heavy, "TICK_S", 0.01)
    heavy._rates.pop("test.slow", None)
    at = AppTest.from_function(slow_page, default_timeout=60)
    at.session_state["x"] = 1
    at.run()
    assert not at.exception and at.session_state["result"] == 2
    assert at.session_state["shown"][0].startswith("Computing… 0")  # no earlier run: no estimate yet
    assert len(heavy._rates["test.slow"]) == 1  # this run's seconds per byte, for the next estimate
    fraction, text = heavy._progress("test.slow", 1000, 0.0)
    assert "(from this server's earlier runs); about" in text and fraction == 0.0
    assert not at.button  # the Stop button is gone with the bar once the result is in


def test_the_estimate_is_the_median_of_recent_rates_times_the_work():
    heavy._rates["test.rates"] = [1e-6, 3e-6, 2e-6]
    fraction, text = heavy._progress("test.rates", 10**7, 5.0)  # median 2e-6 s per byte × 10 MB = 20 s
    assert text == "Computing… 5 s of about 20 s (from this server's earlier runs); about 15 s left"
    assert fraction == pytest.approx(0.25)
    assert heavy._progress("test.unknown", 10**7, 5.0)[1] == "Computing… 5 s so far"

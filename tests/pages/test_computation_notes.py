"""Which device computed a view's result, in what precision, and how long it took (seqviz.ui.cache.computation_note):
said under every view that computes when drawn, also when the sidebar's device is "auto"."""
import re

import pytest
from streamlit.testing.v1 import AppTest

from harness.apptest import app_test, page_captions


def noted_script():
    import time

    import streamlit as st

    from seqviz.ui.cache import cached_data, computation_note

    def slow(x: int) -> int:
        time.sleep(0.05)
        return 2 * x

    with computation_note("cpu", "float64"):
        st.write(cached_data(slow)(st.session_state.get("x", 1)))


def notes(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Computed on")]


def test_the_note_gives_the_time_of_the_work_done_now_then_the_time_a_cached_result_took():
    at = AppTest.from_function(noted_script).run()
    (fresh,) = notes(at)
    assert re.fullmatch(r"Computed on CPU in float64 in \d+\.\d\d s\.", fresh)
    assert float(fresh.split(" in ")[-1].split()[0]) >= 0.05  # the sleep, at least
    (cached,) = notes(at.run())
    assert cached.endswith(" Kept from an earlier run (cache).")
    assert float(cached.split(" in ")[2].split()[0]) >= 0.05  # what it took then, not the cache's lookup
    at.session_state["x"] = 2
    (again,) = notes(at.run())
    assert "Kept" not in again  # a new argument: computed now


def script_with_calls_around_notes():
    import streamlit as st

    from seqviz.ui.cache import cached_data, cached_resource, computation_note

    def double(x: int) -> int:
        return 2 * x

    def model(x: int) -> list:
        return [x]

    st.write(cached_data(double)(1))  # before any note
    with computation_note("cpu"):
        with computation_note("cpu", "float64"):  # nested: the outer one counts the inner one's work too
            st.write(cached_resource(model)(3))
    st.write(cached_data(double)(2), cached_resource(model)(4))  # after the notes ended


def test_cached_calls_outside_notes_run_and_a_shared_resource_counts_in_the_note_around_it():
    at = AppTest.from_function(script_with_calls_around_notes).run()
    assert not at.exception, at.exception
    assert len(notes(at)) == 2 and all("Kept" not in n for n in notes(at))
    at.run()
    assert not at.exception, at.exception
    assert all(n.endswith(" Kept from an earlier run (cache).") for n in notes(at))


VIEWS = [("pages/language_lab.py", {"lang_view": v}, "float32") for v in
         ("Reading the hidden state", "Pattern search", "Decoding", "Gradient reach")] + \
        [("pages/state_space_models.py", {"ssm_view": v}, p) for v, p in
         (("Kernel explorer", "float64"), ("Memory (HiPPO)", "float64"), ("Conv = recurrence", "float64"),
          ("Selection (Mamba)", "float32"))] + \
        [("pages/attention.py", {"attn_view": v}, "float32") for v in ("Alignment", "Exposure bias")] + \
        [("pages/recurrence_vs_attention.py", {"rva_view": "Who looks at whom"}, "float32")]


@pytest.mark.parametrize("page, query, precision", VIEWS, ids=[f"{p.split('/')[1][:-3]}-{list(q.values())[0]}"
                                                               for p, q, _ in VIEWS])
def test_every_view_that_computes_says_on_which_device_in_what_precision_and_how_long(page, query, precision):
    at = app_test(page, timeout=300, **query).run()
    assert not at.exception, at.exception
    assert re.search(rf"Computed on CPU in {precision}[^.]* in \d+\.\d\d s\.", page_captions(at)), page_captions(at)

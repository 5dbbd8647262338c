"""Prefetching the main control's neighbours: the worker, and the pages' next click served from the cache."""
import os
import sys
import threading
import time

import pytest
import streamlit as st

import seqviz.gradients.flow
from harness.apptest import app_test
from seqviz.ui import prefetch


def test_the_worker_runs_every_queued_call_once_and_survives_failures():
    calls, lock = [], threading.Lock()

    def work(x):
        with lock:
            calls.append(x)
        if x == 2:
            raise ValueError("over budget")

    assert prefetch.prefetch(work, [1, 2, 3]) == 3
    prefetch.wait_idle()
    assert sorted(calls) == [1, 2, 3]
    assert prefetch.prefetch(work, [4]) == 1  # the failure did not stop the worker
    prefetch.wait_idle()
    assert sorted(calls) == [1, 2, 3, 4]


def test_a_full_queue_drops_new_requests_instead_of_piling_up():
    release = threading.Event()
    prefetch.prefetch(lambda _: release.wait(10), [None])  # occupies the worker
    try:
        queued = prefetch.prefetch(lambda _: None, range(prefetch.QUEUE_SIZE + 5))
        assert prefetch.QUEUE_SIZE - 1 <= queued <= prefetch.QUEUE_SIZE
    finally:
        release.set()
        prefetch.wait_idle()


def test_the_next_values_follow_the_last_move_and_stay_inside_the_control():
    grid = prefetch.ValueGrid(4, 256, 2)
    assert prefetch.next_values(64, None, grid) == [66, 62]  # first view: both neighbours
    assert prefetch.next_values(66, 64, grid) == [68]  # one step up: the next one up
    assert prefetch.next_values(62, 64, grid) == [60]
    assert prefetch.next_values(70, 64, grid) == [72, 68]  # a jump: both again
    assert prefetch.next_values(64, 64, grid) == [66, 62]  # another control changed
    assert prefetch.next_values(4, None, grid) == [6] and prefetch.next_values(256, 254, grid) == []


def test_a_session_prefetches_in_the_direction_it_moves_and_slow_results_get_none(monkeypatch):
    monkeypatch.setattr(prefetch, "PREFETCH_MAX_S", 0.25)  # the gate under test (tests/pages/conftest.py lifts it)
    from seqviz.ssm.lab import SSMConfig, ssm_kernels

    asked = []
    monkeypatch.setattr(prefetch, "prefetch", lambda cached_fn, arguments: asked.append([a.N for a in arguments]))
    slot = f"prefetched_from:{ssm_kernels.__module__}.ssm_kernels.N"
    st.session_state.pop(slot, None)
    for n in (64, 66, 68, 66):
        prefetch.prefetch_neighbours(ssm_kernels, SSMConfig(N=n), "N", prefetch.ValueGrid(4, 256, 2), seconds=0.01)
    assert asked == [[66, 62], [68], [70], [64]]
    assert prefetch.prefetch_neighbours(ssm_kernels, SSMConfig(N=64), "N", prefetch.ValueGrid(4, 256, 2),
                                        seconds=prefetch.PREFETCH_MAX_S) == 0 and len(asked) == 4
    st.session_state.pop(slot, None)


def test_jobs_start_after_the_settling_time_on_a_low_priority_thread():
    seen = []
    queued_at = time.monotonic()
    prefetch.prefetch(lambda _: seen.append((time.monotonic() - queued_at,
                                              os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))), [None])
    prefetch.wait_idle()
    waited, priority = seen[0]
    assert waited >= prefetch.SETTLE_S
    if sys.platform.startswith("linux"):  # a thread's own nice value; elsewhere it may stay at normal priority
        assert priority == prefetch.LOWEST_PRIORITY


@pytest.fixture
def counted_traces(monkeypatch):
    st.cache_data.clear()
    traces = []
    real = seqviz.gradients.flow.trace
    monkeypatch.setattr(seqviz.gradients.flow, "trace", lambda module, x, **k: traces.append(len(x)) or real(module, x, **k))
    yield traces
    prefetch.wait_idle()
    st.cache_data.clear()


def test_gradient_flow_sends_t_plus_and_minus_one_step_and_prefetches_the_step_after(counted_traces):
    at = app_test("pages/gradient_flow.py", grad_T="200", grad_H="16").run()
    prefetch.wait_idle()
    # 190 and 210 are sent with 200 (seqviz.ui.components.instant); 180 and 220 are computed in the background
    assert not at.exception and sorted(set(counted_traces)) == [180, 190, 200, 210, 220]
    at.session_state["grad_T"] = 210  # the + button
    at.run()
    assert not at.exception and at.session_state["grad_T"] == 210
    prefetch.wait_idle()
    assert sorted(counted_traces) == [t for t in range(180, 240, 10) for _ in range(3)]  # only 230 is new


def test_the_kernel_explorer_sends_n_plus_and_minus_2_and_prefetches_the_step_after(monkeypatch):
    import seqviz.ssm.lab

    st.cache_data.clear()
    builds = []
    real = seqviz.ssm.lab.state_matrices
    monkeypatch.setattr(seqviz.ssm.lab, "state_matrices", lambda config: builds.append(config.N) or real(config))
    try:
        at = app_test("pages/state_space_models.py", ssm_k_N="64").run()
        prefetch.wait_idle()
        assert not at.exception and sorted(builds) == [60, 62, 64, 66, 68]  # 60 and 68 in the background
        at.session_state["ssm_k_N"] = 66  # the slider's right arrow key
        at.run()
        prefetch.wait_idle()
        assert not at.exception and sorted(builds) == [60, 62, 64, 66, 68, 70]  # only 70 is new
    finally:
        prefetch.wait_idle()
        st.cache_data.clear()

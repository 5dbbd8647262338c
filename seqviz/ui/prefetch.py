"""Compute in the background what the next click on a page's main control will ask for.

A teacher steps T or N one click (or arrow key) at a time, so the next request is a neighbour of the
value on screen. An instant view sends the neighbours' charts with the value's own (`charts_around`),
and the values after those are prefetched. After a chart is drawn, `prefetch_neighbours` queues the
neighbours' computations on one background worker for the whole process. The worker calls the
backend function through a spinner-less `cached_data` wrapper, which shares the page's cache
(Streamlit keys a function's cache by its module, name and source), so the next click is served
from the cache.

Bounded on purpose: one worker thread, a short queue (a full queue drops new requests), and only
neighbours of a computation that took less than PREFETCH_MAX_S, so prefetching never costs more than
a fraction of the work visitors asked for themselves. After a change only the next value in the
direction the control moved is prefetched (both neighbours on a session's first chart).

Out of the way of the answer it anticipates: a job starts SETTLE_S after it was queued, once the
server has sent the chart that queued it, and the worker thread runs at the lowest CPU priority
(Linux), so it does not delay the chart it follows. The priority ranks the worker below the
server's own threads (every session's reruns), not below a browser on the same machine: where Linux
groups scheduling by session (autogroup), Chromium runs in a session of its own and gets its share
of the cores as a group, whatever the worker's nice value.
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Callable, Iterable, NamedTuple

import streamlit as st

from seqviz.ui.cache import cached_data


class ValueGrid(NamedTuple):
    """The values a main control takes: lowest, lowest + step, … highest."""

    lowest: int
    highest: int
    step: int


# Prefetch the neighbours of computations at most this slow. SEQVIZ_PREFETCH_MAX_S sets it, e.g. to
# inf in the browser tests, whose pages must send the same neighbours on a fast or a loaded machine.
PREFETCH_MAX_S = float(os.environ.get("SEQVIZ_PREFETCH_MAX_S", "0.25"))
QUEUE_SIZE = 8
SETTLE_S = 0.05  # a job waits this long after it was queued
LOWEST_PRIORITY = 19  # the worker thread's nice value
_LOG = logging.getLogger(__name__)
_jobs: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
_STOP = object()  # the job that ends the worker (at exit)
_worker: threading.Thread | None = None
_start_lock = threading.Lock()
KNOWN_SIZE = 256  # computations remembered as done (charts_around): more than the caches hold together
_computed: OrderedDict = OrderedDict()  # (function name, config) → None, most recent last
_known_lock = threading.Lock()


def prefetch(cached_fn: Callable, arguments: Iterable, done: Callable | None = None) -> int:
    """Queue `cached_fn(a)` for each a in `arguments` on the background worker, then `done(a)` if it
    succeeded; returns how many were queued."""
    _ensure_worker()
    queued = 0
    not_before = time.monotonic() + SETTLE_S
    for argument in arguments:
        try:
            _jobs.put_nowait((cached_fn, argument, not_before, done))
            queued += 1
        except queue.Full:
            break
    return queued


def next_values(value, previous, grid: ValueGrid) -> list:
    """The values of a control to prefetch around `value`, inside its `grid`: one step on in the
    direction it moved if `previous` (the value on screen before, or None) is one step away, else one
    step up and one step down."""
    low, high, step = grid
    moved = None if previous is None else value - previous
    ahead = [value + moved] if moved in (step, -step) else [value + step, value - step]
    return [v for v in ahead if low <= v <= high]


def neighbours(fn: Callable, value, grid: ValueGrid) -> list:
    """`next_values` of a control of `fn` now at `value`, from the value this session had on screen
    before, kept in session state per function (and remembered as `value`)."""
    slot = f"prefetched_from:{fn.__module__}.{fn.__qualname__}"
    previous = st.session_state.get(slot)
    st.session_state[slot] = value
    return next_values(value, previous, grid)


def prefetch_neighbours(fn: Callable, config, field: str, grid: ValueGrid, seconds: float) -> int:
    """Prefetch `fn` at `config` with `field` set to `neighbours` of its control on `grid`, if
    computing `config` took under PREFETCH_MAX_S `seconds`.

    `fn` is a backend function the page caches with `cached_data(fn)` (default options: the quiet
    wrapper must share that cache). Returns how many computations were queued."""
    ahead = neighbours(fn, getattr(config, field), grid)
    if seconds >= PREFETCH_MAX_S:
        return 0
    return prefetch(cached_data(fn, quiet=True), [replace(config, **{field: v}) for v in ahead])


def charts_around(fn: Callable, config, field: str, grid: ValueGrid, chart_of: Callable) -> dict | None:
    """value → `chart_of(result, config)` for `config`'s `field` and, if its result took under
    PREFETCH_MAX_S to compute (`result.seconds`), for the values one step either side on `grid`: for
    an instant view (seqviz.ui.components.instant), whose − and + or arrow keys then redraw in the
    browser. None if `config` itself cannot be computed (the page says why); a neighbour that cannot
    is left out.

    A neighbour is computed in this run where that delays nothing a visitor waits for: it is known to
    be computed already (the value on screen before, or one the background worker prefetched), the
    browser has drawn this value from the charts it was sent before this run began (a click on + or
    −), or this is the session's first chart of it (a page load: then the first click is instant too).
    After a change of another control, whose chart a visitor waits for, the neighbours are prefetched
    instead and sent with the next run. The values one step beyond them, in the direction the control
    moved, are prefetched too.

    `fn` is a backend function the page caches with `cached_data(fn)`, as for prefetch_neighbours."""
    cached, value, name = cached_data(fn), getattr(config, field), f"{fn.__module__}.{fn.__qualname__}"
    try:
        result = cached(config)
    except (ValueError, TypeError):
        return None
    _remember(name, config)
    charts = {value: chart_of(result, config)}
    ahead = neighbours(fn, value, grid)
    sent = st.session_state.get(f"sent:{name}")
    now = sent is None or config in sent  # a first chart, or one the browser has drawn already
    if result.seconds < PREFETCH_MAX_S:
        low, high, step = grid
        later = []
        for near in (replace(config, **{field: v}) for v in (value - step, value + step) if low <= v <= high):
            if not (now or _known(name, near)):
                later.append(near)
                continue
            try:
                charts[getattr(near, field)] = chart_of(cached(near), near)
                _remember(name, near)
            except Exception:  # a neighbour out of budget or failing: the value on screen does not need it
                _LOG.debug("neighbour %r left out", near, exc_info=True)
        beyond = [replace(config, **{field: 2 * v - value}) for v in ahead if low <= 2 * v - value <= high]
        prefetch(cached_data(fn, quiet=True), later + beyond, done=lambda c: _remember(name, c))
    st.session_state[f"sent:{name}"] = tuple(replace(config, **{field: v}) for v in charts)
    return charts


def _remember(name: str, config) -> None:
    """Note that `config` of the function `name` has been computed (and so is likely in its cache)."""
    with _known_lock:
        _computed[(name, config)] = None
        _computed.move_to_end((name, config))
        while len(_computed) > KNOWN_SIZE:
            _computed.popitem(last=False)


def _known(name: str, config) -> bool:
    with _known_lock:
        return (name, config) in _computed


def wait_idle() -> None:
    """Block until every queued computation has finished (for tests and benchmarks)."""
    _jobs.join()


def _ensure_worker() -> None:
    global _worker
    with _start_lock:
        if _worker is None or not _worker.is_alive():
            if _worker is None:
                atexit.register(_stop_worker)
            _worker = threading.Thread(target=_work, name="seqviz-prefetch", daemon=True)
            _worker.start()


def _stop_worker(timeout_s: float = 60.0) -> None:
    """At exit: drop the queued jobs and let the running one finish. A daemon thread still inside
    torch's C++ code when the interpreter shuts down is killed there, and the process aborts
    ("terminate called without an active exception") after everything else went well."""
    while True:
        try:
            _jobs.get_nowait()
            _jobs.task_done()
        except queue.Empty:
            break
    if _worker is not None and _worker.is_alive():
        _jobs.put(_STOP)
        _worker.join(timeout_s)


def _lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux: a thread's nice value is its own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except (AttributeError, OSError):  # no setpriority (Windows) or not allowed: normal priority
        _LOG.debug("prefetch worker keeps its priority", exc_info=True)


def _work() -> None:
    _lower_priority()
    while True:
        job = _jobs.get()
        if job is _STOP:
            _jobs.task_done()
            return
        cached_fn, argument, not_before, done = job
        time.sleep(max(0.0, not_before - time.monotonic()))
        try:
            cached_fn(argument)
            if done is not None:
                done(argument)
        except Exception:  # a neighbour out of budget or range: the page reports it if asked for
            _LOG.debug("prefetch of %r failed", argument, exc_info=True)
        finally:
            _jobs.task_done()

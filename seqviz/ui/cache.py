"""Caching policy shared by every page: bounded, shared across sessions, never mutated.

`st.cache_data` returns a fresh copy to every caller, so results can be handled freely;
`st.cache_resource` returns the shared object itself (models): callers must not modify it.

A page script runs again on every rerun, and Streamlit reads and tokenizes a function's source each
time it wraps one (docs/performance.md has the cost). Backend functions (modules under `seqviz`) live
as long as the process, so they are wrapped once; functions defined in a page script are wrapped per run.

Each cached result is stored with the seconds it took (`Timed`), so that `computation_note` can say under a
view how long its results took, also when they come from the cache.
"""
from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from seqviz.core.devices import computed_on
from seqviz.ui.heavy import admitted

MAX_ENTRIES = 32
TTL_SECONDS = 3600
_WRAPPED: dict[tuple, object] = {}


def _wrap_once(kind: tuple, decorator, fn):
    if not fn.__module__.startswith("seqviz."):
        return decorator(fn)
    key = (*kind, fn.__module__, fn.__qualname__, id(fn))  # id: a reloaded module's function is new
    if key not in _WRAPPED:
        _WRAPPED[key] = decorator(fn)
    return _WRAPPED[key]


@dataclass(frozen=True)
class Timed:
    """A cached result with what it cost: seconds of work, and when (time.time()) it was done."""
    value: object
    seconds: float
    done_at: float


_ledger = threading.local()  # per script thread: [(function name, seconds, computed in this call)]


def _timed(fn):
    """`fn` returning a Timed; the same name, module and source, so Streamlit keys its cache as fn's."""
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        value = fn(*args, **kwargs)
        return Timed(value, time.perf_counter() - started, time.time())
    return timed


def _recorded(call, name: str):
    """`call` (returning a Timed) returning its value, each call noted in this thread's ledger."""
    def value(*args, **kwargs):
        asked_at = time.time()
        timed = call(*args, **kwargs)
        entries = getattr(_ledger, "entries", None)  # None: outside every computation_note
        if entries is not None:
            entries.append((name, timed.seconds, timed.done_at >= asked_at))
        return timed.value
    if hasattr(call, "clear"):
        value.clear = call.clear
    return functools.update_wrapper(value, call)


@contextmanager
def computation_note(device: str, dtype: str = "float32"):
    """Under the elements drawn inside the block, a caption with the device and precision of its work and
    how long it took: the block's own time when anything in it was computed now, else the time its cached
    results took when they were computed (on an earlier run, this visitor's or another's)."""
    outer = getattr(_ledger, "entries", None)
    _ledger.entries = entries = []
    started = time.perf_counter()
    try:
        yield
    finally:
        if outer is not None:
            outer.extend(entries)  # an enclosing note counts these too
        _ledger.entries = outer
    cached = entries and not any(now for *_, now in entries)
    seconds = sum(s for _, s, _ in entries) if cached else time.perf_counter() - started
    st.caption(computed_on(device, dtype, seconds) + (" Kept from an earlier run (cache)." if cached else ""))


def cached_data(fn, max_entries: int = MAX_ENTRIES, quiet: bool = False):
    """Cache a pure backend call on its (hashable, frozen) arguments; each caller gets a copy.

    Lower `max_entries` for calls whose results can be large (each is bounded by seqviz.core.budget, not
    the cache as a whole). `quiet` drops the "Computing…" spinner, for calls made outside a page run
    (seqviz.ui.prefetch); the quiet and the usual wrapper of a function share one cache. Calls not known
    to be cached run under the server-wide admission (seqviz.ui.heavy)."""
    decorator = st.cache_data(max_entries=max_entries, ttl=TTL_SECONDS, show_spinner=False if quiet else "Computing…")
    quiet_decorator = st.cache_data(max_entries=max_entries, ttl=TTL_SECONDS, show_spinner=False)
    timed = _wrap_once(("timed",), _timed, fn)
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _wrap_once(("admitted", max_entries, quiet),
                      lambda f: _recorded(admitted(_wrap_once(("data", max_entries, quiet), decorator, timed),
                                                   name, quiet,
                                                   background=_wrap_once(("data", max_entries, True), quiet_decorator,
                                                                         timed)), name), fn)


def cached_resource(fn, spinner: bool = True):
    """Cache a shared, read-only object (e.g. a trained model) on its arguments. `spinner` False: the
    caller shows its own progress (one that says what is computed and for how long). Every caller gets
    the same object."""
    decorator = st.cache_resource(max_entries=MAX_ENTRIES, ttl=TTL_SECONDS,
                                  show_spinner="Preparing…" if spinner else False)
    timed = _wrap_once(("timed",), _timed, fn)
    return _wrap_once(("recorded", spinner),
                      lambda f: _recorded(_wrap_once(("resource", spinner), decorator, timed),
                                          f"{f.__module__}.{f.__qualname__}"), fn)

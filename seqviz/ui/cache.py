"""Caching policy shared by every page: bounded, shared across sessions, never mutated.

`st.cache_data` returns a fresh copy to every caller, so results can be handled freely;
`st.cache_resource` returns the shared object itself (models): callers must not modify it.

A page script runs again on every rerun, and Streamlit reads and tokenizes a function's source each
time it wraps one (docs/performance.md has the cost). Backend functions (modules under `seqviz`) live
as long as the process, so they are wrapped once; functions defined in a page script are wrapped per run.
"""
from __future__ import annotations

import streamlit as st

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


def cached_data(fn, max_entries: int = MAX_ENTRIES, quiet: bool = False):
    """Cache a pure backend call on its (hashable, frozen) arguments; each caller gets a copy.

    Lower `max_entries` for calls whose results can be large (each is bounded by seqviz.core.budget, not
    the cache as a whole). `quiet` drops the "Computing…" spinner, for calls made outside a page run
    (seqviz.ui.prefetch); the quiet and the usual wrapper of a function share one cache. Calls not known
    to be cached run under the server-wide admission (seqviz.ui.heavy)."""
    decorator = st.cache_data(max_entries=max_entries, ttl=TTL_SECONDS, show_spinner=False if quiet else "Computing…")
    quiet_decorator = st.cache_data(max_entries=max_entries, ttl=TTL_SECONDS, show_spinner=False)
    return _wrap_once(("admitted", max_entries, quiet),
                      lambda f: admitted(_wrap_once(("data", max_entries, quiet), decorator, f),
                                         f"{f.__module__}.{f.__qualname__}", quiet,
                                         background=_wrap_once(("data", max_entries, True), quiet_decorator, f)), fn)


def cached_resource(fn, spinner: bool = True):
    """Cache a shared, read-only object (e.g. a trained model) on its arguments. `spinner` False: the
    caller shows its own progress (one that says what is computed and for how long)."""
    return _wrap_once(("resource", spinner), st.cache_resource(max_entries=MAX_ENTRIES, ttl=TTL_SECONDS,
                                                             show_spinner="Preparing…" if spinner else False), fn)

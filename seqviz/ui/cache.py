"""Caching policy shared by every page: bounded, shared across sessions, never mutated.

`st.cache_data` returns a fresh copy to every caller, so results can be handled freely;
`st.cache_resource` returns the shared object itself (models): callers must not modify it.
"""
from __future__ import annotations

import streamlit as st

MAX_ENTRIES = 32
TTL_SECONDS = 3600


def cached_data(fn):
    """Cache a pure backend call on its (hashable, frozen) arguments; each caller gets a copy."""
    return st.cache_data(max_entries=MAX_ENTRIES, ttl=TTL_SECONDS, show_spinner="Computing…")(fn)


def cached_resource(fn):
    """Cache a shared, read-only object (e.g. a trained model) on its arguments."""
    return st.cache_resource(max_entries=MAX_ENTRIES, ttl=TTL_SECONDS, show_spinner="Preparing…")(fn)

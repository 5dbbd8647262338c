"""Bounded per-session stores: what a visitor trained or computed, kept for the session but never
without limit (a lecture's session can last hours, and each entry may hold a model)."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class SessionStore:
    """A dict in st.session_state under `key` holding at most `capacity` entries: adding one more
    drops the entry added first (writing a name already there replaces its value in place)."""

    key: str
    capacity: int

    def entries(self) -> dict:
        """The session's dict itself (empty the first time); callers may read, clear or replace values."""
        return st.session_state.setdefault(self.key, {})

    def put(self, name, value) -> None:
        entries = self.entries()
        entries[name] = value
        while len(entries) > self.capacity:
            entries.pop(next(iter(entries)))

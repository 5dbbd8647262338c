"""The value a control drawn in the browser is told to show, and the one it reports back.

A browser-side control (seqviz.ui.scrubber, seqviz.ui.instant) moves on its own and reports each
committed change; a rerun that answers an older change must not pull it back. So the server sends
its value with a sequence number (with a token of the session: a page that reconnects to a new
session after a server restart holds the old session's numbers) and raises the number only when it
moves the value itself (Back or Forward to another URL, another view's control, a bound that
moved). The browser shows the server's value when the number is new, else the one it shows already.
"""
from __future__ import annotations

import secrets

import streamlit as st


def told(key: str) -> tuple[str, object]:
    """(sequence number, value) to send with the control of session key `key`."""
    state = st.session_state.setdefault(f"_{key}_told", {"session": secrets.token_hex(4), "n": 0, "value": None,
                                                         "shows": None})
    value = st.session_state[key]
    if state["shows"] != value:  # the browser shows another value, or none yet: move it there
        state.update(n=state["n"] + 1, value=value, shows=value)
    return f"{state['session']}:{state['n']}", state["value"]


def adopt(key: str, value) -> None:
    """The browser reported `value` (already checked): it becomes the session's, and the value it shows."""
    st.session_state[key] = value
    st.session_state[f"_{key}_told"]["shows"] = value

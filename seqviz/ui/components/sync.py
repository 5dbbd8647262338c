"""The value a control drawn in the browser is told to show, and the one it reports back.

A browser-side control (seqviz.ui.components.scrubber, seqviz.ui.components.instant) moves on its own and reports each
committed change; a rerun that answers an older change must not pull it back. So the server sends
its value with a sequence number (with a token of the session: a page that reconnects to a new
session after a server restart holds the old session's numbers) and raises the number only when it
moves the value itself (Back or Forward to another URL, another view's control, a bound that
moved). The browser shows the server's value when the number is new, else the one it shows already.
Each report carries the number the browser held, so a pick made before the server's last move
arrived is told back, and two picks of one value around a move are two reports (Streamlit calls a
component's callback only when its state changes).
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


def adopt(key: str, value, seq: str | None) -> None:
    """The browser reported `value` (already checked), picked while it held the sequence number `seq`: it
    becomes the session's, and the value the browser shows. Picked from an older message than the
    server's last (a Back or a preset on its way), the browser will show that message's value when it
    arrives, so the next run tells it `value` again, with a new number."""
    st.session_state[key] = value
    state = st.session_state[f"_{key}_told"]
    state["shows"] = value
    if seq != f"{state['session']}:{state['n']}":
        state.update(n=state["n"] + 1, value=value)


def retell(key: str) -> None:
    """The browser reported a value the session did not take: the next run tells it the session's again."""
    state = st.session_state[f"_{key}_told"]
    state.update(n=state["n"] + 1, value=st.session_state[key], shows=st.session_state[key])

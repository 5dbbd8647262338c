"""The value a control drawn in the browser is sent to show, and the one it reports back.

A browser-side control (seqviz.ui.components.scrubber, seqviz.ui.components.instant) moves on its own and reports each
committed change; a rerun that answers an older change must not pull it back. So the server sends
its value with a sequence number (with a token of the session: a page that reconnects to a new
session after a server restart holds the old session's numbers) and raises the number only when it
moves the value itself (Back or Forward to another URL, another view's control, a bound that
moved). The browser shows the server's value when the number is new, else the one it shows already.
Each report carries the number the browser held, so a pick made before the server's last move
arrived is sent back, and two picks of one value around a move are two reports (Streamlit calls a
component's callback only when its state changes).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import streamlit as st


@dataclass
class ControlSync:
    """What the server knows of one browser-side control: the session's token, the number of its last
    move, the value it sent with that number, and the value the browser shows (None: not drawn yet)."""

    token: str = field(default_factory=lambda: secrets.token_hex(4))
    number: int = 0
    sent: object = None
    on_screen: object = None

    @property
    def seq(self) -> str:
        """The sequence number as the browser holds it: "token:number"."""
        return f"{self.token}:{self.number}"

    def move(self, value) -> None:
        """The server moves the control to `value`: a new number, which the browser obeys."""
        self.number, self.sent, self.on_screen = self.number + 1, value, value


def control_sync(key: str) -> ControlSync:
    """The ControlSync of the control bound to session key `key` (made the first time)."""
    return st.session_state.setdefault(f"_{key}_sync", ControlSync())


def value_to_send(key: str) -> tuple[str, object]:
    """(sequence number, value) to send with the control of session key `key`: the session's value under
    a new number where the browser shows another (or none yet), else what was sent last."""
    sync = control_sync(key)
    if sync.on_screen != st.session_state[key]:
        sync.move(st.session_state[key])
    return sync.seq, sync.sent


def take_report(key: str, value, seq: str | None) -> None:
    """The browser reported `value` (already checked), picked while it held the sequence number `seq`: it
    becomes the session's, and the value the browser shows. Picked under an older number than the
    server's last (a Back or a preset on its way), the browser will show that move's value when it
    arrives, so the next run sends it `value` again, with a new number."""
    st.session_state[key] = value
    sync = control_sync(key)
    sync.on_screen = value
    if seq != sync.seq:
        sync.number, sync.sent = sync.number + 1, value


def refuse_report(key: str) -> None:
    """The browser reported a value the session did not take: the next run sends it the session's again."""
    control_sync(key).move(st.session_state[key])

"""Page computations under the server-wide admission (seqviz.core.admission): a computation not known
to be cached waits for a slot, and a visitor who waits sees how many computations are ahead and can stop
waiting; a cached result is returned at once, queue or not.

cached_data wraps every backend call with `admitted`, so every page takes part without code of its own.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from seqviz.core import admission

TICK_S = 0.25  # the waiting message is sent again this often: a Stop takes effect at the next one
KNOWN_SIZE = 512  # calls remembered as computed (so likely cached)
_known: OrderedDict = OrderedDict()
_known_lock = threading.Lock()


def admitted(cached: Callable, name: str, quiet: bool) -> Callable:
    """`cached` called under a ticket of admission.SERVER, unless the call is known to be cached or runs
    inside another admitted call. `quiet` (background prefetch): never wait, skip the work if busy."""
    def call(*args, **kwargs):
        key = _key(name, args, kwargs)
        if admission.current() is not None or (key is not None and _is_known(key)):
            return cached(*args, **kwargs)
        ticket = admission.SERVER.ticket()
        try:
            if not ticket.admitted:
                if quiet or get_script_run_ctx() is None:
                    raise admission.ServerBusy("the server is busy: background work skipped")
                _wait_visibly(ticket)
            with admission.holding(ticket):
                result = cached(*args, **kwargs)
        finally:
            ticket.release()
        if key is not None:
            _remember(key)
        return result

    if hasattr(cached, "clear"):  # st.cache_data's: clearing the admitted call clears its cache
        call.clear = cached.clear
    call.__wrapped__ = cached
    return call


def _wait_visibly(ticket: admission.Ticket) -> None:
    """Wait for `ticket`'s slot, saying how many computations are ahead, with a button to stop waiting (a
    click reruns the page, which interrupts this run at its next message; the caller's `finally` then
    gives the place up)."""
    message, stop = st.empty(), st.empty()
    stop.button("Stop waiting", key=f"heavy_stop_{id(ticket)}",
                help="Leave the queue; the page's other settings stay as they are.")
    while not ticket.wait(TICK_S):
        ahead = ticket.ahead()
        message.info(f"The server is busy: waiting for {ahead} computation{'s' * (ahead != 1)} ahead of yours "
                     f"(at most {ticket.admission.slots} run at once).", icon=":material/hourglass_top:")
    message.empty()
    stop.empty()


def _key(name: str, args: tuple, kwargs: dict):
    key = (name, args, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _is_known(key) -> bool:
    with _known_lock:
        return key in _known


def _remember(key) -> None:
    with _known_lock:
        _known[key] = None
        _known.move_to_end(key)
        while len(_known) > KNOWN_SIZE:
            _known.popitem(last=False)

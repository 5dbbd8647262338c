"""Page computations under the server-wide admission (seqviz.core.admission): a computation not known
to be cached waits for a slot, and a visitor who waits sees how many computations are ahead and can stop
waiting; a cached result is returned at once, queue or not.

cached_data wraps every backend call with `admitted`, so every page takes part without code of its own.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from typing import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from seqviz.core import admission

TICK_S = 0.25  # the waiting message is sent again this often: a Stop takes effect at the next one
KNOWN_SIZE = 512  # calls remembered as computed (so likely cached)
_known: OrderedDict = OrderedDict()
_known_lock = threading.Lock()
_keys = itertools.count()  # a new widget key for each Stop button: two in one run never share one


def admitted(cached: Callable, name: str, quiet: bool, background: Callable | None = None) -> Callable:
    """`cached` called under a ticket of admission.SERVER, unless the call is known to be cached or runs
    inside another admitted call. `quiet` (background prefetch): never wait, skip the work if busy.
    `background`, the same cache without Streamlit's spinner, computes on a worker thread while the page
    shows its progress (`_compute_visibly`)."""
    def call(*args, **kwargs):
        key = _key(name, args, kwargs)
        if admission.current() is not None or (key is not None and _is_known(key)):
            return cached(*args, **kwargs)
        ticket, handed_over = admission.SERVER.ticket(), False
        try:
            if not ticket.admitted:
                if quiet or get_script_run_ctx() is None:
                    raise admission.ServerBusy("the server is busy: background work skipped")
                _wait_visibly(ticket)
            if quiet or get_script_run_ctx() is None or background is None:
                with admission.holding(ticket):
                    result = cached(*args, **kwargs)
            else:
                handed_over = True  # from here the worker thread gives the slot back, when the work ends
                result = _compute_visibly(background, args, kwargs, ticket, name)
        finally:
            if not handed_over:  # also when a Stop interrupts the wait: the place in the queue is given up
                ticket.release()
        if key is not None:
            _remember(key)
        return result

    if hasattr(cached, "clear"):  # st.cache_data's: clearing the admitted call clears its cache
        call.clear = cached.clear
    call.__wrapped__ = cached
    return call


SHOW_AFTER_S = 0.5  # a computation still running after this long shows its progress
_rates: dict[str, list[float]] = {}  # function name → seconds per estimated byte of its recent computations
_rates_lock = threading.Lock()


def _compute_visibly(cached: Callable, args: tuple, kwargs: dict, ticket: admission.Ticket, name: str):
    """Run `cached` on a worker thread holding `ticket`; past SHOW_AFTER_S, show a progress bar with the
    time taken so far and, from this server's earlier computations of `name`, how long is left, and a Stop
    button. Stop reruns the page; the work already started finishes in the background (its result goes
    to the cache for the next visitor), its slot then given back. The two placeholders exist at every call,
    so a page's elements are the same whatever the machine's speed."""
    done: dict = {}
    worker = threading.Thread(target=_work, args=(cached, args, kwargs, ticket, name, done), daemon=True,
                              name="seqviz-heavy")
    started = time.perf_counter()
    worker.start()
    bar, stop = st.empty(), st.empty()
    worker.join(SHOW_AFTER_S)
    if worker.is_alive():
        stop.button("Stop", key=f"heavy_stop_{next(_keys)}", help="Stop waiting for this computation; it "
                    "finishes in the background, and its result is kept for the next time it is asked for.")
        while worker.is_alive():
            bar.progress(*_progress(name, ticket.charged, time.perf_counter() - started))
            worker.join(TICK_S)
    bar.empty()
    stop.empty()
    if "error" in done:
        raise done["error"]
    return done["result"]


def _work(cached, args, kwargs, ticket, name, done) -> None:
    started = time.perf_counter()
    try:
        with admission.holding(ticket):
            done["result"] = cached(*args, **kwargs)
        if ticket.charged:
            _note_rate(name, (time.perf_counter() - started) / ticket.charged)
    except BaseException as error:  # raised again on the page's thread
        done["error"] = error
    finally:
        ticket.release()


def _progress(name: str, charged: int, elapsed: float) -> tuple[float, str]:
    """The bar's fraction and text: elapsed time, and the estimate from earlier rates where there is one."""
    with _rates_lock:
        rates = sorted(_rates.get(name, ()))
    if not rates or not charged:
        return min(0.9, elapsed / (elapsed + 10.0)), f"Computing… {elapsed:.0f} s so far"
    expected = rates[len(rates) // 2] * charged
    left = max(0.0, expected - elapsed)
    return min(0.95, elapsed / max(expected, 1e-9)), (f"Computing… {elapsed:.0f} s of about {expected:.0f} s "
                                                      f"(from this server's earlier runs); about {left:.0f} s left")


def _note_rate(name: str, seconds_per_byte: float) -> None:
    with _rates_lock:
        rates = _rates.setdefault(name, [])
        rates.append(seconds_per_byte)
        del rates[:-5]


def _wait_visibly(ticket: admission.Ticket) -> None:
    """Wait for `ticket`'s slot, saying how many computations are ahead, with a button to stop waiting (a
    click reruns the page, which interrupts this run at its next message; the caller's `finally` then
    gives the place up)."""
    message, stop = st.empty(), st.empty()
    stop.button("Stop waiting", key=f"heavy_wait_{next(_keys)}",
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

"""Compute in the background what the next click on a page's main control will ask for.

A teacher steps T or N one click (or arrow key) at a time, so the next request is a neighbour of the
value on screen. After a view is drawn, `prefetch_neighbours` queues the neighbours' computations on one
background worker for the whole process. The worker calls the backend function through a spinner-less
`cached_data` wrapper, which shares the page's cache (Streamlit keys a function's cache by its
module, name and source), so the next click is served from the cache.

Bounded on purpose: one worker thread, a short queue (a full queue drops new requests), and only
neighbours of a computation that took less than PREFETCH_MAX_S, so prefetching never costs more than
a fraction of the work visitors asked for themselves.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import replace
from typing import Callable, Iterable

from seqviz.ui.cache import cached_data

PREFETCH_MAX_S = 0.25  # prefetch the neighbours of computations at most this slow
QUEUE_SIZE = 8
_LOG = logging.getLogger(__name__)
_jobs: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
_worker: threading.Thread | None = None
_start_lock = threading.Lock()


def prefetch(cached_fn: Callable, arguments: Iterable) -> int:
    """Queue `cached_fn(a)` for each a in `arguments` on the background worker; returns how many were queued."""
    _ensure_worker()
    queued = 0
    for argument in arguments:
        try:
            _jobs.put_nowait((cached_fn, argument))
            queued += 1
        except queue.Full:
            break
    return queued


def prefetch_neighbours(fn: Callable, config, field: str, bounds: tuple, seconds: float) -> int:
    """Prefetch `fn` at `config` with `field` one step up and one step down, within `bounds` =
    (lowest, highest, step) of its control, if computing `config` took under PREFETCH_MAX_S `seconds`.

    `fn` is a backend function the page caches with `cached_data(fn)` (default options: the quiet
    wrapper must share that cache). Returns how many computations were queued."""
    if seconds >= PREFETCH_MAX_S:
        return 0
    low, high, step = bounds
    value = getattr(config, field)
    neighbours = [replace(config, **{field: v}) for v in (value + step, value - step) if low <= v <= high]
    return prefetch(cached_data(fn, quiet=True), neighbours)


def wait_idle() -> None:
    """Block until every queued computation has finished (for tests and benchmarks)."""
    _jobs.join()


def _ensure_worker() -> None:
    global _worker
    with _start_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="seqviz-prefetch", daemon=True)
            _worker.start()


def _work() -> None:
    while True:
        cached_fn, argument = _jobs.get()
        try:
            cached_fn(argument)
        except Exception:  # a neighbour out of budget or range: the page reports it if asked for
            _LOG.debug("prefetch of %r failed", argument, exc_info=True)
        finally:
            _jobs.task_done()

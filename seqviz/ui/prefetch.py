"""Compute in the background what the next click on a page's main control will ask for.

A teacher steps T or N one click (or arrow key) at a time, so the next request is a neighbour of the
value on screen. After a view is drawn, `prefetch` queues the neighbours' computations on one
background worker for the whole process. The worker calls the same cached backend function the page
reads (Streamlit keys a function's cache by its module, name and source, so a quiet wrapper without
a spinner shares the page's entries), so the next click is served from the cache.

Bounded on purpose: one worker thread, a short queue (a full queue drops new requests), and a page
only asks for neighbours of a computation that took less than PREFETCH_MAX_S, so prefetching never
costs more than a fraction of the work visitors asked for themselves.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Callable, Iterable

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

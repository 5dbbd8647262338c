"""Process-wide settings for serving: one PyTorch CPU thread per computation, a frozen start-up heap.

Threads: with torch's default intra-op pool (one thread per core) concurrent sessions oversubscribe
the cores and a tiny computation waits on the others; sessions give the parallelism instead
(docs/performance.md has the measurements). Streamlit runs every session's script in its own thread
and app.py calls `configure_torch_threads` on every full run; torch keeps the count process-wide and
applies it in each new thread, so it also holds in fragment reruns, which skip app.py.
SEQVIZ_TORCH_THREADS overrides the count (e.g. for one user on a big machine).

Garbage collection: .streamlit/config.toml turns off Streamlit's full gc.collect(2) after every run,
which held the GIL long enough to delay the end of each page. `freeze_startup_heap` moves the objects
that exist once the app has imported its modules (from torch, numpy, plotly, streamlit) into the
collector's permanent generation, so the full collections Python still runs by itself skip them.
"""
from __future__ import annotations

import gc
import os

import torch

THREADS_ENV = "SEQVIZ_TORCH_THREADS"


def configure_torch_threads() -> int:
    """Set PyTorch's intra-op thread count for the server process; returns the count used."""
    raw = os.environ.get(THREADS_ENV, "1")
    threads = int(raw) if raw.isdigit() and int(raw) > 0 else 1
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


_heap_frozen = False


def freeze_startup_heap() -> bool:
    """gc.freeze() once per process, before the first run creates session objects; True the first time."""
    global _heap_frozen
    if _heap_frozen:
        return False
    gc.collect()
    gc.freeze()
    _heap_frozen = True
    return True

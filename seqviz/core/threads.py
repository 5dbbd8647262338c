"""Run small sequential tensor work on one CPU thread.

Recurrent models step through time one small op after another (an n×n product, a QR, a fused
RNN step on a small batch). For such ops, waking torch's intra-op thread pool costs far more
than the arithmetic (docs/performance.md has the measurements).

`single_threaded()` sets torch's intra-op thread count to 1 and restores the caller's count
afterwards. torch applies the count to the calling thread at once and to threads started later;
threads already running keep theirs. The server already runs at one thread
(seqviz.ui.runtime.configure_torch_threads), so this matters for direct callers: scripts,
benchmarks, a notebook with torch's default pool.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def single_threaded():
    """Context in which torch computes on one CPU thread; the previous count is restored on exit."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)

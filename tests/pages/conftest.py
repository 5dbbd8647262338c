"""Page tests run where the machine's speed cannot change what a page does."""
from __future__ import annotations

import math

import pytest

from seqviz.ui import prefetch


@pytest.fixture(autouse=True)
def neighbours_regardless_of_speed(monkeypatch):
    """Pages send and prefetch a main control's neighbours only after a computation faster than
    PREFETCH_MAX_S; on a loaded machine a test's computation may be slower. Here every computation
    counts as fast, so what a page sends depends on its settings alone (the gate itself is tested with
    explicit durations in test_prefetch.py)."""
    monkeypatch.setattr(prefetch, "PREFETCH_MAX_S", math.inf)

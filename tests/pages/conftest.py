"""Page tests run where the machine's speed cannot change what a page does; the recorder of shared cached objects."""
from __future__ import annotations

import functools
import math
import pickle

import numpy as np
import pytest
import streamlit as st
import torch

import seqviz.ui.cache
from seqviz.ui import prefetch


@pytest.fixture(autouse=True)
def neighbours_regardless_of_speed(monkeypatch):
    """Pages send and prefetch a main control's neighbours only after a computation faster than
    PREFETCH_MAX_S; on a loaded machine a test's computation may be slower. Here every computation
    counts as fast, so what a page sends depends on its settings alone (the gate itself is tested with
    explicit durations in test_prefetch.py)."""
    monkeypatch.setattr(prefetch, "PREFETCH_MAX_S", math.inf)


def fingerprint(obj):
    """A copy of everything that defines `obj`'s value: a module's state dict, an array, or its pickle."""
    if isinstance(obj, torch.nn.Module):
        return {name: tensor.detach().clone() for name, tensor in obj.state_dict().items()}
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, np.ndarray):
        return obj.copy()
    return pickle.dumps(obj)


def same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=True)
    return a == b


class CachedResourceRecorder:
    """Wraps cached_resource so every object it hands out is fingerprinted on first sight."""

    def __init__(self, real):
        self.real = real
        self.seen: dict[int, tuple[str, object, object]] = {}

    def __call__(self, fn, **options):
        cached = self.real(fn, **options)

        @functools.wraps(fn)
        def recording(*args, **kwargs):
            obj = cached(*args, **kwargs)
            if id(obj) not in self.seen:
                self.seen[id(obj)] = (f"{fn.__qualname__}{args}", obj, fingerprint(obj))
            return obj

        recording.clear = cached.clear
        return recording

    def changed(self) -> list[str]:
        return [name for name, obj, before in self.seen.values() if not same(before, fingerprint(obj))]


@pytest.fixture
def recorder(monkeypatch):
    """Records cached_resource objects; cached_data is emptied so that pages really compute with them."""
    recorder = CachedResourceRecorder(seqviz.ui.cache.cached_resource)
    monkeypatch.setattr(seqviz.ui.cache, "cached_resource", recorder)
    st.cache_data.clear()
    return recorder

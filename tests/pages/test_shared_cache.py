"""Cached results are shared by every session: computed once for all visitors, never changed.

The checks are generic: every object any page obtains through `seqviz.ui.cache.cached_resource`
(models from seqviz.build_model above all) is fingerprinted when a session first receives it (the
`recorder` of tests/pages/conftest.py); test_page_robustness's bounds test has other sessions drive every
page's widgets to their bounds (training included) and checks every fingerprint is unchanged. Here: the
recorder sees a change, and every function wrapped by cached_data or cached_resource runs once for the
default view, however many visitors open it.
"""
from __future__ import annotations

import functools
from collections import Counter

import pytest
import streamlit as st
import torch

import seqviz
import seqviz.ui.cache
from harness.apptest import ROOT, app_test
from harness.browser import FIXTURE_PAGES
from seqviz.ui import prefetch
from seqviz.ui.registry import discover_pages

SCRIPTS = [str(p.path.relative_to(ROOT)) for p in discover_pages() + discover_pages(FIXTURE_PAGES)]


def test_a_cached_model_is_one_shared_object_whose_changes_the_check_detects(recorder):
    shared_model = seqviz.ui.cache.cached_resource(seqviz.build_model)
    model = shared_model("lstm", 3, 8, seed=11)
    assert shared_model("lstm", 3, 8, seed=11) is model  # every session gets this very object
    with torch.no_grad():
        model.weight_hh_l0.add_(1.0)  # what a careless session training in place would do
    assert recorder.changed() == ["build_model('lstm', 3, 8)"]
    shared_model.clear()


class ComputationCounter:
    """Wraps a caching decorator so that each real computation (a cache miss) is counted by function."""

    def __init__(self, real, calls: Counter):
        self.real = real
        self.calls = calls

    def __call__(self, fn, **options):
        @functools.wraps(fn)
        def counting(*args, **kwargs):
            self.calls[fn.__qualname__] += 1
            return fn(*args, **kwargs)

        return self.real(counting, **options)


def test_later_visitors_of_a_default_view_compute_nothing(monkeypatch):
    calls = Counter()
    for name in ("cached_data", "cached_resource"):
        monkeypatch.setattr(seqviz.ui.cache, name, ComputationCounter(getattr(seqviz.ui.cache, name), calls))
    st.cache_data.clear()
    st.cache_resource.clear()
    for script in SCRIPTS:
        assert not app_test(script).run().exception
        prefetch.wait_idle()  # what the first visit queued in the background (seqviz.ui.prefetch) is its own work
        after_first_visitor = calls.copy()
        for _later_visitor in range(2):
            assert not app_test(script).run().exception
        prefetch.wait_idle()
        assert calls - after_first_visitor == Counter(), f"{script} recomputed for a later visitor"
    if not calls:
        pytest.skip("no page caches anything")

"""Shared pytest set-up: test-size Hypothesis settings and the folder for browser artifacts."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.support import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"

# Randomised AppTest runs are real page runs: few examples, no per-example deadline.
# SEQVIZ_FUZZ_EXAMPLES raises the count for a longer local hunt.
settings.register_profile(
    "seqviz",
    max_examples=int(os.environ.get("SEQVIZ_FUZZ_EXAMPLES", "4")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("seqviz")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the app in Chromium (skipped where Chromium is missing)")
